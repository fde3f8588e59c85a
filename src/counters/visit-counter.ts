/**
 * @module The hot path: count one visit. Runs in every worker thread, takes no
 * lock, reads no clock, allocates nothing but the 64-bit total's return value.
 */
import type { Clock } from "./clock.js";
import {
  BUCKET_MASK,
  epochMs,
  IDLE,
  publishWriterSecond,
  type SharedCounters,
  writerSlotIndex,
} from "./shared-counters.js";

/** How often a worker moves to the clock's current second (visits are bucketed to within this). */
export const SECOND_REFRESH_MS = 20;

export class VisitCounter {
  private readonly counters: SharedCounters;
  private readonly total: BigInt64Array;
  private readonly buckets: Int32Array;
  private readonly slot: number;
  private readonly epochMs: number;
  private readonly clock: Clock;
  /** The second this thread's visits go into; published in its slot. */
  private second = -1;
  /**
   * The clock as of the last refresh: the time stamped on stored visits. Within
   * SECOND_REFRESH_MS of the truth, always inside `second`, and read without a
   * clock call (on some VMs each clock read is a system call).
   */
  refreshedAtMs = 0;

  constructor(counters: SharedCounters, slot: number, clock: Clock) {
    this.counters = counters;
    this.total = counters.total;
    this.buckets = counters.buckets;
    this.slot = writerSlotIndex(slot);
    this.epochMs = epochMs(counters);
    this.clock = clock;
    this.refreshSecond();
  }

  /**
   * Moves to the clock's current second. The worker calls this on a short
   * timer, not per visit, which keeps the clock off the hot path.
   *
   * Race avoided: the sealer folding a second into the cumulative sums while
   * this thread may still add to it. The slot always holds the one second this
   * thread writes to, and the sealer never seals at or above any slot's value;
   * since this thread is single-threaded, every add to the old second is done
   * before the slot moves on.
   */
  refreshSecond(): void {
    const now = this.clock.nowMs();
    const second = Math.floor((now - this.epochMs) / 1000);
    // Never stamp a visit outside the second it is counted in (a clock step back stays in `second`).
    this.refreshedAtMs = second >= this.second ? now : this.epochMs + this.second * 1000 + 999;
    if (second > this.second) {
      this.second = second;
      publishWriterSecond(this.counters, this.slot, second);
    }
  }

  /** Counts one visit and returns its number: 1, 2, 3, … across all threads. */
  count(): number {
    // The value returned by the atomic add is what makes counts unique and gap-free.
    const count = Number(Atomics.add(this.total, 0, 1n)) + 1;
    Atomics.add(this.buckets, this.second & BUCKET_MASK, 1);
    return count;
  }

  /** This thread writes no more: let the sealer move past its second. */
  release(): void {
    publishWriterSecond(this.counters, this.slot, IDLE);
  }
}
