import assert from "node:assert/strict";
import { clusterReport, parseClusterSweepArgs, pointOf } from "../../bench/cluster-sweep.js";
import { readEnvironment } from "../../bench/environment.js";
import {
  chartsOf,
  compareCharts,
  groupedBars,
  sweepCharts,
  sweeps,
  timelineCharts,
} from "../../bench/html/chart-data.js";
import { type BenchReport, compare, crossCheck, renderText, type ScenarioRun } from "../../bench/report.js";
import type { RunResult } from "../../bench/run-result.js";
import type { Sample } from "../../bench/samples.js";
import { describe, test } from "../helpers/node-test.js";

const sample = (t: number, requests: number, seconds = 1): Sample => ({
  t,
  seconds,
  requests,
  non2xx: 0,
  errors: 0,
  timeouts: 0,
  p50: 1 + t,
  p99: 5 + t,
});

function run(scenario: ScenarioRun["scenario"], target: string, threads: number, rps: number, round = 1): ScenarioRun {
  const samples = [sample(0, rps), sample(1, rps), sample(2, rps / 2, 0.5)];
  const requests = samples.reduce((n, s) => n + s.requests, 0);
  const result: RunResult = {
    generator: "autocannon",
    durationSeconds: 2.5,
    connections: 16,
    requests,
    reqPerSec: { mean: rps, p50: rps, stdev: 0 },
    latency: { p50: 1, p90: 2, p99: 3, p99_9: 4, max: 5 },
    errors: round === 2 ? 3 : 0,
    timeouts: round === 2 ? 1 : 0,
    non2xx: 0,
    visits2xx: requests,
    visitsExact: true,
    samples,
  };
  return {
    scenario,
    description: "d",
    target,
    threads,
    round,
    result,
    crossCheck: crossCheck(result, requests, 16),
    serverCpuMicrosPerRequest: 1e6 / rps,
  };
}

const reportOf = (runs: ScenarioRun[], labels?: [string, string]): BenchReport => ({
  environment: readEnvironment(),
  settings: {},
  targets: {},
  runs,
  comparisons: labels ? compare(runs, ...labels) : [],
  warnings: [],
  failures: [],
});

