import assert from "node:assert/strict";
import { BenchUsageError, compareStore, defaultThreads, parseBenchArgs, parseDuration } from "../../bench/options.js";
import { scenario, wrkScript } from "../../bench/scenarios.js";
import { describe, test } from "../helpers/node-test.js";

describe("bench options", () => {
  test("defaults: 64 connections, 10 s, pipelining 1, every scenario, autocannon", () => {
    const o = parseBenchArgs([]);
    assert.equal(o.connections, 64);
    assert.equal(o.durationMs, 10_000);
    assert.equal(o.warmupMs, 2_000);
    assert.equal(o.pipelining, 1);
    assert.deepEqual(o.threads, [defaultThreads()]);
    assert.deepEqual(o.scenarios, ["visit", "mixed", "stats", "spike", "live"]);
    assert.equal(o.liveSubscribers, 5000);
    assert.equal(o.generator, "autocannon");
    assert.equal(o.compare, undefined);
    assert.equal(o.store, "batch", "the store npm start runs");
    assert.deepEqual(o.serverArgs, []);
  });

  test("--html asks for per-second samples, which wrk counts in one process; --wrk-slices asks for slices", () => {
    const plain = parseBenchArgs([]);
    assert.equal(plain.html, undefined);
    assert.equal(plain.perSecond, false, "wrk counts nothing per second unless asked");
    assert.equal(plain.wrkSlices, false);
    const html = parseBenchArgs(["--html", "out/report.html"]);
    assert.equal(html.html, "out/report.html");
    assert.equal(html.perSecond, true);
    assert.equal(html.wrkSlices, false, "--html does not slice wrk: the cheap counts");
    assert.equal(parseBenchArgs(["--per-second", "--json", "r.json"]).perSecond, true);
    const sliced = parseBenchArgs(["--wrk-slices"]);
    assert.equal(sliced.wrkSlices, true);
    assert.equal(sliced.perSecond, true);
  });

  test("--server-args reach every traffic-tracker the bench starts, split on spaces", () => {
    const o = parseBenchArgs(["--server-args", " --journal-defer-mib  0 --trust-proxy"]);
    assert.deepEqual(o.serverArgs, ["--journal-defer-mib", "0", "--trust-proxy"]);
  });

  test("a store mode against another: the cost of persistence in one run", () => {
    const o = parseBenchArgs(["--store", "strict", "--compare", "memory", "--min-ratio", "0.5"]);
    assert.equal(o.store, "strict");
    assert.equal(compareStore(o.compare), "memory");
    assert.equal(compareStore("http://10.0.0.5:8080"), undefined);
    assert.equal(compareStore("baseline"), undefined);
  });

  test("lists, durations and a comparison", () => {
    const o = parseBenchArgs([
      "--threads",
      "1,2,4",
      "--scenario",
      "visit,stats",
      "--duration",
      "500ms",
      "-c",
      "8",
      "--compare",
      "baseline",
      "--min-ratio",
      "0.9",
      "--generator",
      "wrk",
      "--json",
      "out.json",
    ]);
    assert.deepEqual(o.threads, [1, 2, 4]);
    assert.deepEqual(o.scenarios, ["visit", "stats"]);
    assert.equal(o.durationMs, 500);
    assert.equal(o.connections, 8);
    assert.equal(o.compare, "baseline");
    assert.equal(o.minRatio, 0.9);
    assert.equal(o.generator, "wrk");
    assert.equal(o.json, "out.json");
  });

  const durations: Array<[string, number]> = [
    ["10s", 10_000],
    ["1m", 60_000],
    ["250ms", 250],
    ["2", 2_000],
    ["1.5s", 1_500],
  ];
  for (const [text, ms] of durations)
    test(`duration ${text} is ${ms} ms`, () => assert.equal(parseDuration(text, "--duration"), ms));

  const bad: Array<[string[], string]> = [
    [["--duration", "soon"], '--duration must be a duration like 10s, 500ms or 1m, got "soon"'],
    [["--duration", "0s"], '--duration must be a duration like 10s, 500ms or 1m, got "0s"'],
    [["--connections", "0"], '--connections must be a whole number from 1 to 100000, got "0"'],
    [["--threads", "1,x"], '--threads must be a whole number from 1 to 256, got "x"'],
    [["--scenario", "visit,burst"], '--scenario: unknown "burst" (choose from visit, mixed, stats, spike, live)'],
    [["--min-ratio", "0.9"], "--min-ratio needs --compare"],
    [["--store", "disk"], '--store must be one of memory, batch, strict, got "disk"'],
    [["--compare", "batch"], "--compare batch would measure the same thing as --store batch"],
    [["--compare", "fast"], '--compare takes a URL, baseline, or a store mode (memory, batch, strict), got "fast"'],
    [["--url", "nope"], '--url must be a URL like http://127.0.0.1:8080, got "nope"'],
    [
      ["--generator", "ab"],
      "option '-g, --generator <name>' argument 'ab' is invalid. Allowed choices are autocannon, wrk.",
    ],
  ];
  for (const [argv, message] of bad) {
    test(`rejects ${argv.join(" ")}`, () => {
      assert.throws(
        () => parseBenchArgs(argv),
        (error: unknown) => error instanceof BenchUsageError && error.message === message,
      );
    });
  }
});

describe("scenarios behind a load balancer", () => {
  test("--forwarded-for puts a client address in X-Forwarded-For on every visit, and into wrk's script", () => {
    assert.equal(parseBenchArgs([]).forwardedFor, false);
    assert.equal(parseBenchArgs(["--forwarded-for"]).forwardedFor, true);
    const direct = scenario("mixed");
    const proxied = scenario("mixed", true);
    assert.ok(direct.requests.every((r) => r.headers?.["x-forwarded-for"] === undefined));
    for (const r of proxied.requests.filter((r) => r.isVisit)) {
      assert.match(r.headers?.["x-forwarded-for"] ?? "", /^198\.51\.100\.\d+, 10\.0\.0\.2$/);
    }
    const lua = wrkScript(scenario("visit", true));
    assert.match(lua, /\["x-forwarded-for"\]="198\.51\.100\.1, 10\.0\.0\.2"/);
    assert.match(lua, /\["content-type"\]="application\/json"/);
    assert.doesNotMatch(wrkScript(scenario("visit")), /x-forwarded-for/);
  });
});
