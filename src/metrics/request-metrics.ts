/**
 * @module Per-thread request counters and latency histograms, written into
 * this thread's own slot of the shared buffer (no contention, no lock); the
 * /metrics exposition sums the slots.
 */
import {
  LATENCY_BUCKETS_MS,
  latencyCell,
  latencySumCell,
  METRIC_ROUTES,
  METRIC_STATUSES,
  requestCell,
  type SharedCounters,
} from "../counters/layout.js";

export type MetricRoute = (typeof METRIC_ROUTES)[number];
export const routeIndex = (route: MetricRoute): number => METRIC_ROUTES.indexOf(route);

const OTHER_STATUS = METRIC_STATUSES.length - 1;
/** "422 Unprocessable Entity" → index; memoised: the service answers with a handful of status lines. */
const statusIndexes = new Map<string, number>();
function statusIndex(statusLine: string): number {
  let index = statusIndexes.get(statusLine);
  if (index === undefined) {
    const found = (METRIC_STATUSES as readonly string[]).indexOf(statusLine.slice(0, 3));
    index = found === -1 ? OTHER_STATUS : found;
    statusIndexes.set(statusLine, index);
  }
  return index;
}

export class RequestMetrics {
  private readonly counters: SharedCounters;
  private readonly slot: number;

  constructor(counters: SharedCounters, slot: number) {
    this.counters = counters;
    this.slot = slot;
  }

  /** One answered request: `startedAt` is performance.now() when it arrived. */
  observe(route: number, statusLine: string, startedAt: number): void {
    const { requests, latency, latencySums } = this.counters;
    Atomics.add(requests, requestCell(this.slot, route, statusIndex(statusLine)), 1);
    const ms = performance.now() - startedAt;
    let bucket = 0;
    while (bucket < LATENCY_BUCKETS_MS.length && ms > (LATENCY_BUCKETS_MS[bucket] as number)) bucket++;
    Atomics.add(latency, latencyCell(this.slot, route, bucket), 1);
    // Only this thread writes its slot's sums; a scrape may read one a request behind.
    const sum = latencySumCell(this.slot, route);
    latencySums[sum] = (latencySums[sum] as number) + ms * 1000;
  }
}