describe("HTML report chart data", () => {
  test("one timeline per scenario, one point per sample, req/s from each sample's own length", () => {
    const report = reportOf([run("visit", "tt", 1, 1000), run("spike", "tt", 1, 800)]);
    const charts = timelineCharts(report);
    assert.deepEqual(
      charts.map((c) => c.scenario),
      ["visit", "spike"],
    );
    const [visit, spike] = charts;
    assert.deepEqual(visit?.xs, [1, 2, 3]);
    assert.deepEqual(visit?.series[0]?.values, [1000, 1000, 1000], "500 answers in half a second is 1,000 req/s");
    assert.deepEqual(visit?.series[2]?.values, [5, 6, 7]);
    assert.equal(visit?.markers, undefined);
    assert.deepEqual(spike?.markers, [{ x: 0, label: "the sale opens: 16 connections at once" }]);
    assert.ok(
      visit?.series.every((s) => !s.hidden),
      "one run: every series drawn",
    );
    const many = timelineCharts(reportOf([1, 2, 3].map((round) => run("visit", "tt", 1, 1000, round))))[0];
    assert.deepEqual(
      many?.series.filter((s) => s.hidden).map((s) => s.label.slice(0, 3)),
      ["p50", "p50", "p50"],
      "three runs: p50 waits for a click",
    );
  });

  test("grouped bars: series j of k sits at its own offset, null elsewhere", () => {
    const g = groupedBars(2, [
      { label: "A", values: [10, 20], axis: "y", color: 0 },
      { label: "B", values: [11, 21], axis: "y", color: 1 },
    ]);
    assert.deepEqual(g.xs, [0.8, 1.2, 1.8, 2.2]);
    assert.deepEqual(g.series[0]?.values, [10, null, 20, null]);
    assert.deepEqual(g.series[1]?.values, [null, 11, null, 21]);
  });

  test("a thread sweep has the measured line and the ideal linear one from the fewest threads", () => {
    const runs = [run("visit", "tt", 1, 1000), run("visit", "tt", 2, 1500), run("visit", "tt", 4, 2000)];
    const [sweep] = sweeps(runs);
    assert.equal(sweep?.dimension, "threads");
    const [chart] = sweepCharts(sweeps(runs));
    assert.deepEqual(chart?.xs, [1, 2, 4]);
    assert.deepEqual(chart?.series[0]?.values, [1000, 1500, 2000]);
    assert.deepEqual(chart?.series[1]?.values, [1000, 2000, 4000]);
    assert.equal(chart?.xLabel, "threads");
    // The same shape takes another dimension: instances, once cluster mode records them.
    const [byInstances] = sweepCharts(sweeps(runs, "instances", (r) => r.threads * 2));
    assert.deepEqual(byInstances?.xs, [2, 4, 8]);
    assert.equal(byInstances?.xLabel, "instances");
    assert.deepEqual(sweeps([run("visit", "tt", 1, 1000)]), [], "one count is no sweep");
  });

  test("A/B rounds as paired bars, with the median ratio", () => {
    const runs = [
      run("visit", "A", 1, 900, 1),
      run("visit", "B", 1, 1000, 1),
      run("visit", "A", 1, 500, 2),
      run("visit", "B", 1, 1000, 2),
      run("visit", "A", 1, 950, 3),
      run("visit", "B", 1, 1000, 3),
    ].map((r, i) => ({ ...r, round: Math.floor(i / 2) + 1 }));
    const [chart] = compareCharts(reportOf(runs, ["A", "B"]));
    assert.deepEqual(chart?.categories, ["round 1", "round 2", "round 3"]);
    assert.deepEqual(chart?.series[0]?.values, [900, null, 500, null, 950, null]);
    assert.deepEqual(chart?.series[1]?.values, [null, 1000, null, 1000, null, 1000]);
    assert.match(chart?.note ?? "", /median of rounds 0\.900 \(rounds 0\.900, 0\.500, 0\.950\)/);
  });

  test("the page's charts: timelines, sweep, CPU and errors per run", () => {
    const runs = [run("visit", "tt", 1, 1000, 1), run("visit", "tt", 2, 1500, 2)];
    const charts = chartsOf(reportOf(runs));
    assert.deepEqual(
      charts.map((c) => c.kind),
      ["timeline", "sweep", "cpu", "errors"],
    );
    const errors = charts.at(-1);
    assert.deepEqual(
      errors?.series[0]?.values.filter((v) => v !== null),
      [0, 3],
    );
    assert.deepEqual(
      errors?.series[1]?.values.filter((v) => v !== null),
      [0, 1],
    );
    assert.equal(errors?.note, "3 in all");
  });

  test("wrk counting in one process: req/s per second, no latency line, and a note saying where latency over time is", () => {
    const counted = run("visit", "tt", 1, 1000);
    const wrk: ScenarioRun = {
      ...counted,
      result: {
        ...counted.result,
        generator: "wrk",
        perSecondLatency: false,
        samples: counted.result.samples?.map((x) => ({ ...x, p50: Number.NaN, p99: Number.NaN })),
      },
    };
    const [chart] = timelineCharts(reportOf([wrk]));
    assert.deepEqual(
      chart?.series.map((x) => x.label),
      ["req/s · tt"],
    );
    assert.deepEqual(chart?.series[0]?.values, [1000, 1000, 1000]);
    assert.equal(chart?.title, "visit: req/s per second");
    assert.equal(chart?.y2Label, undefined, "no empty latency axis");
    assert.match(chart?.note ?? "", /latency over time needs autocannon or --wrk-slices; .*p50 1 ms, p99 3 ms/);
    // Beside an autocannon run of the same scenario, that run keeps its latency lines.
    const [both] = timelineCharts(reportOf([wrk, { ...counted, target: "ac" }]));
    assert.deepEqual(
      both?.series.map((x) => x.label),
      ["req/s · tt", "req/s · ac", "p50 ms · ac", "p99 ms · ac"],
    );
  });
});

