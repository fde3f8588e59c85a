import assert from "node:assert/strict";
import { scenario } from "../../bench/scenarios.js";
import { totalVisits } from "../../bench/targets.js";
import {
  combineSlices,
  mergedQuantile,
  parseSlice,
  parseSlices,
  QUANTILE_GRID,
  runWrkSliced,
  type Slice,
  sliceQuantile,
} from "../../bench/wrk-slices.js";
import { describe, test } from "../helpers/node-test.js";
import { startTestService } from "../helpers/service.js";

/** A slice whose latencies are `values` µs, its grid read off them as wrk does (0 past the last rank). */
function sliceOf(values: number[], over: Partial<Slice> = {}): Slice {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.round((p / 100) * sorted.length + 0.5) - 1] ?? 0;
  return {
    requests: values.length,
    durationMicros: 1_000_000,
    connectErrors: 0,
    readErrors: 0,
    writeErrors: 0,
    status: 0,
    timeouts: 0,
    maxMicros: sorted.at(-1) ?? 0,
    quantiles: QUANTILE_GRID.map((p) => [p, at(p)] as const),
    ...over,
  };
}

describe("wrk in one-second slices", () => {
  test("the done hook's line is parsed from wrk's output", () => {
    const out = `Running 1s test @ http://127.0.0.1:1
  1 threads and 64 connections
@bench-slice {"requests":5012,"duration_us":1043210,"connect":0,"read":2,"write":0,"status":7,"timeout":1,"max_us":9870,"q":"50:980,99:2450,100:9870"}
`;
    const s = parseSlice(out);
    assert.equal(s.requests, 5012);
    assert.equal(s.durationMicros, 1_043_210);
    assert.equal(s.readErrors, 2);
    assert.equal(s.status, 7);
    assert.equal(s.timeouts, 1);
    assert.deepEqual(s.quantiles, [
      [50, 980],
      [99, 2450],
      [100, 9870],
    ]);
    assert.equal(sliceQuantile(s, 99), 2450);
    assert.throws(() => parseSlice("Running 1s test\n"), /no slice summary/);
  });

  test("the loop's output: each slice with its start, in ms since the first", () => {
    const slice = (n: number) =>
      `Running 1s test @ http://127.0.0.1:1\n@bench-slice {"requests":${n},"duration_us":1000000,"connect":0,"read":0,"write":0,"status":0,"timeout":0,"max_us":9,"q":"50:5"}\n`;
    const { slices, startsMs } = parseSlices(
      `@bench-start 1764662400.250000\n${slice(10)}@bench-start 1764662401.262500\n${slice(20)}`,
    );
    assert.deepEqual(
      slices.map((s) => s.requests),
      [10, 20],
    );
    assert.deepEqual(
      startsMs.map((ms) => Math.round(ms * 10) / 10),
      [0, 1012.5],
    );
  });

  test("slices merge into the run's totals, per-second samples and percentiles", () => {
    // Second 1: 1,000 answers at 1..1000 µs; second 2: 3,000 at 2001..5000 µs, 12 non-2xx, 2 errors.
    const a = sliceOf(Array.from({ length: 1000 }, (_, i) => i + 1));
    const b = sliceOf(
      Array.from({ length: 3000 }, (_, i) => 2001 + i),
      { status: 12, readErrors: 1, timeouts: 1, durationMicros: 1_100_000 },
    );
    const r = combineSlices([a, b], [0, 1050], 2200, 64, 1);
    assert.equal(r.requests, 4000);
    assert.deepEqual(
      r.samples?.map((s) => s.requests),
      [1000, 3000],
    );
    assert.equal(
      r.samples?.reduce((n, s) => n + s.requests, 0),
      r.requests,
    );
    assert.deepEqual(
      r.samples?.map((s) => [s.t, s.seconds]),
      [
        [0, 1],
        [1.05, 1.1],
      ],
    );
    assert.equal(r.non2xx, 12);
    assert.equal(r.errors, 2);
    assert.equal(r.timeouts, 1);
    assert.equal(r.visits2xx, 4000 - 12);
    assert.equal(r.visitsExact, false);
    assert.ok(Math.abs(r.reqPerSec.mean - 4000 / 2.2) < 1e-9, "over the wall time, gaps included");
    // wrk's rank is round(p/100 × n + 0.5): the 501st of 1..1000, the 2,971st of 2001..5000.
    assert.equal(r.samples?.[0]?.p50, 0.501);
    assert.equal(r.samples?.[1]?.p99, 4.971);
    // All 4,000 together the 2,000th is 3,000 µs: second 2's grid reaches its 1,000th answer
    // (a third of it) at 35 %, its 1,051st, 3,051 µs. The 3,960th (4,960 µs) at 99 %: 4,971 µs.
    assert.equal(r.latency.p50, 3.051);
    assert.equal(r.latency.p99, 4.971);
    assert.equal(r.latency.max, 5);
    assert.ok(!QUANTILE_GRID.includes(100), "wrk answers 0 for the 100th percentile");
  });

  test("merged percentiles stay within the grid's step of the exact ones", () => {
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const seconds = [800, 2500, 1200].map((n, k) =>
      Array.from({ length: n }, () => Math.round(200 + random() * 3000 * (k + 1))),
    );
    const all = seconds.flat().sort((x, y) => x - y);
    const slices = seconds.map((v) => sliceOf(v));
    for (const p of [50, 90, 99, 99.9]) {
      const merged = mergedQuantile(slices, p);
      const rank = all.findIndex((v) => v >= merged) / all.length;
      // The grid is 2.5 % apart up to 95, 1 % to 99, then 0.5 %, 0.4 %, 0.05 %.
      const step = p <= 95 ? 0.025 : p <= 99 ? 0.01 : p <= 99.9 ? 0.005 : 0.0005;
      assert.ok(Math.abs(rank - p / 100) <= step + 1 / all.length, `p${p}: merged ${merged} µs sits at rank ${rank}`);
    }
  });

  test("a real wrk run in slices: one sample per slice, adding up to wrk's count, which the server's bounds", {
    timeout: 60_000,
  }, async (t) => {
    const service = await startTestService(t, { nWorkers: 1 });
    const connections = 4;
    const before = await totalVisits(service.url);
    const r = await runWrkSliced(service.url, scenario("visit"), connections, 2, 10);
    assert.equal(r.samples?.length, 2);
    assert.equal(
      r.samples?.reduce((n, s) => n + s.requests, 0),
      r.requests,
    );
    assert.ok(r.requests > 0, "wrk sent load");
    assert.equal(r.errors + r.non2xx, 0);
    for (const s of r.samples ?? []) assert.ok(s.p50 > 0 && s.p99 >= s.p50, `latency per slice: ${s.p50}, ${s.p99}`);
    const { p50, p90, p99, p99_9, max } = r.latency;
    assert.ok(
      p50 > 0 && p50 <= p90 && p90 <= p99 && p99 <= p99_9 && p99_9 <= max,
      `run latency ${JSON.stringify(r.latency)}`,
    );
    // Each slice stops on a timer with up to one request per connection unanswered to wrk.
    const deadline = Date.now() + 10_000;
    let grew = (await totalVisits(service.url)) - before;
    for (let last = -1; grew !== last; grew = (await totalVisits(service.url)) - before) {
      assert.ok(Date.now() < deadline, "total_visits did not settle within 10 s");
      last = grew;
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    assert.ok(grew >= r.visits2xx && grew - r.visits2xx <= connections * 2, `server ${grew}, wrk ${r.visits2xx}`);
  });
});
