/**
 * @module The shared buffer's allocation and typed views, and the counting
 * slots' accessors: the epoch, the writer slots (the second each thread counts
 * into) and the sealed mark. The counting region's shape (BUCKET_*, MAX_SLOTS)
 * is re-exported for the counter, the sealer and the reader.
 */
import {
  BUCKET_MASK,
  BUCKET_SECONDS,
  BUCKETS_OFFSET,
  F_EPOCH_MS,
  F_START_MS,
  FIGURES_F64,
  FIGURES_OFFSET,
  H_HISTORY_GEN,
  H_SEALED_UP_TO,
  H_VERSION,
  H_WRITER_SECONDS,
  HEADER_INT32,
  IDLE,
  LATENCY_CELLS_ALL,
  LATENCY_OFFSET,
  LATENCY_SUM_CELLS,
  LATENCY_SUMS_OFFSET,
  LAYOUT_VERSION,
  MAX_SLOTS,
  MAX_WINDOW_SECONDS,
  REQUEST_CELLS,
  REQUESTS_OFFSET,
  SHARED_BYTES,
  SUMS_OFFSET,
  SYNC_TASK_SLOT,
  TOTAL_OFFSET,
} from "./layout.js";

export { BUCKET_MASK, BUCKET_SECONDS, IDLE, MAX_SLOTS, MAX_WINDOW_SECONDS, SYNC_TASK_SLOT };

/** Typed views over the shared buffer; cheap to build in every thread. */
export interface SharedCounters {
  readonly buffer: SharedArrayBuffer;
  readonly header: Int32Array;
  readonly total: BigInt64Array;
  /** Float64 figures: times and the store's figures; read and written through their owners. */
  readonly figures: Float64Array;
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
    figures: new Float64Array(buffer, FIGURES_OFFSET, FIGURES_F64),
    buckets: new Int32Array(buffer, BUCKETS_OFFSET, BUCKET_SECONDS),
    sums: new Float64Array(buffer, SUMS_OFFSET, BUCKET_SECONDS),
    requests: new Uint32Array(buffer, REQUESTS_OFFSET, REQUEST_CELLS),
    latency: new Uint32Array(buffer, LATENCY_OFFSET, LATENCY_CELLS_ALL),
    latencySums: new Float64Array(buffer, LATENCY_SUMS_OFFSET, LATENCY_SUM_CELLS),
  };
}

/** Wall-clock ms of relative second 0 (a whole second). */
export const epochMs = (c: SharedCounters): number => c.figures[F_EPOCH_MS] as number;
/** Wall-clock ms the service started. */
export const startMs = (c: SharedCounters): number => c.figures[F_START_MS] as number;

/** The highest second folded into `sums` (relative seconds; -1 before the first). */
export const sealedUpTo = (c: SharedCounters): number => Atomics.load(c.header, H_SEALED_UP_TO);
/** Published after the sums it covers are written (the sealer is the only writer). */
export const markSealed = (c: SharedCounters, second: number): void => {
  Atomics.store(c.header, H_SEALED_UP_TO, second);
};

/** The history generation: odd while the sums are rewritten (see historyRewrite). */
export const historyGeneration = (c: SharedCounters): number => Atomics.load(c.header, H_HISTORY_GEN);
/**
 * Rewrites history in place (cluster mode, once, in the sealer's thread):
 * readers that overlap `rewrite` see the generation move and read again.
 */
export function historyRewrite(c: SharedCounters, rewrite: () => void): void {
  Atomics.add(c.header, H_HISTORY_GEN, 1);
  try {
    rewrite();
  } finally {
    Atomics.add(c.header, H_HISTORY_GEN, 1);
  }
}

/** Header index of writer slot `slot`: the second its thread counts into. */
export function writerSlotIndex(slot: number): number {
  if (!Number.isInteger(slot) || slot < 0 || slot >= MAX_SLOTS) throw new RangeError(`slot ${slot} out of range`);
  return H_WRITER_SECONDS + slot;
}
/** The thread of writer slot `index` (see writerSlotIndex) now counts into `second`. */
export const publishWriterSecond = (c: SharedCounters, index: number, second: number): void => {
  Atomics.store(c.header, index, second);
};
/** Writer slot `slot` writes no more (free, or its thread has exited). */
export const releaseWriterSlot = (c: SharedCounters, slot: number): void => {
  Atomics.store(c.header, writerSlotIndex(slot), IDLE);
};
/** The lowest second any thread still counts into; IDLE when none does. */
export function lowestWriterSecond(c: SharedCounters): number {
  let lowest = IDLE;
  for (let i = H_WRITER_SECONDS; i < H_WRITER_SECONDS + MAX_SLOTS; i++) {
    const writing = Atomics.load(c.header, i);
    if (writing < lowest) lowest = writing;
  }
  return lowest;
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
  counters.figures[F_START_MS] = startMs;
  counters.figures[F_EPOCH_MS] = Math.floor(startMs / 1000) * 1000;
  seedHistory(counters, history);
  return counters;
}

/**
 * Writes the restored seconds as sealed history: sums[s] for s in
 * [-MAX_WINDOW_SECONDS, -1], counted back from the total. Visits stamped in
 * second 0 or later (a restart within the same second) go into their buckets.
 */
function seedHistory(counters: SharedCounters, history: CounterHistory): void {
  const { buckets, sums } = counters;
  const epochSecond = epochMs(counters) / 1000;
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
    sums[s & BUCKET_MASK] = cumulative;
    cumulative -= perSecond[-s - 1] as number;
  }
}
