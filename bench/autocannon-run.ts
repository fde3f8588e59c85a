/**
 * @module Runs one scenario with autocannon. It sends a fixed number of
 * requests (sized from the warm-up rate to last about --duration) rather than
 * stopping on a timer, so every request sent is answered before it returns:
 * that is what lets the cross-check demand an exact count.
 */
import autocannon from "autocannon";
import type { RunResult } from "./run-result.js";
import { SecondBuckets } from "./samples.js";
import type { Scenario } from "./scenarios.js";

export interface AutocannonRun {
  url: string;
  scenario: Scenario;
  connections: number;
  pipelining: number;
  timeoutSeconds: number;
  /** Either a number of requests, or a duration (warm-up only: it may cut requests off). */
  amount?: number;
  durationSeconds?: number;
  /** Called every second with elapsed seconds and the last second's req/s. */
  onTick?: (elapsedSeconds: number, reqPerSec: number) => void;
  /** Per-second samples (default on; off only to measure what they cost). */
  samples?: boolean;
}

export async function runAutocannon(run: AutocannonRun): Promise<RunResult> {
  let visits2xx = 0;
  const allVisits = run.scenario.requests.every((r) => r.isVisit);
  const requests = run.scenario.requests.map((r) => ({
    method: r.method,
    path: r.path,
    ...(r.headers ? { headers: r.headers } : {}),
    ...(r.body ? { body: r.body } : {}),
    // Only a mixed sequence needs per-request accounting (it makes autocannon buffer bodies).
    ...(r.isVisit && !allVisits
      ? {
          onResponse: (status: number) => {
            if (status >= 200 && status < 300) visits2xx++;
          },
        }
      : {}),
  }));
  const started = performance.now();
  let lastResponse = started;
  const seconds = run.samples === false ? undefined : new SecondBuckets(started, run.pipelining);
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: run.url,
        connections: run.connections,
        pipelining: run.pipelining,
        timeout: run.timeoutSeconds,
        requests,
        ...(run.amount !== undefined ? { amount: run.amount } : { duration: run.durationSeconds ?? 1 }),
      },
      (error, result) => (error ? reject(error) : resolve(result)),
    );
    // The last answer's time gives the true rate: autocannon's final sample includes idle time.
    // Each answer also goes into its second's bucket: the per-second samples.
    const events = instance as unknown as NodeJS.EventEmitter;
    events.on("response", (_client: unknown, status: number, _bytes: number, latencyMs: number) => {
      lastResponse = performance.now();
      seconds?.response(lastResponse, status, latencyMs);
    });
    // Once per pipelined request (SecondBuckets divides by the pipelining).
    if (seconds)
      events.on("reqError", (error: Error) => {
        seconds.error(performance.now(), error.message === "request timed out");
      });
    // autocannon's tick carries the responses of the last one-second sample.
    events.on("tick", (tick?: { counter: number }) => {
      run.onTick?.((performance.now() - started) / 1000, tick?.counter ?? 0);
    });
  });
  return {
    generator: "autocannon",
    // Until the last answer: autocannon's own duration runs on to its next one-second tick.
    durationSeconds: (lastResponse - started) / 1000,
    connections: run.connections,
    requests: result.requests.total,
    // mean over the whole run; p50 and stdev over autocannon's one-second samples.
    reqPerSec: {
      mean: result.requests.total / Math.max((lastResponse - started) / 1000, 0.001),
      p50: result.requests.p50,
      stdev: result.requests.stddev,
    },
    latency: {
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      p99_9: result.latency.p99_9,
      max: result.latency.max,
    },
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    visits2xx: allVisits ? result["2xx"] : visits2xx,
    visitsExact: run.amount !== undefined,
    ...(seconds ? { samples: seconds.finish(lastResponse) } : {}),
  };
}
