/**
 * @module Lock-free reads of the counters for /stats and /health. A window of
 * any length costs the same: two cumulative sums and the few unsealed buckets.
 */
import { type Clock, relativeSecond } from "./clock.js";
import { CLEAR_DELAY_SECONDS } from "./sealer.js";
import {
  BUCKET_MASK,
  epochMs,
  historyGeneration,
  MAX_WINDOW_SECONDS,
  type SharedCounters,
  sealedUpTo,
  startMs,
} from "./shared-counters.js";

export class StatsReader {
  private readonly epochMs: number;
  readonly startMs: number;
  private readonly counters: SharedCounters;
  private readonly clock: Clock;

  constructor(counters: SharedCounters, clock: Clock) {
    this.counters = counters;
    this.clock = clock;
    this.epochMs = epochMs(counters);
    this.startMs = startMs(counters);
  }

  totalVisits(): number {
    return Number(Atomics.load(this.counters.total, 0));
  }

  /** Visits accepted in the current second and the `windowSeconds − 1` before it. */
  recentVisits(windowSeconds: number): number {
    if (!Number.isInteger(windowSeconds) || windowSeconds < 1 || windowSeconds > MAX_WINDOW_SECONDS) {
      throw new RangeError(`window must be 1..${MAX_WINDOW_SECONDS} seconds, got ${windowSeconds}`);
    }
    const { buckets, sums } = this.counters;
    const now = relativeSecond(this.clock.nowMs(), this.epochMs);
    const start = now - windowSeconds + 1;
    for (;;) {
      const generation = historyGeneration(this.counters);
      const sealed = sealedUpTo(this.counters);
      let sum = 0;
      let from = start;
      if (start <= sealed) {
        sum = (sums[sealed & BUCKET_MASK] as number) - this.cumulativeBefore(start);
        from = sealed + 1;
      }
      for (let s = from; s <= now; s++) sum += Atomics.load(buckets, s & BUCKET_MASK);
      // Race avoided: the sealer recycling a bucket or sum we just read. It only
      // does so CLEAR_DELAY seconds after sealing, so an unmoved mark proves the read.
      // Also retried: a read across a history rewrite (cluster mode, once), which the generation brackets.
      if (
        sealedUpTo(this.counters) - sealed < CLEAR_DELAY_SECONDS &&
        (generation & 1) === 0 &&
        historyGeneration(this.counters) === generation
      ) {
        // Buckets are added after the total, so reading the total last keeps recent ≤ total.
        return Math.min(sum, this.totalVisits());
      }
    }
  }

  /** Cumulative visits in all seconds before `second` (sealed; before the start, restored history). */
  private cumulativeBefore(second: number): number {
    return this.counters.sums[(second - 1) & BUCKET_MASK] as number;
  }

  uptimeSeconds(): number {
    return (this.clock.nowMs() - this.startMs) / 1000;
  }
}

/** `{h}h {m}m {s}s`, whole seconds floored, hours not wrapped at 24. */
export function formatUptime(seconds: number): string {
  const whole = Math.max(0, Math.floor(seconds));
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  return `${h}h ${m}m ${whole % 60}s`;
}

/** W = ceil(hours × 3600), ignoring float noise (0.1 × 3600 is 360.00000000000006). */
export function windowSecondsFor(hours: number): number {
  return Math.ceil(Math.round(hours * 3600 * 1e6) / 1e6);
}
