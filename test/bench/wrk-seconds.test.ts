import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { scenario } from "../../bench/scenarios.js";
import { totalVisits } from "../../bench/targets.js";
import { runWrk } from "../../bench/wrk-run.js";
import { parseSecondsLine, samplesOf, secondsHook } from "../../bench/wrk-seconds.js";
import { describe, type TestContext, test } from "../helpers/node-test.js";
import { startTestService } from "../helpers/service.js";
import { until } from "../helpers/wait.js";

/**
 * A tiny server that answers every request at once, except that it holds
 * the answers to requests arriving between `holdFromMs` and `holdUntilMs`
 * after its first request (by its own clock) until `holdUntilMs`; Infinity:
 * never (wrk's stop leaves them unanswered). Closed when the test ends.
 */
async function pausingServer(t: TestContext, holdFromMs: number, holdUntilMs: number): Promise<string> {
  let first = -1;
  const held: ServerResponse[] = [];
  const answer = (res: ServerResponse) => {
    res.on("error", () => {}); // wrk may have closed the connection
    res.writeHead(200, { "content-type": "application/json" }).end("{}");
  };
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      const now = performance.now();
      if (first < 0) first = now;
      const since = now - first;
      if (since < holdFromMs || since >= holdUntilMs) answer(res);
      else if (Number.isFinite(holdUntilMs)) setTimeout(() => answer(res), holdUntilMs - since);
      else held.push(res);
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  t.after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A done line as the hook prints it. */
const line = (over: Record<string, string | number>) =>
  `Running 3s test @ http://127.0.0.1:1\n@bench-seconds ${JSON.stringify({
    counter: "request",
    threads: 1,
    requests: 0,
    duration_us: 2_400_000,
    connect: 0,
    read: 0,
    write: 0,
    status: 0,
    timeout: 0,
    t0_us: 5_000_000,
    last_us: 7_400_000,
    seconds: "",
    bad: "",
    p99_9_us: 4200,
    ...over,
  })}\n`;

describe("wrk's per-second counts from one process", () => {
  test("the done hook's line is parsed from wrk's output", () => {
    const l = parseSecondsLine(line({ requests: 250, seconds: "100,120,", bad: "0,1,", status: 1, read: 2 }));
    assert.equal(l.counter, "request");
    assert.equal(l.requests, 250);
    assert.deepEqual(l.finished, [100, 120]);
    assert.deepEqual(l.finishedBad, [0, 1]);
    assert.equal(l.readErrors, 2);
    assert.equal(l.p99_9Micros, 4200);
    assert.throws(() => parseSecondsLine("Running 1s test\n"), /no per-second counts/);
  });

  // Table: what each counter's seconds become, and that they add up to wrk's total.
  const cases: Array<{
    name: string;
    over: Record<string, string | number>;
    requests: number[];
    seconds: number[];
    /** Set when a count went below 0: the samples then overstate by this much, and a warning says so. */
    excess?: number;
  }> = [
    {
      name: "request hook: the connections' opening requests leave the first second, the last is what the total leaves",
      over: { requests: 260, seconds: "108,100,", t0_us: 5_000_000, last_us: 7_400_000 },
      requests: [100, 100, 60],
      seconds: [1, 1, 0.4],
    },
    {
      name: "response hook: answers as counted",
      over: { counter: "response", requests: 260, seconds: "100,100,", bad: "0,2,", status: 3 },
      requests: [100, 100, 60],
      seconds: [1, 1, 0.4],
    },
    {
      name: "a run shorter than a second is one sample",
      over: { requests: 40, seconds: "", last_us: 5_300_000, duration_us: 300_000 },
      requests: [40],
      seconds: [0.3],
    },
    {
      name: "a silent second in the middle closes at the next send: a zero count",
      over: { requests: 260, seconds: "108,0,100,", last_us: 8_400_000, duration_us: 3_400_000 },
      requests: [100, 0, 100, 60],
      seconds: [1, 1, 1, 0.4],
    },
    {
      name: "the server stalls in the last seconds: silent seconds up to wrk's measured duration, the last partial",
      over: { requests: 260, seconds: "108,100,", last_us: 7_400_000, duration_us: 4_500_000 },
      requests: [100, 100, 60, 0, 0],
      seconds: [1, 1, 1, 1, 0.5],
    },
    {
      name: "the same with the response hook",
      over: { counter: "response", requests: 200, seconds: "100,", last_us: 5_900_000, duration_us: 2_700_000 },
      requests: [100, 100, 0],
      seconds: [1, 1, 0.7],
    },
    {
      name: "wrk's stop check (every 100 ms) past a second's edge is no silent second",
      over: { requests: 260, seconds: "108,100,", last_us: 7_990_000, duration_us: 3_060_000 },
      requests: [100, 100, 60],
      seconds: [1, 1, 1],
    },
    {
      name: "more sends than answers (sent again after socket errors): the last count is 0, not negative, and flagged",
      over: { requests: 150, seconds: "108,100,", read: 3 },
      requests: [100, 100, 0],
      seconds: [1, 1, 0.4],
      excess: 50,
    },
    {
      name: "more sends than answers, and silent seconds after: clamped, flagged, padded",
      over: { requests: 150, seconds: "108,100,", write: 1, duration_us: 3_500_000 },
      requests: [100, 100, 0, 0],
      seconds: [1, 1, 1, 0.5],
      excess: 50,
    },
  ];
  for (const c of cases) {
    test(c.name, () => {
      const { samples, warnings } = samplesOf(parseSecondsLine(line(c.over)), 8);
      assert.deepEqual(
        samples.map((s) => s.requests),
        c.requests,
      );
      assert.deepEqual(
        samples.map((s) => Math.round(s.seconds * 1000) / 1000),
        c.seconds,
      );
      assert.deepEqual(
        samples.map((s) => s.t),
        c.requests.map((_, i) => i),
      );
      assert.equal(
        samples.reduce((n, s) => n + s.requests, 0),
        Number(c.over.requests) + (c.excess ?? 0),
      );
      assert.ok(
        Math.abs(samples.length - Number(c.over.duration_us ?? 2_400_000) / 1e6) <= 1,
        "points = seconds measured ± 1",
      );
      if (c.excess === undefined) assert.deepEqual(warnings, []);
      else {
        assert.equal(warnings.length, 1);
        assert.match(warnings[0] ?? "", new RegExp(`counted ${c.excess} more than wrk's ${c.over.requests} answers`));
      }
      for (const s of samples) assert.ok(Number.isNaN(s.p50) && Number.isNaN(s.p99), "no per-second latency");
    });
  }

  test("per-second non-2xx from the response hook; unknown per second (NaN) from the request hook once the run had any", () => {
    const response = samplesOf(
      parseSecondsLine(line({ counter: "response", requests: 30, seconds: "10,10,", bad: "0,2,", status: 3 })),
      4,
    ).samples;
    assert.deepEqual(
      response.map((s) => s.non2xx),
      [0, 2, 1],
    );
    const clean = samplesOf(parseSecondsLine(line({ requests: 30, seconds: "14,10," })), 4).samples;
    assert.deepEqual(
      clean.map((s) => [s.non2xx, s.errors, s.timeouts]),
      [
        [0, 0, 0],
        [0, 0, 0],
        [0, 0, 0],
      ],
    );
    const failing = samplesOf(
      parseSecondsLine(line({ requests: 30, seconds: "14,10,", status: 1, timeout: 1 })),
      4,
    ).samples;
    for (const s of failing) assert.ok(Number.isNaN(s.non2xx) && Number.isNaN(s.errors) && Number.isNaN(s.timeouts));
    assert.throws(() => samplesOf(parseSecondsLine(line({ threads: 2 })), 4), /wrk -t1/);
  });

  test("the hook is Lua for the thread (counting) and the main state (printing)", () => {
    const request = secondsHook("request");
    assert.match(request, /local scenario_request = request/);
    assert.doesNotMatch(
      request,
      /^response = /m,
      "the request counter defines no response hook (wrk would buffer headers)",
    );
    assert.match(secondsHook("response"), /^response = function\(status\)/m);
  });

  for (const counter of ["request", "response"] as const) {
    test(`a real wrk run counting in its ${counter} hook: a sample per second, adding up to wrk's count, which the server's bounds`, {
      timeout: 60_000,
    }, async (t) => {
      const service = await startTestService(t, { nWorkers: 1 });
      const connections = 4;
      const before = await totalVisits(service.url);
      const r = await runWrk(service.url, scenario("visit"), connections, 2, 10, counter);
      const samples = r.samples ?? [];
      assert.ok(r.requests > 0, "wrk sent load");
      assert.equal(r.errors + r.non2xx, 0);
      assert.equal(
        samples.reduce((n, s) => n + s.requests, 0),
        r.requests,
      );
      assert.ok(
        Math.abs(samples.length - r.durationSeconds) <= 1,
        `${samples.length} samples in ${r.durationSeconds} s`,
      );
      assert.ok(
        samples.every((s) => s.requests >= 0 && s.seconds > 0 && s.seconds <= 1),
        JSON.stringify(samples),
      );
      assert.equal(r.perSecondLatency, false);
      assert.equal(r.warnings, undefined, "no count clamped");
      assert.ok(r.latency.p99_9 >= r.latency.p99, `p99.9 from wrk's histogram: ${JSON.stringify(r.latency)}`);
      // wrk stops on a timer with up to one request per connection unanswered to it.
      let grew = -1;
      let last = -2;
      await until(
        "total_visits settles",
        async () => {
          last = grew;
          grew = (await totalVisits(service.url)) - before;
          return grew === last;
        },
        { everyMs: 150 },
      );
      assert.ok(grew >= r.visits2xx && grew - r.visits2xx <= connections, `server ${grew}, wrk ${r.visits2xx}`);
    });
  }
  // The samples add up to wrk's count by construction (the last is what the total leaves): these check the spread.
  test("a real wrk run against a server that holds its answers in the middle: a silent second between busy ones", {
    timeout: 60_000,
  }, async (t) => {
    // 3 s of load; answers held from 0.7 s to 2.3 s after the server's first request: second 1 lies inside the pause
    // with 0.3 s to spare at each edge, seconds 0 and 2 answer for 0.7 s each.
    const url = await pausingServer(t, 700, 2300);
    const r = await runWrk(url, scenario("visit"), 4, 3, 10, "request");
    const counts = (r.samples ?? []).map((s) => s.requests);
    assert.equal(r.errors + r.non2xx, 0);
    assert.ok(counts.length >= 3, JSON.stringify(counts));
    const [before, paused, after] = counts as [number, number, number];
    assert.ok(before > 0 && after > 0, `busy seconds answer: ${JSON.stringify(counts)}`);
    assert.ok(paused * 10 <= Math.min(before, after), `the held second is (near) silent: ${JSON.stringify(counts)}`);
  });

  test("a real wrk run against a server that stops answering: its silent last seconds are samples of 0", {
    timeout: 60_000,
  }, async (t) => {
    // 3 s of load; no answer after 1.3 s: without padding the samples would stop in second 1.
    const url = await pausingServer(t, 1300, Number.POSITIVE_INFINITY);
    const r = await runWrk(url, scenario("visit"), 4, 3, 10, "request");
    const samples = r.samples ?? [];
    const counts = samples.map((s) => s.requests);
    assert.ok(Math.abs(samples.length - r.durationSeconds) <= 1, `${samples.length} samples in ${r.durationSeconds} s`);
    assert.ok(samples.length >= 3, JSON.stringify(counts));
    assert.ok((counts[0] ?? 0) > 0, JSON.stringify(counts));
    assert.deepEqual(counts.slice(2), new Array(counts.length - 2).fill(0), "nothing answered after 1.3 s");
    assert.equal(
      counts.reduce((a, b) => a + b, 0),
      r.requests,
    );
  });
});
