import assert from "node:assert/strict";
import { AccessPolicy, isLoopback } from "../../src/analytics/access.js";
import { QueryGate } from "../../src/analytics/gate.js";
import { parseAnalyticsQuery, parseExportQuery, parseInstant } from "../../src/analytics/params.js";
import { analyticsWindow, isoSeconds } from "../../src/analytics/window.js";
import { describe, test } from "../helpers/node-test.js";

const bytes = (...b: number[]) => new Uint8Array(b).buffer;
const v4 = (a: number, b: number, c: number, d: number) => bytes(a, b, c, d);
const v6 = (...tail: number[]) => bytes(...new Array(16 - tail.length).fill(0), ...tail);

describe("who may use the operators' endpoints", () => {
  test("loopback: 127.0.0.0/8, ::1 and IPv4-mapped 127.x; nothing else", () => {
    const cases: Array<[ArrayBuffer, boolean]> = [
      [v4(127, 0, 0, 1), true],
      [v4(127, 255, 3, 9), true],
      [v4(128, 0, 0, 1), false],
      [v4(10, 0, 0, 1), false],
      [v4(0, 0, 0, 0), false],
      [v6(1), true],
      [v6(0xff, 0xff, 127, 0, 0, 1), true],
      [v6(0xff, 0xff, 10, 0, 0, 1), false],
      [v6(0, 0, 127, 0, 0, 1), false], // IPv4-compatible (deprecated), not loopback
      [v6(2), false],
      [bytes(0xfe, 0x80, ...new Array(13).fill(0), 1), false],
      [bytes(), false],
    ];
    for (const [peer, loopback] of cases) {
      assert.equal(isLoopback(new Uint8Array(peer)), loopback, Buffer.from(peer).toString("hex"));
    }
  });

  test("no token: loopback peers pass, others are forbidden; the peer is read only then", () => {
    const open = new AccessPolicy(null);
    assert.equal(open.tokenRequired, false);
    assert.equal(
      open.check("", () => v4(127, 0, 0, 1)),
      "ok",
    );
    assert.equal(
      open.check("Bearer anything", () => v4(192, 168, 1, 2)),
      "forbidden",
    );
    assert.equal(
      open.check("", () => v6(0xff, 0xff, 192, 168, 1, 2)),
      "forbidden",
    );
    const token = new AccessPolicy("s3cret-token-0123456789");
    let peerRead = false;
    const remote = () => {
      peerRead = true;
      return v4(192, 168, 1, 2);
    };
    assert.equal(token.check("Bearer s3cret-token-0123456789", remote), "ok");
    assert.equal(peerRead, false, "with a token the peer address is not needed");
  });

  test("with a token: exactly `Bearer <token>` (scheme in any case) passes, from any address", () => {
    const policy = new AccessPolicy("s3cret-token-0123456789");
    const far = () => v4(203, 0, 113, 5);
    const cases: Array<[string, "ok" | "unauthenticated"]> = [
      ["Bearer s3cret-token-0123456789", "ok"],
      ["bearer s3cret-token-0123456789", "ok"],
      ["BEARER   s3cret-token-0123456789 ", "ok"],
      ["", "unauthenticated"],
      ["Bearer", "unauthenticated"],
      ["Bearer ", "unauthenticated"],
      ["Basic s3cret-token-0123456789", "unauthenticated"],
      ["s3cret-token-0123456789", "unauthenticated"],
      ["Bearer s3cret-token-012345678", "unauthenticated"],
      ["Bearer s3cret-token-01234567890", "unauthenticated"],
      ["Bearer S3CRET-TOKEN-0123456789", "unauthenticated"],
      ["Bearer s3cret-token-0123456789 extra", "unauthenticated"],
    ];
    for (const [header, verdict] of cases) assert.equal(policy.check(header, far), verdict, header);
  });
});

