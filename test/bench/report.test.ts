import assert from "node:assert/strict";
import { readEnvironment } from "../../bench/environment.js";
import {
  type BenchReport,
  compare,
  crossCheck,
  failuresOf,
  median,
  renderMarkdown,
  renderText,
  runWarnings,
  type ScenarioRun,
  scaling,
} from "../../bench/report.js";
import type { RunResult } from "../../bench/run-result.js";
import { parseWrkOutput } from "../../bench/wrk-run.js";
import { describe, test } from "../helpers/node-test.js";

const result = (over: Partial<RunResult> = {}): RunResult => ({
  generator: "autocannon",
  durationSeconds: 10,
  connections: 64,
  requests: 100_000,
  reqPerSec: { mean: 10_000, p50: 10_000, stdev: 100 },
  latency: { p50: 1, p90: 2, p99: 3, p99_9: 4, max: 5 },
  errors: 0,
  timeouts: 0,
  non2xx: 0,
  visits2xx: 100_000,
  visitsExact: true,
  ...over,
});

const run = (
  target: string,
  threads: number,
  round: number,
  rps: number,
  over: Partial<RunResult> = {},
): ScenarioRun => {
  const r = result({ reqPerSec: { mean: rps, p50: rps, stdev: 1 }, ...over });
  return {
    scenario: "visit",
    description: "d",
    target,
    threads,
    round,
    result: r,
    crossCheck: crossCheck(r, r.visits2xx, 64),
    serverCpuMicrosPerRequest: 1e6 / rps, // a saturated single thread: CPU per request = 1 / rate
  };
};

describe("cross-check", () => {
  test("exact: the server's growth must equal the 2xx visits counted", () => {
    assert.equal(crossCheck(result(), 100_000, 64).ok, true);
    const off = crossCheck(result(), 100_001, 64);
    assert.equal(off.ok, false);
    assert.equal(off.note, "server grew by 100001, generator counted 100000");
  });

  test("bounded (wrk): growth may exceed the count by the requests in flight, never fall below it", () => {
    const wrk = result({ visitsExact: false });
    assert.equal(crossCheck(wrk, 100_064, 64).ok, true);
    assert.equal(crossCheck(wrk, 100_065, 64).ok, false);
    assert.equal(crossCheck(wrk, 99_999, 64).ok, false);
  });

  test("a target without /stats is reported as not checked", () => {
    const c = crossCheck(result(), undefined, 64);
    assert.equal(c.checked, false);
    assert.equal(c.ok, true);
  });
});

describe("failures", () => {
  test("errors, timeouts, non-2xx and a failed cross-check each fail the run", () => {
    const runs = [
      run("a", 1, 1, 10, { errors: 2, timeouts: 1 }),
      run("a", 1, 2, 10, { non2xx: 3 }),
      { ...run("a", 1, 3, 10), crossCheck: crossCheck(result(), 5, 64) },
    ];
    const failures = failuresOf(runs, []);
    assert.equal(failures.length, 3);
    assert.match(failures[0] as string, /2 errors \(1 timeouts\)/);
    assert.match(failures[1] as string, /3 non-2xx/);
    assert.match(failures[2] as string, /cross-check failed/);
    assert.deepEqual(failuresOf([run("a", 1, 1, 10)], []), []);
  });

  test("a ratio below --min-ratio fails; the median of rounds decides", () => {
    const runs = [
      run("A", 1, 1, 95),
      run("B", 1, 1, 100),
      run("A", 1, 2, 50),
      run("B", 1, 2, 100),
      run("A", 1, 3, 92),
      run("B", 1, 3, 100),
    ];
    const [c] = compare(runs, "A", "B");
    assert.ok(c);
    assert.deepEqual(c.roundRatios, [0.95, 0.5, 0.92]);
    assert.equal(c.ratio, 0.92);
    assert.ok(Math.abs(c.meanRatio - 237 / 300) < 1e-9);
    assert.ok(Math.abs(c.cpuRatio - 0.92) < 1e-9, "B's CPU per request over A's, median of rounds");
    assert.deepEqual(failuresOf(runs, [c], 0.9), []);
    assert.equal(failuresOf(runs, [c], 0.93).length, 1);
  });

  test("median", () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 2, 3]), 2.5);
  });
});

describe("rendering", () => {
  const runs = [run("traffic-tracker", 1, 1, 40_000), run("traffic-tracker", 2, 1, 70_000)];
  const report: BenchReport = {
    environment: readEnvironment(),
    settings: { generator: "autocannon", connections: 64 },
    targets: { "traffic-tracker": "http://127.0.0.1:1, 1 thread(s)" },
    runs,
    comparisons: [],
    warnings: ["generator and server share 2 core(s)"],
    failures: [],
  };

  test("thread scaling is relative to the fewest threads", () => {
    const rows = scaling(runs);
    assert.deepEqual(rows[2], ["visit", "traffic-tracker", "2", "70,000", "1.75"]);
  });

  test("text and Markdown reports carry the environment, the table, warnings and the verdict", () => {
    for (const text of [renderText(report), renderMarkdown(report)]) {
      assert.match(text, /Environment/);
      assert.match(text, /req\/s mean/);
      assert.match(text, /40,000/);
      assert.match(text, /Thread scaling/);
      assert.match(text, /generator and server share 2 core/);
      assert.match(text, /PASS/);
    }
    assert.match(renderMarkdown(report), /^\| target \| threads \|/m);
  });
});

describe("run warnings", () => {
  test("a run's own warnings (wrk's counts clamped at 0) reach the report, named by the run", () => {
    const runs = [
      run("tt", 1, 1, 1000),
      run("tt", 2, 1, 1000, { warnings: ["wrk's request hook counted 50 more than wrk's 150 answers"] }),
    ];
    assert.deepEqual(runWarnings(runs, false), [
      "visit · tt · 2 thread(s): wrk's request hook counted 50 more than wrk's 150 answers",
    ]);
    assert.match(runWarnings(runs, true)[0] ?? "", /^visit · tt · 2 thread\(s\) · round 1: /);
  });
});

describe("wrk output", () => {
  const sample = `Running 5s test @ http://127.0.0.1:8080/visit
  1 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.02ms  312.45us   9.87ms   90.12%
    Req/Sec    62.41k     3.20k   68.00k    80.00%
  Latency Distribution
     50%    0.98ms
     75%    1.10ms
     90%    1.31ms
     99%    2.45ms
  310530 requests in 5.00s, 52.12MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 5
Requests/sec:  62105.42
Transfer/sec:     10.42MB
`;
  test("is parsed into the common result shape", () => {
    const r = parseWrkOutput(sample, 64, true, 1);
    assert.equal(r.requests, 310_530);
    assert.equal(r.durationSeconds, 5);
    assert.equal(r.reqPerSec.mean, 62105.42);
    assert.equal(r.reqPerSec.stdev, 3200);
    assert.equal(r.latency.p50, 0.98);
    assert.equal(r.latency.p99, 2.45);
    assert.equal(r.latency.max, 9.87);
    assert.ok(Math.abs(r.latency.p90 - 1.31) < 1e-9);
    assert.equal(r.errors, 3);
    assert.equal(r.timeouts, 1);
    assert.equal(r.non2xx, 5);
    assert.equal(r.visits2xx, 310_525);
    assert.equal(r.visitsExact, false);
  });
});
