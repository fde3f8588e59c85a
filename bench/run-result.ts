/** @module One measured run, whichever generator produced it. */
import type { Sample } from "./samples.js";

export interface RunResult {
  readonly generator: "autocannon" | "wrk";
  readonly durationSeconds: number;
  readonly connections: number;
  readonly requests: number;
  readonly reqPerSec: { readonly mean: number; readonly p50: number; readonly stdev: number };
  /** Milliseconds. */
  readonly latency: {
    readonly p50: number;
    readonly p90: number;
    readonly p99: number;
    readonly p99_9: number;
    readonly max: number;
  };
  readonly errors: number;
  readonly timeouts: number;
  readonly non2xx: number;
  /** 2xx answers to POST /visit the generator counted. */
  readonly visits2xx: number;
  /** wrk cannot wait for in-flight requests at the end: its visit count is a lower bound. */
  readonly visitsExact: boolean;
  /** Per-second samples (autocannon always; wrk with --per-second or --html). They add up to `requests`. */
  readonly samples?: readonly Sample[];
  /** false: the samples carry no latency (wrk in one process: only the run's percentiles are known). */
  readonly perSecondLatency?: boolean;
  /** What makes this run's figures less than exact (wrk's per-second counts clamped at 0); the report lists them as warnings. */
  readonly warnings?: readonly string[];
}