describe("query parameters", () => {
  const loc = (r: ReturnType<typeof parseAnalyticsQuery> | ReturnType<typeof parseExportQuery>) =>
    r.ok ? [] : r.problems.map((p) => `${p.type}@${p.loc.join(".")}`);

  test("/analytics: defaults, the last value wins, every 422 with its loc", () => {
    assert.deepEqual(parseAnalyticsQuery(""), { ok: true, hours: 1, limit: 10 });
    assert.deepEqual(parseAnalyticsQuery("timeframe_hours=168&limit=100&x=1"), { ok: true, hours: 168, limit: 100 });
    assert.deepEqual(parseAnalyticsQuery("limit=5&limit=7&timeframe_hours=0.1"), { ok: true, hours: 0.1, limit: 7 });
    const bad: Array<[string, string[]]> = [
      ["limit=0", ["greater_than_equal@query.limit"]],
      ["limit=101", ["less_than_equal@query.limit"]],
      ["limit=-3", ["greater_than_equal@query.limit"]],
      ["limit=1.5", ["int_parsing@query.limit"]],
      ["limit=", ["int_parsing@query.limit"]],
      ["limit=ten", ["int_parsing@query.limit"]],
      ["limit=0x10", ["int_parsing@query.limit"]],
      ["timeframe_hours=0.09", ["greater_than_equal@query.timeframe_hours"]],
      ["timeframe_hours=168.01", ["less_than_equal@query.timeframe_hours"]],
      ["timeframe_hours=NaN", ["finite_number@query.timeframe_hours"]],
      ["timeframe_hours=0x1", ["float_parsing@query.timeframe_hours"]],
      ["timeframe_hours=", ["float_parsing@query.timeframe_hours"]],
      ["timeframe_hours=abc&limit=0", ["float_parsing@query.timeframe_hours", "greater_than_equal@query.limit"]],
    ];
    for (const [query, problems] of bad) assert.deepEqual(loc(parseAnalyticsQuery(query)), problems, query);
  });

  test("/export: format, from, to; every 422 with its loc", () => {
    assert.deepEqual(parseExportQuery(""), { ok: true, format: "parquet" });
    assert.deepEqual(parseExportQuery("format=csv&from=2026-12-01&to=2026-12-02T10:00:00Z"), {
      ok: true,
      format: "csv",
      fromMs: Date.UTC(2026, 11, 1),
      toMs: Date.UTC(2026, 11, 2, 10),
    });
    const bad: Array<[string, string[]]> = [
      ["format=xlsx", ["literal_error@query.format"]],
      ["format=", ["literal_error@query.format"]],
      ["format=CSV", ["literal_error@query.format"]],
      ["from=yesterday", ["datetime_parsing@query.from"]],
      ["to=2026-13-01", ["datetime_parsing@query.to"]],
      ["from=2026-02-30", ["datetime_parsing@query.from"]],
      [
        "from=x&to=y&format=z",
        ["literal_error@query.format", "datetime_parsing@query.from", "datetime_parsing@query.to"],
      ],
    ];
    for (const [query, problems] of bad) assert.deepEqual(loc(parseExportQuery(query)), problems, query);
    const literal = parseExportQuery("format=x");
    assert.equal(literal.ok ? "" : literal.problems[0]?.msg, "Input should be 'parquet', 'csv' or 'ndjson'");
  });

  test("ISO 8601 instants: zones, fractions, a date alone is UTC midnight", () => {
    const cases: Array<[string, number]> = [
      ["2026-12-02T09:31:07Z", Date.UTC(2026, 11, 2, 9, 31, 7)],
      ["2026-12-02T09:31:07.250Z", Date.UTC(2026, 11, 2, 9, 31, 7, 250)],
      ["2026-12-02T09:31:07.123456789Z", Date.UTC(2026, 11, 2, 9, 31, 7, 123)],
      ["2026-12-02T10:31:07+01:00", Date.UTC(2026, 11, 2, 9, 31, 7)],
      ["2026-12-02T04:01:07-0530", Date.UTC(2026, 11, 2, 9, 31, 7)],
      ["2026-12-02 09:31", Date.UTC(2026, 11, 2, 9, 31)],
      ["2026-12-02", Date.UTC(2026, 11, 2)],
    ];
    for (const [text, ms] of cases) assert.equal(parseInstant(text), ms, text);
    for (const text of ["", "2026", "2026-12-2", "12/02/2026", "2026-12-02T25:00Z", "2026-12-02T09:31:07+1"]) {
      assert.ok(Number.isNaN(parseInstant(text)), text);
    }
  });
});

describe("the window of an answer", () => {
  test("W seconds ending with the current second; step 60 × ceil(W / 21600); points cover it", () => {
    const now = Date.UTC(2026, 11, 2, 10, 31, 7, 480);
    const cases: Array<[number, number, number]> = [
      // hours, W, step
      [0.1, 360, 60],
      [1, 3600, 60],
      [6, 21600, 60],
      [6.0003, 21602, 120],
      [24, 86400, 240],
      [168, 604800, 1680],
    ];
    for (const [hours, seconds, step] of cases) {
      const w = analyticsWindow(hours, now, false);
      assert.equal(w.seconds, seconds);
      assert.equal(w.stepSeconds, step);
      assert.equal(w.toMs - w.fromMs, seconds * 1000);
      assert.equal(w.toMs, Date.UTC(2026, 11, 2, 10, 31, 8));
      assert.equal(w.lastMs, now - 2000);
      assert.equal(w.firstStepMs % (step * 1000), 0);
      assert.ok(w.firstStepMs <= w.fromMs && w.firstStepMs + step * 1000 > w.fromMs);
      const lastStep = w.firstStepMs + (w.points - 1) * step * 1000;
      assert.ok(lastStep < w.toMs && lastStep + step * 1000 >= w.toMs, `hours ${hours}`);
      assert.ok(w.points <= 362);
    }
    assert.equal(analyticsWindow(1, now, true).lastMs, now);
    const example = analyticsWindow(1, Date.UTC(2026, 11, 2, 10, 31, 6, 900), false);
    assert.equal(isoSeconds(example.fromMs), "2026-12-02T09:31:07Z");
    assert.equal(isoSeconds(example.toMs), "2026-12-02T10:31:07Z");
  });
});

describe("query gate", () => {
  test("at most `slots` at once, a bounded queue served in order, waits that time out", async () => {
    const gate = new QueryGate(2, 1, 50);
    const a = await gate.acquire();
    const b = await gate.acquire();
    assert.ok(a && b);
    assert.equal(gate.active, 2);
    const queued = gate.acquire();
    assert.equal(await gate.acquire(), undefined, "queue full: refused at once");
    a();
    a(); // twice: no effect
    const c = await queued;
    assert.ok(c, "the waiting one got the freed slot");
    assert.equal(gate.active, 2);
    assert.equal(await gate.acquire(), undefined, "the wait times out");
    b();
    c();
    assert.equal(gate.active, 0);
  });
});
