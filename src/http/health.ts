/**
 * @module What /health reports, read from the shared header: lock-free and
 * cheap enough for a load balancer to call every second.
 */
import type { HealthResponse, ReadyResponse } from "../contract/types.js";
import {
  H_STATE,
  H_WORKERS_ALIVE,
  H_WORKERS_EXPECTED,
  type SharedCounters,
  STATE_DRAINING,
  STATE_STARTING,
} from "../counters/layout.js";

export function readHealth(counters: SharedCounters): HealthResponse {
  const { header } = counters;
  const alive = Atomics.load(header, H_WORKERS_ALIVE);
  const expected = Atomics.load(header, H_WORKERS_EXPECTED);
  const state = Atomics.load(header, H_STATE);
  const total = Number(Atomics.load(counters.total, 0));
  const base = { workers_alive: alive, workers_expected: expected, total_visits: total };
  if (state === STATE_DRAINING) return { status: "unhealthy", reason: "shutting down", ...base };
  if (state === STATE_STARTING) return { status: "unhealthy", reason: "starting", ...base };
  if (alive < expected) {
    return {
      status: "unhealthy",
      reason: `${expected - alive} of ${expected} worker threads not running (being replaced)`,
      ...base,
    };
  }
  return { status: "healthy", ...base };
}

/**
 * Readiness for load balancers: 503 while starting or draining (so traffic
 * moves away before connections close), 200 while at least one worker serves.
 */
export function readReadiness(counters: SharedCounters): ReadyResponse {
  const state = Atomics.load(counters.header, H_STATE);
  if (state === STATE_DRAINING) return { status: "not ready", reason: "draining for shutdown" };
  if (state === STATE_STARTING) return { status: "not ready", reason: "starting" };
  if (Atomics.load(counters.header, H_WORKERS_ALIVE) < 1)
    return { status: "not ready", reason: "no worker thread serving" };
  return { status: "ready" };
}
