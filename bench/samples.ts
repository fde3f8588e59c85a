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

/**
 * Latency histogram cells: 10 µs wide below 10 ms, 0.1 ms to 100 ms, 1 ms to
 * 10 s (the last cell takes anything longer). A count per cell keeps the
 * generator's cost per answer to an increment.
 */
const CELLS = 1000 + 900 + 9900 + 1;

export function latencyCell(ms: number): number {
  if (ms < 10) return ms > 0 ? Math.floor(ms * 100) : 0;
  if (ms < 100) return 1000 + Math.floor((ms - 10) * 10);
  if (ms < 10_000) return 1900 + Math.floor(ms - 100);
  return CELLS - 1;
}

/** The lower edge of a cell, in ms. */
export function cellLatency(cell: number): number {
  if (cell < 1000) return cell / 100;
  if (cell < 1900) return 10 + (cell - 1000) / 10;
  return 100 + (cell - 1900);
}

/** Nearest-rank percentile of a cell histogram holding `count` answers, in ms. */
function cellPercentile(cells: Uint32Array, count: number, p: number): number {
  if (count === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil((p / 100) * count));
  let seen = 0;
  for (let i = 0; i < cells.length; i++) {
    seen += cells[i] as number;
    if (seen >= rank) return cellLatency(i);
  }
  return Number.NaN;
}

interface Bucket {
  requests: number;
  non2xx: number;
  errorEvents: number;
  timeoutEvents: number;
  cells: Uint32Array | undefined;
}

const emptyBucket = (): Bucket => ({ requests: 0, non2xx: 0, errorEvents: 0, timeoutEvents: 0, cells: undefined });

/**
 * Buckets events by the second they happen in. It runs in the generator's
 * event loop: recording is a comparison and a few increments; the
 * percentiles wait for finish().
 */
export class SecondBuckets {
  private readonly buckets: Bucket[] = [];
  private readonly startedMs: number;
  private readonly eventsPerError: number;
  private current: Bucket = emptyBucket();
  private currentEndMs: number;
  private lastMs: number;

  /** `eventsPerError`: autocannon reports an error once per pipelined request. */
  constructor(startedMs: number, eventsPerError = 1) {
    this.startedMs = startedMs;
    this.eventsPerError = eventsPerError;
    this.buckets.push(this.current);
    this.currentEndMs = startedMs + 1000;
    this.lastMs = startedMs;
  }

  private at(nowMs: number): Bucket {
    if (nowMs > this.lastMs) this.lastMs = nowMs;
    if (nowMs < this.currentEndMs && nowMs >= this.currentEndMs - 1000) return this.current;
    const i = Math.max(0, Math.floor((nowMs - this.startedMs) / 1000));
    while (this.buckets.length <= i) this.buckets.push(emptyBucket());
    this.current = this.buckets[i] as Bucket;
    this.currentEndMs = this.startedMs + (i + 1) * 1000;
    return this.current;
  }

  response(nowMs: number, status: number, latencyMs: number): void {
    const b = this.at(nowMs);
    b.requests++;
    if (!(status >= 200 && status <= 299)) b.non2xx++;
    if (!b.cells) b.cells = new Uint32Array(CELLS);
    const cell = latencyCell(latencyMs);
    b.cells[cell] = (b.cells[cell] as number) + 1;
  }

  error(nowMs: number, timeout: boolean): void {
    const b = this.at(nowMs);
    b.errorEvents++;
    if (timeout) b.timeoutEvents++;
  }

  /** The samples, the last one ending at `endMs` (the last response). */
  finish(endMs: number): Sample[] {
    const end = Math.max(endMs, this.lastMs);
    return this.buckets.map((b, i) => {
      const cells = b.cells ?? new Uint32Array(0);
      return {
        t: i,
        seconds: Math.max(0.001, Math.min(1, (end - this.startedMs) / 1000 - i)),
        requests: b.requests,
        non2xx: b.non2xx,
        errors: b.errorEvents / this.eventsPerError,
        timeouts: b.timeoutEvents / this.eventsPerError,
        p50: cellPercentile(cells, b.requests, 50),
        p99: cellPercentile(cells, b.requests, 99),
      };
    });
  }
}
