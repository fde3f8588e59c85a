/**
 * @module How many visit numbers to reserve, and when: blocks of about a
 * second of this instance's traffic, asked for while at least a block's worth
 * is still left, so the next block arrives before the last one runs out. A
 * sudden surge that empties the numbers between two syncs gets a block of at
 * least twice the last one, and at least the demand seen so far in the
 * current window (visits counted plus those refused for want of a number).
 */

/**
 * Smallest block: more than a second of the most one instance answers (about
 * 100k visits/s on two cores), so a sale opening on an idle instance never
 * runs dry before the next round brings a bigger block. Numbers are cheap
 * (2^53 of them); the price is a wider gap when they cannot be given back.
 */
export const MIN_BLOCK = 131_072;
/** Largest block (the counter's gaps stay bounded whatever the rate). */
export const MAX_BLOCK = 1 << 22;
/** A block covers this many seconds of traffic at the recent rate. */
const BLOCK_SECONDS = 1;
/** The rate is measured over windows of this length. */
const RATE_WINDOW_MS = 200;
/** Ran dry: the current window's demand counts once it is this long. */
const DRY_WINDOW_MS = 20;

export class NumberBudget {
  private windowStartMs = Number.NaN;
  private windowStartCount = 0;
  /** Visits per second, the higher of the last window's and a slowly decaying peak. */
  private rate = 0;
  private lastBlock = 0;
  private lastMs = Number.NaN;
  private lastCount = 0;

  /** Feeds the running count of this instance's demand (visits counted and refused) at time `nowMs`. */
  observe(nowMs: number, count: number): void {
    this.lastMs = nowMs;
    this.lastCount = count;
    if (Number.isNaN(this.windowStartMs)) {
      this.windowStartMs = nowMs;
      this.windowStartCount = count;
      return;
    }
    const elapsed = nowMs - this.windowStartMs;
    if (elapsed < RATE_WINDOW_MS) return;
    const measured = ((count - this.windowStartCount) * 1000) / elapsed;
    // A burst raises the rate at once; a lull lowers it gradually (blocks shrink, never starve).
    this.rate = Math.max(measured, this.rate * 0.8);
    this.windowStartMs = nowMs;
    this.windowStartCount = count;
  }

  /** Numbers to reserve now, given `left` unused ones: 0 while over a block's worth is left. */
  wanted(left: number): number {
    // Ran dry: the rate seen is capped by the numbers there were, so grow past it.
    let surge = 0;
    if (left === 0) {
      surge = 2 * this.lastBlock;
      const elapsed = this.lastMs - this.windowStartMs;
      if (elapsed >= DRY_WINDOW_MS) {
        surge = Math.max(
          surge,
          Math.ceil((((this.lastCount - this.windowStartCount) * 1000) / elapsed) * BLOCK_SECONDS),
        );
      }
    }
    const block = Math.min(MAX_BLOCK, Math.max(MIN_BLOCK, Math.ceil(this.rate * BLOCK_SECONDS), surge));
    if (left >= block) return 0;
    this.lastBlock = block;
    return block;
  }
}
