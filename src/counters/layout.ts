/**
 * @module The one SharedArrayBuffer every thread counts in. Its layout is
 * declared here, by name, and nowhere else: other modules use these views.
 *
 *   header  Int32   version, sealed-up-to second, worker and store health, one writer slot per thread
 *   total   BigInt64 visits ever accepted (2^63 > 2^53: no overflow in practice)
 *   times   Float64 start wall time, epoch of second 0, restored total, store figures
 *   buckets Int32[RING]   visits accepted in second s, at s & RING_MASK
 *   sums    Float64[RING] cumulative visits up to and including sealed second s
 *   metrics Uint32/Float64 per-slot request counters and latency histograms (/metrics)
 */

export const LAYOUT_VERSION = 3;

/** Per-second ring length: 2^20 s ≈ 12.1 days, comfortably over the 168 h window. */
export const RING_SECONDS = 1 << 20;
export const RING_MASK = RING_SECONDS - 1;
/** Largest window the stats API accepts (168 h). */
export const MAX_WINDOW_SECONDS = 168 * 3600;

/** Most worker slots; a replacement takes a fresh slot while the old worker drains. */
export const MAX_SLOTS = 512;
/** Writer slot value when no thread writes through it (free, or its thread has exited). */
export const IDLE = 0x7fffffff;

// Int32 header slots.
export const H_VERSION = 0;
/** Highest second whose bucket has been folded into `sums` (relative seconds). */
export const H_SEALED_UP_TO = 1;
export const H_WORKERS_EXPECTED = 2;
export const H_WORKERS_ALIVE = 3;
/** Lifecycle: 0 starting, 1 running, 2 draining. */
export const H_STATE = 4;
export const H_WORKER_RESTARTS = 5;
/** One past the highest slot ever handed out: /metrics sums slots below it. */
export const H_SLOTS_USED = 6;
/** Visit store: 0 in memory, 1 batch, 2 strict (see STORE_MODES). */
export const H_STORE_MODE = 7;
/** Visit store health: STORE_OK, STORE_FAILING (retrying), STORE_FAILED (gave up). */
export const H_STORE_STATE = 8;
/** Bumped (and notified) by workers to wake the recorder: every visit in strict mode, a filling ring in batch mode. */
export const H_STORE_DOORBELL = 9;
/** First of MAX_SLOTS writer slots: each holds the second its thread counts into (see VisitCounter). */
export const H_WRITER_SECONDS = 16;
const HEADER_INT32 = H_WRITER_SECONDS + MAX_SLOTS;

export const STORE_MODES = ["memory", "batch", "strict"] as const;
export const STORE_OK = 0;
export const STORE_FAILING = 1;
export const STORE_FAILED = 2;

export const STATE_STARTING = 0;
export const STATE_RUNNING = 1;
export const STATE_DRAINING = 2;

// Float64 slots.
export const F_START_MS = 0;
/** Wall-clock ms of relative second 0 (whole second). */
export const F_EPOCH_MS = 1;
/** Bytes of visits in the journal, committed and not yet moved into DuckDB (recorder thread). */
export const F_STORE_JOURNAL_BYTES = 2;
// Written by the recorder thread only (single writer; readers tolerate a torn moment between fields).
/** Wall-clock ms of the recorder's last loop: a stale value means it is stuck. */
export const F_STORE_HEARTBEAT_MS = 3;
/** Age (ms) of the oldest visit in the last committed batch, when it was committed. */
export const F_STORE_LAG_MS = 4;
export const F_STORE_COMMITS = 5;
export const F_STORE_ROWS = 6;
export const F_STORE_LAST_BATCH_ROWS = 7;
/** Sum of commit durations (ms), for the mean. */
export const F_STORE_COMMIT_MS = 8;
/** Bytes published into the rings and not yet committed. */
export const F_STORE_PENDING_BYTES = 9;
export const F_STORE_FAILURES = 10;
const TIMES_F64 = 16;

/** Route labels of the request metrics, in slot order. */
export const METRIC_ROUTES = [
  "/visit",
  "/stats",
  "/health",
  "/ready",
  "/metrics",
  "/openapi.json",
  "docs",
  "other",
] as const;
/** Status codes the service answers with; anything else counts under "other". */
export const METRIC_STATUSES = ["200", "307", "400", "404", "405", "413", "415", "422", "500", "503", "other"] as const;
/** Upper bounds (ms) of the latency histogram buckets; a last one is +Inf. */
export const LATENCY_BUCKETS_MS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 1000] as const;
export const LATENCY_CELLS = LATENCY_BUCKETS_MS.length + 1;
const REQUEST_CELLS_PER_SLOT = METRIC_ROUTES.length * METRIC_STATUSES.length;
const LATENCY_CELLS_PER_SLOT = METRIC_ROUTES.length * LATENCY_CELLS;

const HEADER_BYTES = HEADER_INT32 * 4;
const TOTAL_OFFSET = HEADER_BYTES; // multiple of 8
const TIMES_OFFSET = TOTAL_OFFSET + 8;
const BUCKETS_OFFSET = TIMES_OFFSET + TIMES_F64 * 8;
const SUMS_OFFSET = BUCKETS_OFFSET + RING_SECONDS * 4;
const LATENCY_SUMS_OFFSET = SUMS_OFFSET + RING_SECONDS * 8;
const REQUESTS_OFFSET = LATENCY_SUMS_OFFSET + MAX_SLOTS * METRIC_ROUTES.length * 8;
const LATENCY_OFFSET = REQUESTS_OFFSET + MAX_SLOTS * REQUEST_CELLS_PER_SLOT * 4;
export const SHARED_BYTES = LATENCY_OFFSET + MAX_SLOTS * LATENCY_CELLS_PER_SLOT * 4;

