/**
 * @module What /health reports, read from the shared header: lock-free and
 * cheap enough for a load balancer to call every second.
 */
import type { HealthResponse, ReadyResponse, StoreHealth } from "../contract/types.js";
import { serviceState, workersAlive, workersExpected } from "../counters/service-status.js";
import type { SharedCounters } from "../counters/shared-counters.js";
import { storeFigure, storeMode, storeState } from "../store/store-status.js";

/** A recorder silent this long is stuck (it runs every ≤ 250 ms). */
export const RECORDER_STUCK_MS = 5000;

export function readHealth(counters: SharedCounters, nowMs: number): HealthResponse {
  const alive = workersAlive(counters);
  const expected = workersExpected(counters);
  const state = serviceState(counters);
  const total = Number(Atomics.load(counters.total, 0));
  const store = readStore(counters, nowMs);
  const base = { workers_alive: alive, workers_expected: expected, total_visits: total, store };
  if (state === "draining") return { status: "unhealthy", reason: "shutting down", ...base };
  if (state === "starting") return { status: "unhealthy", reason: "starting", ...base };
  if (alive < expected) {
    return {
      status: "unhealthy",
      reason: `${expected - alive} of ${expected} worker threads not running (being replaced)`,
      ...base,
    };
  }
  if (store.state === "failing" || store.state === "failed") {
    return { status: "unhealthy", reason: `visit store ${store.state}: visits are refused (see the logs)`, ...base };
  }
  if (store.heartbeat_age_ms !== undefined && store.heartbeat_age_ms > RECORDER_STUCK_MS) {
    return { status: "unhealthy", reason: `recorder thread silent for ${store.heartbeat_age_ms} ms`, ...base };
  }
  return { status: "healthy", ...base };
}

function readStore(counters: SharedCounters, nowMs: number): StoreHealth {
  const mode = storeMode(counters);
  if (mode === "memory") return { mode };
  return {
    mode,
    state: storeState(counters),
    lag_ms: Math.round(storeFigure(counters, "lagMs")),
    pending_bytes: storeFigure(counters, "pendingBytes"),
    journal_bytes: storeFigure(counters, "journalBytes"),
    heartbeat_age_ms: Math.max(0, Math.round(nowMs - storeFigure(counters, "heartbeatMs"))),
  };
}

/**
 * Readiness for load balancers: 503 while starting or draining (so traffic
 * moves away before connections close), 200 while at least one worker serves.
 */
export function readReadiness(counters: SharedCounters): ReadyResponse {
  const state = serviceState(counters);
  if (state === "draining") return { status: "not ready", reason: "draining for shutdown" };
  if (state === "starting") return { status: "not ready", reason: "starting" };
  if (workersAlive(counters) < 1) return { status: "not ready", reason: "no worker thread serving" };
  return { status: "ready" };
}
