/**
 * @module The cluster's shared memory (its own SharedArrayBuffer, next to the
 * counters): the blocks of visit numbers this instance reserved, which worker
 * threads take from lock-free, and the sync task's figures for /health and
 * /metrics. The sync task (main thread) is the only writer but for C_TAKEN
 * and C_REFUSED.
 *
 * Numbers: workers take local indices 0, 1, 2, … (C_TAKEN, below C_LIMIT);
 * block j covers local indices [start_j, start_{j+1}) and maps them onto the
 * visit numbers [first_j, …). Indices are Int32 and compared by wrapped
 * difference, so they may run past 2^31.
 */

/** Block table entries: a worker must look its index up before BLOCK_SLOTS more blocks are added. */
export const BLOCK_SLOTS = 256;

// Int32 slots.
/** Local indices handed out (workers compare-and-swap it). */
const C_TAKEN = 0;
/** Local indices backed by reserved blocks. */
const C_LIMIT = 1;
/** Blocks ever added. */
const C_BLOCKS = 2;
/** CLUSTER_NEVER (no contact with Redis yet), CLUSTER_OK, CLUSTER_DEGRADED. */
const C_STATE = 3;
/** Instances seen by Redis in the last 10 s (as of the last sync). */
const C_NODES = 4;
/** Visits refused for want of a number (the demand the blocks missed; workers add). */
const C_REFUSED = 5;
const C_BLOCK_STARTS = 8;
const INT32_SLOTS = C_BLOCK_STARTS + BLOCK_SLOTS;

export const CLUSTER_NEVER = 0;
export const CLUSTER_OK = 1;
export const CLUSTER_DEGRADED = 2;

/** Float64 figures, written by the sync task only (readers may see one a moment older than another). */
export const FIGURES = [
  "lastSyncMs",
  "pendingVisits",
  "flushSecondsSum",
  "flushes",
  "batchesRetried",
  "numbersReserved",
  "numbersGivenBack",
  "numbersUnused",
  "redisErrors",
  "reconciledVisits",
] as const;
export type Figure = (typeof FIGURES)[number];
const F_BLOCK_FIRSTS = 16;
const FLOAT64_SLOTS = F_BLOCK_FIRSTS + BLOCK_SLOTS;

const INT32_BYTES = INT32_SLOTS * 4;
export const CLUSTER_BYTES = INT32_BYTES + FLOAT64_SLOTS * 8;

export class ClusterState {
  readonly buffer: SharedArrayBuffer;
  private readonly ints: Int32Array;
  private readonly floats: Float64Array;

  constructor(buffer: SharedArrayBuffer = new SharedArrayBuffer(CLUSTER_BYTES)) {
    if (buffer.byteLength !== CLUSTER_BYTES) throw new Error(`cluster state: expected ${CLUSTER_BYTES} bytes`);
    this.buffer = buffer;
    this.ints = new Int32Array(buffer, 0, INT32_SLOTS);
    this.floats = new Float64Array(buffer, INT32_BYTES, FLOAT64_SLOTS);
  }

  /**
   * Worker threads: the next visit number, or 0 when every reserved number is
   * taken. Unique across threads: each local index is won by one compare-and-swap.
   */
  takeNumber(): number {
    const ints = this.ints;
    let n: number;
    for (;;) {
      n = Atomics.load(ints, C_TAKEN);
      if (((Atomics.load(ints, C_LIMIT) - n) | 0) <= 0) {
        Atomics.add(ints, C_REFUSED, 1);
        return 0;
      }
      if (Atomics.compareExchange(ints, C_TAKEN, n, (n + 1) | 0) === n) break;
    }
    // The newest block starting at or before n holds it. Race avoided: reading an entry
    // the sync task reuses; it reuses one only BLOCK_SLOTS blocks later.
    const blocks = Atomics.load(ints, C_BLOCKS);
    for (let j = blocks - 1; j >= 0 && j >= blocks - BLOCK_SLOTS; j--) {
      const at = j % BLOCK_SLOTS;
      const offset = (n - Atomics.load(ints, C_BLOCK_STARTS + at)) | 0;
      if (offset >= 0) return (this.floats[F_BLOCK_FIRSTS + at] as number) + offset;
    }
    throw new Error(`cluster numbers: no block holds local index ${n}`);
  }

  /** Sync task: numbers [first, first + size) become available, after every earlier block. */
  addBlock(first: number, size: number): void {
    const ints = this.ints;
    const blocks = Atomics.load(ints, C_BLOCKS);
    const at = blocks % BLOCK_SLOTS;
    this.floats[F_BLOCK_FIRSTS + at] = first;
    Atomics.store(ints, C_BLOCK_STARTS + at, Atomics.load(ints, C_LIMIT));
    // Publish the entry before the limit that lets workers reach it.
    Atomics.store(ints, C_BLOCKS, blocks + 1);
    Atomics.add(ints, C_LIMIT, size);
  }

  /** Visits refused so far for want of a number. */
  refused(): number {
    return Atomics.load(this.ints, C_REFUSED);
  }

  /** Numbers reserved and not yet taken. */
  numbersLeft(): number {
    return Math.max(0, (Atomics.load(this.ints, C_LIMIT) - Atomics.load(this.ints, C_TAKEN)) | 0);
  }

  /**
   * Sync task, once no worker takes numbers any more: the unused numbers as
   * ranges [first, last], oldest first (at most the last two blocks have any).
   */
  unusedRanges(): Array<[number, number]> {
    const ints = this.ints;
    const taken = Atomics.load(ints, C_TAKEN);
    const limit = Atomics.load(ints, C_LIMIT);
    const blocks = Atomics.load(ints, C_BLOCKS);
    const ranges: Array<[number, number]> = [];
    let end = limit;
    for (let j = blocks - 1; j >= 0 && j >= blocks - BLOCK_SLOTS && ((end - taken) | 0) > 0; j--) {
      const at = j % BLOCK_SLOTS;
      const start = Atomics.load(ints, C_BLOCK_STARTS + at);
      const first = this.floats[F_BLOCK_FIRSTS + at] as number;
      const from = ((taken - start) | 0) > 0 ? taken : start;
      ranges.unshift([first + ((from - start) | 0), first + ((end - start) | 0) - 1]);
      end = start;
    }
    return ranges;
  }

  get state(): number {
    return Atomics.load(this.ints, C_STATE);
  }
  set state(value: number) {
    Atomics.store(this.ints, C_STATE, value);
  }
  get nodes(): number {
    return Atomics.load(this.ints, C_NODES);
  }
  set nodes(value: number) {
    Atomics.store(this.ints, C_NODES, value);
  }

  figure(name: Figure): number {
    return this.floats[FIGURES.indexOf(name)] as number;
  }
  setFigure(name: Figure, value: number): void {
    this.floats[FIGURES.indexOf(name)] = value;
  }
  addFigure(name: Figure, value: number): void {
    const i = FIGURES.indexOf(name);
    this.floats[i] = (this.floats[i] as number) + value;
  }
}
