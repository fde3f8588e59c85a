/**
 * @module Folds finished seconds into cumulative sums and recycles buckets.
 * Exactly one Sealer runs (in the main thread); it is the only writer of
 * `sums` and of the sealed-up-to mark, and the only thread that clears buckets.
 */
import { type Clock, relativeSecond } from "./clock.js";
import {
  BUCKET_MASK,
  BUCKET_SECONDS,
  epochMs,
  IDLE,
  lowestWriterSecond,
  markSealed,
  type SharedCounters,
  sealedUpTo,
} from "./shared-counters.js";

/** A second is sealed only this long after it ended (absorbs clock skew between threads). */
export const SEAL_LAG_SECONDS = 2;
/**
 * A bucket is zeroed (for its reuse one wheel turn later) this many seconds after it
 * was sealed, so a reader that saw an older sealed-up-to mark still finds the
 * unsealed buckets it needs intact; readers retry if the mark moved this far.
 */
export const CLEAR_DELAY_SECONDS = 64;

export class Sealer {
  private readonly counters: SharedCounters;
  private readonly clock: Clock;
  private readonly epochMs: number;
  constructor(counters: SharedCounters, clock: Clock) {
    this.counters = counters;
    this.clock = clock;
    this.epochMs = epochMs(counters);
  }

  /**
   * Seals every second that can no longer receive visits. Must run at least
   * once every (BUCKET_SECONDS − 168 h) seconds (≈ 5 days; the service runs it every
   * 250 ms) so a bucket is always cleared before its second comes round.
   */
  tick(): void {
    const { buckets, sums } = this.counters;
    // Never seal a second a worker thread may still write (its slot's value) or any later one.
    let limit = relativeSecond(this.clock.nowMs(), this.epochMs) - SEAL_LAG_SECONDS;
    const writing = lowestWriterSecond(this.counters);
    if (writing !== IDLE && writing - 1 < limit) limit = writing - 1;
    let sealed = sealedUpTo(this.counters);
    if (limit <= sealed) return;
    let cumulative = sums[sealed & BUCKET_MASK] as number;
    // After BUCKET_SECONDS + CLEAR_DELAY steps every bucket has been read and zeroed; a longer
    // (idle) stretch adds nothing, so only its last BUCKET_SECONDS need their sums.
    const stepwiseEnd = Math.min(limit, sealed + BUCKET_SECONDS + CLEAR_DELAY_SECONDS);
    while (sealed < stepwiseEnd) {
      sealed++;
      cumulative += Atomics.load(buckets, sealed & BUCKET_MASK);
      sums[sealed & BUCKET_MASK] = cumulative;
      Atomics.store(buckets, (sealed - CLEAR_DELAY_SECONDS) & BUCKET_MASK, 0);
      // Publishing the mark after the sum makes the sum visible to any reader that sees the mark.
      markSealed(this.counters, sealed);
    }
    if (sealed < limit) {
      for (let s = Math.max(sealed + 1, limit - BUCKET_SECONDS + 1); s <= limit; s++)
        sums[s & BUCKET_MASK] = cumulative;
      markSealed(this.counters, limit);
    }
  }
}
