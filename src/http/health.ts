/**
 * @module What /health reports, read from the shared header: lock-free and
 * cheap enough for a load balancer to call every second.
 */
import type { HealthResponse, ReadyResponse, StoreHealth } from "../contract/types.js";
import {
  F_STORE_HEARTBEAT_MS,
  F_STORE_JOURNAL_BYTES,
  F_STORE_LAG_MS,
  F_STORE_PENDING_BYTES,
  H_STATE,
  H_STORE_MODE,
  H_STORE_STATE,
  H_WORKERS_ALIVE,
  H_WORKERS_EXPECTED,
  type SharedCounters,
  STATE_DRAINING,
  STATE_STARTING,
  STORE_FAILED,
  STORE_FAILING,
  STORE_MODES,
} from "../counters/layout.js";

/** A recorder silent this long is stuck (it runs every ≤ 250 ms). */
export const RECORDER_STUCK_MS = 5000;

export function readHealth(counters: SharedCounters, nowMs: number): HealthResponse {
  const { header } = counters;
  const alive = Atomics.load(header, H_WORKERS_ALIVE);
  const expected = Atomics.load(header, H_WORKERS_EXPECTED);
  const state = Atomics.load(header, H_STATE);
  const total = Number(Atomics.load(counters.total, 0));
  const store = readStore(counters, nowMs);
  const base = { workers_alive: alive, workers_expected: expected, total_visits: total, store };
  if (state === STATE_DRAINING) return { status: "unhealthy", reason: "shutting down", ...base };
  if (state === STATE_STARTING) return { status: "unhealthy", reason: "starting", ...base };
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
  const mode = STORE_MODES[Atomics.load(counters.header, H_STORE_MODE)] ?? "memory";
  if (mode === "memory") return { mode };
  const state = Atomics.load(counters.header, H_STORE_STATE);
  return {
    mode,
    state: state === STORE_FAILED ? "failed" : state === STORE_FAILING ? "failing" : "ok",
    lag_ms: Math.round(counters.times[F_STORE_LAG_MS] as number),
    pending_bytes: counters.times[F_STORE_PENDING_BYTES] as number,
    journal_bytes: counters.times[F_STORE_JOURNAL_BYTES] as number,
    heartbeat_age_ms: Math.max(0, Math.round(nowMs - (counters.times[F_STORE_HEARTBEAT_MS] as number))),
  };
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
