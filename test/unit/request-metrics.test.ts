import assert from "node:assert/strict";
import { createCounters } from "../../src/counters/shared-counters.js";
import { LATENCY_CELLS, latencyCell, requestCell } from "../../src/metrics/metric-labels.js";
import { NOT_TIMED, RequestMetrics, routeIndex } from "../../src/metrics/request-metrics.js";
import { describe, test } from "../helpers/node-test.js";

const VISIT = routeIndex("/visit");

function histogramCount(counters: ReturnType<typeof createCounters>, slot: number): number {
  let n = 0;
  for (let b = 0; b < LATENCY_CELLS; b++) n += counters.latency[latencyCell(slot, VISIT, b)] as number;
  return n;
}

describe("request metrics", () => {
  test("every request is counted; latency is timed on exactly 1 in 8", () => {
    const counters = createCounters(Date.now());
    const metrics = new RequestMetrics(counters, 3);
    const starts = Array.from({ length: 80 }, () => metrics.start());
    assert.equal(starts.filter((s) => s !== NOT_TIMED).length, 10);
    assert.notEqual(starts[0], NOT_TIMED, "the first request of a thread is timed");
    for (const s of starts) metrics.observe(VISIT, "200 OK", s);
    assert.equal(counters.requests[requestCell(3, VISIT, 0)], 80);
    assert.equal(histogramCount(counters, 3), 10);
  });

  test("with sampleEvery 1 (access logs on) every request is timed", () => {
    const counters = createCounters(Date.now());
    const metrics = new RequestMetrics(counters, 0, 1);
    for (let i = 0; i < 5; i++) metrics.observe(VISIT, "422 Unprocessable Entity", metrics.start());
    assert.equal(histogramCount(counters, 0), 5);
    assert.throws(() => new RequestMetrics(counters, 0, 3), RangeError);
  });
});
