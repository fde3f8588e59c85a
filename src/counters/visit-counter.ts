/**
 * @module The hot path: count one visit. Runs in every worker thread, takes no
 * lock, allocates nothing but the 64-bit total's return value.
 */
import type { Clock } from "./clock.js";
import { F_EPOCH_MS, H_INFLIGHT, IDLE, MAX_SLOTS, RING_MASK, type SharedCounters } from "./layout.js";

export class VisitCounter {
  private readonly header: Int32Array;
  private readonly total: BigInt64Array;
  private readonly buckets: Int32Array;
  private readonly slot: number;
  private readonly epochMs: number;
  /** Last second this thread wrote; a lower bound for the next one (the clock never goes back). */
  private lastSecond: number;
  private readonly clock: Clock;

  constructor(counters: SharedCounters, slot: number, clock: Clock) {
    this.clock = clock;
    if (!Number.isInteger(slot) || slot < 0 || slot >= MAX_SLOTS) throw new RangeError(`slot ${slot} out of range`);
    this.header = counters.header;
    this.total = counters.total;
    this.buckets = counters.buckets;
    this.slot = H_INFLIGHT + slot;
    this.epochMs = counters.times[F_EPOCH_MS] as number;
    this.lastSecond = Math.max(0, Math.floor((clock.nowMs() - this.epochMs) / 1000));
  }

  /** Counts one visit and returns its number: 1, 2, 3, … across all threads. */
  record(): number {
    // Race avoided: the sealer folding a second into the cumulative sums while
    // we are still about to add to that second's bucket. We announce a lower
    // bound of the second we will write *before* reading the clock; the sealer
    // never seals a second at or above an announced one.
    Atomics.store(this.header, this.slot, this.lastSecond);
    const second = Math.floor((this.clock.nowMs() - this.epochMs) / 1000);
    this.lastSecond = second;
    // The value returned by the atomic add is what makes counts unique and gap-free.
    const count = Number(Atomics.add(this.total, 0, 1n)) + 1;
    Atomics.add(this.buckets, second & RING_MASK, 1);
    Atomics.store(this.header, this.slot, IDLE);
    return count;
  }
}