describe("the instance sweep (--cluster 1,2,3)", () => {
  /** A cluster-bench phase as it reports it: only the staleness phase probes (the others' staleness is NaN). */
  const phase = (
    name: string,
    n: number,
    reqPerSec: number,
    staleness?: { p50: number; p99: number; samples: number },
  ) => ({
    phase: name,
    requests: reqPerSec * 5,
    seconds: 5,
    reqPerSec,
    non2xx: 0,
    redisCommandsPerSec: 120 * n,
    fcallsPerSec: 10 * n,
    redisCpuPercent: 1.1 * n,
    stalenessProbed: staleness !== undefined,
    stalenessP50Ms: staleness?.p50 ?? Number.NaN,
    stalenessP99Ms: staleness?.p99 ?? Number.NaN,
    samples: staleness?.samples ?? 0,
  });
  /** cluster-bench's phases in its order: full rate, fixed rate, staleness (from 2 instances on), idle. */
  const benchResult = (n: number, rate: number, staleness = { p50: 150, p99: 200, samples: 22 }) => ({
    phases: [
      phase("full rate (wrk)", n, rate),
      phase("2000/s (autocannon)", n, 2000),
      ...(n >= 2 ? [phase("instance 1 only (wrk), staleness on 2", n, rate / n, staleness)] : []),
      phase("idle", n, 0),
    ],
    exact: true,
  });
  const report = clusterReport(
    [
      [1, 30_000],
      [2, 50_000],
      [3, 60_000],
    ].map(([n, rate]) => pointOf(n as number, 1, 32, benchResult(n as number, rate as number))),
  );

  test("staleness comes from the staleness phase, not the full-rate one; with one instance there is none, said so", () => {
    const json = JSON.parse(JSON.stringify(report)) as BenchReport;
    assert.deepEqual(
      json.runs.map((r) => [r.instances, r.redis?.stalenessP99Ms, r.redis?.stalenessSamples]),
      [
        [1, undefined, undefined],
        [2, 200, 22],
        [3, 200, 22],
      ],
    );
    // req/s and Redis still come from the full-rate phase (the staleness phase loads instance 1 only).
    assert.deepEqual(
      json.runs.map((r) => r.result.reqPerSec.mean),
      [30_000, 50_000, 60_000],
    );
    const scaling = renderText(report).split("Instance scaling")[1] ?? "";
    assert.match(scaling, /\n1 +30,000 .*none \(1 instance\)/);
    assert.match(scaling, /\n2 +50,000 .* 200 ms +0/);
    assert.doesNotMatch(scaling, /– ms/, "no instance count shows an unmeasured staleness");
    assert.deepEqual(report.warnings, []);
    // A staleness phase that took no sample is not hidden: NaN (null in JSON) and a warning.
    const empty = clusterReport([
      pointOf(2, 1, 32, benchResult(2, 50_000, { p50: Number.NaN, p99: Number.NaN, samples: 0 })),
    ]);
    assert.match(empty.warnings.join("\n"), /2 instances: the staleness phase took no \/stats sample/);
    assert.match(renderText(empty).split("Instance scaling")[1] ?? "", /\n2 +50,000 .* – ms +0/);
    assert.throws(
      () => pointOf(2, 1, 32, { phases: [phase("full rate (wrk)", 2, 50_000)], exact: true }),
      /no staleness phase for 2 instances/,
    );
  });

  test("--cluster takes a list of counts; the report files come out of the arguments cluster-bench parses", () => {
    const a = parseClusterSweepArgs(["--cluster", "3,1,2,2", "--duration", "5", "--html", "r.html", "--json=r.json"]);
    assert.deepEqual(a.counts, [1, 2, 3]);
    assert.equal(a.html, "r.html");
    assert.equal(a.json, "r.json");
    assert.deepEqual(a.rest, ["--duration", "5"]);
    assert.deepEqual(parseClusterSweepArgs(["--cluster", "2"]).counts, [2]);
    assert.throws(() => parseClusterSweepArgs(["--cluster", "1,0"]), /instance counts like 2 or 1,2,3/);
    assert.throws(() => parseClusterSweepArgs(["--cluster"]), /--cluster needs a value/);
  });

  test("one point per instance count, the ideal linear line from the fewest, and Redis per point", () => {
    assert.deepEqual(report.failures, []);
    const charts = chartsOf(report);
    assert.deepEqual(
      charts.map((c) => c.kind),
      ["sweep", "redis", "errors"],
    );
    const [sweep, redis] = charts;
    assert.equal(sweep?.xLabel, "instances");
    assert.deepEqual(sweep?.xs, [1, 2, 3]);
    assert.deepEqual(sweep?.series[0]?.values, [30_000, 50_000, 60_000]);
    assert.deepEqual(sweep?.series[1]?.values, [30_000, 60_000, 90_000]);
    assert.deepEqual(redis?.xs, [1, 2, 3]);
    assert.deepEqual(
      redis?.series.map((x) => [x.label, x.axis, x.values]),
      [
        ["Redis commands/s (all)", "y", [120, 240, 360]],
        ["FCALL/s sent", "y", [10, 20, 30]],
        ["Redis CPU %", "y2", [1.1, 2.2, 3.3000000000000003]],
      ],
    );
    // The JSON report carries them per run; the text report has the instance-scaling table.
    const json = JSON.parse(JSON.stringify(report)) as BenchReport;
    assert.deepEqual(
      json.runs.map((r) => [r.instances, r.redis?.commandsPerSec, r.redis?.cpuPercent]),
      [
        [1, 120, 1.1],
        [2, 240, 2.2],
        [3, 360, 3.3000000000000003],
      ],
    );
    const text = renderText(report);
    assert.match(text, /\ncluster \(3 instances\) +1 +1 /);
    assert.match(text, /Instance scaling[\s\S]*\n3 +60,000 +2\.00 +90,000 +360 +30\.0 +3\.3 % +200 ms +0/);
  });
});
