/**
 * @module Per-second samples of a measured run, whichever generator took them:
 * what the HTML report charts over time. They add up to the run's totals.
 */

export interface Sample {
  /** Start of the sample, in seconds since the measured run started. */
  readonly t: number;
  /** Its length in seconds (1, or less for the last; a wrk slice runs a little over). */
  readonly seconds: number;
  /** Responses received in it. */
  readonly requests: number;
  readonly non2xx: number;
  /** Errors, timeouts included. */
  readonly errors: number;
  readonly timeouts: number;
  /** Latency percentiles of its responses, in ms (NaN when it had none). */
  readonly p50: number;
  readonly p99: number;
}

/** Nearest-rank percentile of ascending `sorted`. */
export function percentileOf(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

interface Bucket {
  requests: number;
  non2xx: number;
  errorEvents: number;
  timeoutEvents: number;
  latencies: number[];
  last: number;
}

/**
 * Buckets events by the second they happen in. Recording is a counter and a
 * push (it runs in the generator's event loop); the sorting waits for finish().
 */
export class SecondBuckets {
  private readonly buckets: Bucket[] = [];
  private readonly startedMs: number;
  private readonly eventsPerError: number;

  /** `eventsPerError`: autocannon reports an error once per pipelined request. */
  constructor(startedMs: number, eventsPerError = 1) {
    this.startedMs = startedMs;
    this.eventsPerError = eventsPerError;
  }

  private at(nowMs: number): Bucket {
    const i = Math.max(0, Math.floor((nowMs - this.startedMs) / 1000));
    for (let k = this.buckets.length; k <= i; k++)
      this.buckets.push({ requests: 0, non2xx: 0, errorEvents: 0, timeoutEvents: 0, latencies: [], last: 0 });
    const b = this.buckets[i] as Bucket;
    b.last = nowMs;
    return b;
  }

  response(nowMs: number, status: number, latencyMs: number): void {
    const b = this.at(nowMs);
    b.requests++;
    if (!(status >= 200 && status <= 299)) b.non2xx++;
    b.latencies.push(latencyMs);
  }

  error(nowMs: number, timeout: boolean): void {
    const b = this.at(nowMs);
    b.errorEvents++;
    if (timeout) b.timeoutEvents++;
  }

  /** The samples, the last one ending at `endMs` (the last response). */
  finish(endMs: number): Sample[] {
    return this.buckets.map((b, i) => {
      const sorted = Float64Array.from(b.latencies).sort();
      const isLast = i === this.buckets.length - 1;
      const end = isLast ? Math.max(endMs, b.last) : this.startedMs + (i + 1) * 1000;
      return {
        t: i,
        seconds: Math.max(0.001, Math.min(1, (end - this.startedMs) / 1000 - i)),
        requests: b.requests,
        non2xx: b.non2xx,
        errors: b.errorEvents / this.eventsPerError,
        timeouts: b.timeoutEvents / this.eventsPerError,
        p50: percentileOf(sorted, 50),
        p99: percentileOf(sorted, 99),
      };
    });
  }
}