/** Index of a request counter: [slot][route][status]. */
export const requestCell = (slot: number, route: number, status: number) =>
  (slot * METRIC_ROUTES.length + route) * METRIC_STATUSES.length + status;
/** Index of a latency bucket counter: [slot][route][bucket]. */
export const latencyCell = (slot: number, route: number, bucket: number) =>
  (slot * METRIC_ROUTES.length + route) * LATENCY_CELLS + bucket;
/** Index of a latency sum (µs): [slot][route]. */
export const latencySumCell = (slot: number, route: number) => slot * METRIC_ROUTES.length + route;

/** Typed views over the shared buffer; cheap to build in every thread. */
export interface SharedCounters {
  readonly buffer: SharedArrayBuffer;
  readonly header: Int32Array;
  readonly total: BigInt64Array;
  readonly times: Float64Array;
  readonly buckets: Int32Array;
  readonly sums: Float64Array;
  /** Requests answered, by requestCell(); each slot written by its own thread only. */
  readonly requests: Uint32Array;
  /** Latency histogram counts (non-cumulative), by latencyCell(). */
  readonly latency: Uint32Array;
  /** Latency sums in µs, by latencySumCell(); single writer per slot. */
  readonly latencySums: Float64Array;
}

export function viewCounters(buffer: SharedArrayBuffer): SharedCounters {
  if (buffer.byteLength !== SHARED_BYTES) {
    throw new Error(`shared counters: expected ${SHARED_BYTES} bytes, got ${buffer.byteLength}`);
  }
  const header = new Int32Array(buffer, 0, HEADER_INT32);
  const version = Atomics.load(header, H_VERSION);
  if (version !== LAYOUT_VERSION) {
    throw new Error(`shared counters: layout version ${version}, this code expects ${LAYOUT_VERSION}`);
  }
  return {
    buffer,
    header,
    total: new BigInt64Array(buffer, TOTAL_OFFSET, 1),
    times: new Float64Array(buffer, TIMES_OFFSET, TIMES_F64),
    buckets: new Int32Array(buffer, BUCKETS_OFFSET, RING_SECONDS),
    sums: new Float64Array(buffer, SUMS_OFFSET, RING_SECONDS),
    requests: new Uint32Array(buffer, REQUESTS_OFFSET, MAX_SLOTS * REQUEST_CELLS_PER_SLOT),
    latency: new Uint32Array(buffer, LATENCY_OFFSET, MAX_SLOTS * LATENCY_CELLS_PER_SLOT),
    latencySums: new Float64Array(buffer, LATENCY_SUMS_OFFSET, MAX_SLOTS * METRIC_ROUTES.length),
  };
}

/** Counts restored from the visit store. */
export interface CounterHistory {
  /** Visits ever counted (the highest visit_count stored). */
  readonly total: number;
  /** Pairs [unix second, visits] of the last MAX_WINDOW_SECONDS before start (older pairs are ignored). */
  readonly seconds: Float64Array;
}

export const NO_HISTORY: CounterHistory = Object.freeze({ total: 0, seconds: new Float64Array(0) });

/**
 * Allocates and initialises the buffer. Second 0 starts at the whole second of
 * `startMs`. The seconds before it are "sealed" from `history`, so /stats
 * windows reaching back before this start see the visits stored before it.
 */
export function createCounters(startMs: number, history: CounterHistory = NO_HISTORY): SharedCounters {
  const buffer = new SharedArrayBuffer(SHARED_BYTES);
  const header = new Int32Array(buffer, 0, HEADER_INT32);
  header[H_VERSION] = LAYOUT_VERSION;
  header.fill(IDLE, H_WRITER_SECONDS, H_WRITER_SECONDS + MAX_SLOTS);
  header[H_SEALED_UP_TO] = -1;
  const counters = viewCounters(buffer);
  counters.total[0] = BigInt(history.total);
  counters.times[F_START_MS] = startMs;
  counters.times[F_EPOCH_MS] = Math.floor(startMs / 1000) * 1000;
  seedHistory(counters, history);
  return counters;
}

/**
 * Writes the restored seconds as sealed history: sums[s] for s in
 * [-MAX_WINDOW_SECONDS, -1], counted back from the total. Visits stamped in
 * second 0 or later (a restart within the same second) go into their buckets.
 */
function seedHistory(counters: SharedCounters, history: CounterHistory): void {
  const { buckets, sums, times } = counters;
  const epochSecond = (times[F_EPOCH_MS] as number) / 1000;
  const perSecond = new Float64Array(MAX_WINDOW_SECONDS); // index: -s - 1
  let fromNowOn = 0;
  for (let i = 0; i + 1 < history.seconds.length; i += 2) {
    const second = (history.seconds[i] as number) - epochSecond;
    const visits = history.seconds[i + 1] as number;
    if (second >= 0) {
      // Same second as the start (or a clock that was ahead): count it now, in second 0.
      buckets[0] = (buckets[0] as number) + visits;
      fromNowOn += visits;
    } else if (second >= -MAX_WINDOW_SECONDS) {
      perSecond[-second - 1] = (perSecond[-second - 1] as number) + visits;
    }
  }
  let cumulative = history.total - fromNowOn;
  for (let s = -1; s >= -MAX_WINDOW_SECONDS; s--) {
    sums[s & RING_MASK] = cumulative;
    cumulative -= perSecond[-s - 1] as number;
  }
}
