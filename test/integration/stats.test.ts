import assert from "node:assert/strict";
import { relativeSecond } from "../../src/counters/clock.js";
import { SEAL_LAG_SECONDS } from "../../src/counters/sealer.js";
import { epochMs, sealedUpTo } from "../../src/counters/shared-counters.js";
import { request, visit } from "../helpers/http.js";
import { after, describe, test } from "../helpers/node-test.js";
import { startTestService } from "../helpers/service.js";
import { until } from "../helpers/wait.js";

// A shared manual clock: every worker thread and the sealer see the time the test sets.
const service = await startTestService({ after }, { manualClock: true });
const clock = service.clock as NonNullable<typeof service.clock>;
const HOUR = 3_600_000;

const stats = async (query = "") => {
  const reply = await request(service.url, `/stats${query}`);
  assert.equal(reply.status, 200, reply.text);
  return reply.json;
};

/** Waits until the sealer (every 250 ms of real time) has folded every second the clock has made final. */
const sealed = () => {
  const c = service.counters;
  const last = () => relativeSecond(clock.nowMs(), epochMs(c)) - SEAL_LAG_SECONDS;
  return until("the sealer to fold the seconds the clock passed", () => sealedUpTo(c) >= last(), {
    detail: () => `sealed up to ${sealedUpTo(c)}, now final: ${last()}`,
  });
};

describe("GET /stats", () => {
  test("reports uptime, totals and the window in the documented shape", async () => {
    const body = await stats();
    assert.deepEqual(Object.keys(body).sort(), [
      "current_time",
      "recent_visits",
      "server_status",
      "timeframe_hours",
      "total_visits",
      "uptime_formatted",
      "uptime_seconds",
    ]);
    assert.equal(body.server_status, "running");
    assert.equal(body.timeframe_hours, 1);
    assert.match(body.current_time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.match(body.uptime_formatted, /^\d+h \d+m \d+s$/);
  });

  test("recent_visits counts only the visits inside the window, across threads and sealed seconds", async () => {
    const start = (await stats()).total_visits;
    for (let i = 0; i < 10; i++) assert.equal((await visit(service.url)).status, 200);
    clock.advance(2 * HOUR);
    await sealed();
    for (let i = 0; i < 3; i++) assert.equal((await visit(service.url)).status, 200);
    const now = await stats("?timeframe_hours=1");
    assert.equal(now.total_visits, start + 13);
    assert.equal(now.recent_visits, 3);
    assert.equal((await stats("?timeframe_hours=3")).recent_visits, 13);
    assert.equal((await stats("?timeframe_hours=168")).recent_visits, start + 13);
    assert.equal((await stats("?timeframe_hours=0.1")).recent_visits, 3);
    clock.advance(0.1 * HOUR); // 360 s: the last three fall just outside a 0.1 h window
    await sealed();
    assert.equal((await stats("?timeframe_hours=0.1")).recent_visits, 0);
    assert.equal((await stats("?timeframe_hours=0.2")).recent_visits, 3);
  });

  test("uptime follows the clock, hours not wrapped at 24", async () => {
    clock.advance(30 * HOUR);
    const body = await stats();
    assert.ok(body.uptime_seconds >= 30 * 3600);
    assert.match(body.uptime_formatted, /^(3[0-9]|[4-9][0-9])h \d+m \d+s$/);
  });

  const accepted: Array<[string, number]> = [
    ["0.5", 0.5],
    ["1e-1", 0.1],
    ["0.1", 0.1],
    ["168", 168],
    ["168.0", 168],
    ["+2", 2],
    [".5", 0.5],
  ];
  for (const [text, hours] of accepted) {
    test(`accepts timeframe_hours=${text}`, async () => {
      assert.equal((await stats(`?timeframe_hours=${encodeURIComponent(text)}`)).timeframe_hours, hours);
    });
  }

  test("ignores unknown parameters and uses the last timeframe_hours", async () => {
    assert.equal((await stats("?utm_source=x&timeframe_hours=2&timeframe_hours=3")).timeframe_hours, 3);
  });

  const rejected: Array<[string, string]> = [
    ["0.09", "greater_than_equal"],
    ["0", "greater_than_equal"],
    ["-1", "greater_than_equal"],
    ["168.01", "less_than_equal"],
    ["1e3", "less_than_equal"],
    ["NaN", "finite_number"],
    ["Infinity", "finite_number"],
    ["inf", "finite_number"],
    ["0x10", "float_parsing"],
    ["", "float_parsing"],
    ["abc", "float_parsing"],
    ["1_0", "float_parsing"],
    [" 1", "float_parsing"],
    ["1,5", "float_parsing"],
  ];
  for (const [text, type] of rejected) {
    test(`422 ${type} for timeframe_hours=${JSON.stringify(text)}`, async () => {
      const reply = await request(service.url, `/stats?timeframe_hours=${encodeURIComponent(text)}`);
      assert.equal(reply.status, 422);
      assert.equal(reply.json.detail.length, 1);
      assert.equal(reply.json.detail[0].type, type);
      assert.deepEqual(reply.json.detail[0].loc, ["query", "timeframe_hours"]);
    });
  }

  test("HEAD /stats answers headers only", async () => {
    const reply = await request(service.url, "/stats", { method: "HEAD" });
    assert.equal(reply.status, 200);
    assert.equal(reply.text, "");
    assert.ok(Number(reply.headers["content-length"]) > 50);
  });
});
