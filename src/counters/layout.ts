/**
 * @module The one SharedArrayBuffer every thread counts in. Its layout is
 * declared here, by name, and nowhere else: other modules use these views.
 *
 *   header   Int32    version, sealed-up-to second, service and store status, one writer slot per thread
 *   total    BigInt64 visits ever accepted (2^63 > 2^53: no overflow in practice)
 *   figures  Float64  start wall time, epoch of second 0, the store's figures (bytes, counts, ms)
 *   buckets  Int32[BUCKET_SECONDS]   visits accepted in second s, at s & BUCKET_MASK (a wheel: reused every BUCKET_SECONDS)
 *   sums     Float64[BUCKET_SECONDS] cumulative visits up to and including sealed second s
 *   metrics  Uint32/Float64 per-slot request counters and latency histograms (/metrics)
 *
 * Only the owners of the slots import this file: `shared-counters.ts` (the
 * buffer, its views, the counting slots), `service-status.ts`,
 * `store/store-status.ts`; the request metrics own their region's cells
 * (`metrics/metric-labels.ts`). Everything else uses their named accessors.
 */
import { LATENCY_CELLS, METRIC_ROUTES, METRIC_STATUSES } from "../metrics/metric-labels.js";

export const LAYOUT_VERSION = 3;

/** Per-second buckets, reused in turn: 2^20 s ≈ 12.1 days, comfortably over the 168 h window. */
export const BUCKET_SECONDS = 1 << 20;
export const BUCKET_MASK = BUCKET_SECONDS - 1;
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
/**
 * Odd while the cluster sync task rewrites the sealed sums with the cluster's
 * history (once, at first contact with Redis); readers retry across a change.
 */
export const H_HISTORY_GEN = 10;
/** First of MAX_SLOTS writer slots: each holds the second its thread counts into (see VisitCounter). */
export const H_WRITER_SECONDS = 16;
export const HEADER_INT32 = H_WRITER_SECONDS + MAX_SLOTS;
/**
 * The last writer slot belongs to the cluster sync task (it adds other
 * instances' visits to recent seconds); the supervisor never hands it out.
 */
export const SYNC_TASK_SLOT = MAX_SLOTS - 1;

export const STORE_MODES = ["memory", "batch", "strict"] as const;
export const STORE_OK = 0;
export const STORE_FAILING = 1;
export const STORE_FAILED = 2;

export const STATE_STARTING = 0;
export const STATE_RUNNING = 1;
export const STATE_DRAINING = 2;

// Float64 figures.
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
export const FIGURES_F64 = 16;

const REQUEST_CELLS_PER_SLOT = METRIC_ROUTES.length * METRIC_STATUSES.length;
const LATENCY_CELLS_PER_SLOT = METRIC_ROUTES.length * LATENCY_CELLS;

export const REQUEST_CELLS = MAX_SLOTS * REQUEST_CELLS_PER_SLOT;
export const LATENCY_CELLS_ALL = MAX_SLOTS * LATENCY_CELLS_PER_SLOT;
export const LATENCY_SUM_CELLS = MAX_SLOTS * METRIC_ROUTES.length;

const HEADER_BYTES = HEADER_INT32 * 4;
export const TOTAL_OFFSET = HEADER_BYTES; // multiple of 8
export const FIGURES_OFFSET = TOTAL_OFFSET + 8;
export const BUCKETS_OFFSET = FIGURES_OFFSET + FIGURES_F64 * 8;
export const SUMS_OFFSET = BUCKETS_OFFSET + BUCKET_SECONDS * 4;
export const LATENCY_SUMS_OFFSET = SUMS_OFFSET + BUCKET_SECONDS * 8;
export const REQUESTS_OFFSET = LATENCY_SUMS_OFFSET + LATENCY_SUM_CELLS * 8;
export const LATENCY_OFFSET = REQUESTS_OFFSET + REQUEST_CELLS * 4;
export const SHARED_BYTES = LATENCY_OFFSET + LATENCY_CELLS_ALL * 4;
