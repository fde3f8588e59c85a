/**
 * @module Per-thread request counters and latency histograms, written into
 * this thread's own slot of the shared buffer (no contention, no lock); the
 * /metrics exposition sums the slots.
 */
// The module binding: Node's global `performance` is an accessor, a global load the handler paid per request.
import { performance } from "node:perf_hooks";
import type { SharedCounters } from "../counters/shared-counters.js";
import {
  LATENCY_BUCKETS_MS,
  latencyCell,
  latencySumCell,
  METRIC_ROUTES,
  METRIC_STATUSES,
  requestCell,
} from "./metric-labels.js";

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

/**
 * Latency is timed on 1 request in this many per thread (every request is
 * counted). On VMs where a clock read is a system call, timing every request
 * is a noticeable share of its cost; a 1-in-8 sample keeps the histogram's shape.
 */
export const LATENCY_SAMPLE_EVERY = 8;
/** `startedAt` of a request that is not timed. */
export const NOT_TIMED = -1;

export class RequestMetrics {
  private readonly counters: SharedCounters;
  private readonly slot: number;
  private readonly sampleMask: number;
  private seen = 0;

  /** `sampleEvery`: a power of two; 1 times every request (as access logging needs). */
  constructor(counters: SharedCounters, slot: number, sampleEvery = LATENCY_SAMPLE_EVERY) {
    if (!Number.isInteger(Math.log2(sampleEvery))) throw new RangeError("sampleEvery must be a power of two");
    this.counters = counters;
    this.slot = slot;
    this.sampleMask = sampleEvery - 1;
  }

  /** Call when a request arrives: its start time if this one is timed, else NOT_TIMED. */
  start(): number {
    return (this.seen++ & this.sampleMask) === 0 ? performance.now() : NOT_TIMED;
  }

  /** One answered request; `startedAt` comes from start(). */
  observe(route: number, statusLine: string, startedAt: number): void {
    const { requests, latency, latencySums } = this.counters;
    // Only this thread writes its slot, so a plain add loses nothing (an Atomics.add is a
    // builtin call per request); an aligned 32-bit cell cannot tear, a scrape may read it a request behind.
    const cell = requestCell(this.slot, route, statusIndex(statusLine));
    requests[cell] = (requests[cell] as number) + 1;
    if (startedAt === NOT_TIMED) return;
    const ms = performance.now() - startedAt;
    let bucket = 0;
    while (bucket < LATENCY_BUCKETS_MS.length && ms > (LATENCY_BUCKETS_MS[bucket] as number)) bucket++;
    const at = latencyCell(this.slot, route, bucket);
    latency[at] = (latency[at] as number) + 1;
    // Only this thread writes its slot's sums; a scrape may read one a request behind.
    const sum = latencySumCell(this.slot, route);
    latencySums[sum] = (latencySums[sum] as number) + ms * 1000;
  }
}
