import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import type { DuckDBConnection } from "@duckdb/node-api";
import type { AnalyticsAnswer } from "../../src/analytics/messages.js";
import { QueryRunner } from "../../src/analytics/query-runner.js";
import { ensureRollupSchema, foldJournal, foldVisits, TABLES } from "../../src/analytics/rollups.js";
import { splitWindow } from "../../src/analytics/summary-sql.js";
import { analyticsWindow, FRESHNESS_MS } from "../../src/analytics/window.js";
import { type Segment, segmentPath } from "../../src/store/journal.js";
import { VisitStore } from "../../src/store/visit-store.js";
import { bruteForce, type GenVisit, generateVisits, journalLine, rng } from "../helpers/analytics.js";
import { describe, type TestContext, test } from "../helpers/node-test.js";
import { tempDataDir } from "../helpers/store.js";

const HOUR = 3_600_000;
/** `from` of the 1 h window falls on an hour boundary; the others end mid-second. */
const NOWS = [
  Date.UTC(2026, 11, 2, 10, 31, 7, 480),
  Date.UTC(2026, 11, 2, 10, 59, 59, 999),
  Date.UTC(2026, 11, 2, 10, 0, 0, 0) + 3_599_000 + 250,
  Date.UTC(2026, 11, 3, 0, 0, 2, 1),
];

function writeSegment(dir: string, seq: number, visits: readonly GenVisit[]): Segment {
  const path = segmentPath(dir, seq);
  const text = visits.map(journalLine).join("");
  writeFileSync(path, text);
  return { seq, path, bytes: Buffer.byteLength(text) };
}

/** Random times over the week before `now` and a little after, plus every minute and hour edge ± 1 ms near the windows' ends. */
function times(now: number, n: number, seed: number): number[] {
  const random = rng(seed);
  const out = Array.from({ length: n }, () => Math.floor(now - 170 * HOUR + random() * (170 * HOUR + 3000)));
  for (const hours of [0.1, 1, 1.5, 24, 168]) {
    const w = analyticsWindow(hours, now, false);
    for (const edge of [w.fromMs, Math.ceil(w.fromMs / HOUR) * HOUR, Math.ceil(w.fromMs / 60_000) * 60_000]) {
      out.push(edge - 1, edge, edge + 1);
    }
  }
  const hourBefore = Math.floor(now / HOUR) * HOUR;
  out.push(hourBefore - 1, hourBefore, now - FRESHNESS_MS, now - FRESHNESS_MS + 1, now - 1, now);
  return out;
}

async function open(t: TestContext, dir: string) {
  const store = await VisitStore.open(dir, "test");
  const runner = new QueryRunner(dir, () => store.connect());
  const c = await store.connect();
  const closed = { done: false };
  const close = async () => {
    if (closed.done) return;
    closed.done = true;
    await runner.close();
    c.closeSync();
    store.close();
  };
  t.after(close);
  return { store, runner, c, close };
}

async function check(runner: QueryRunner, visits: readonly GenVisit[], label: string, nows = NOWS) {
  for (const now of nows) {
    for (const hours of [0.1, 1, 1.5, 24, 168]) {
      const w = analyticsWindow(hours, now, false);
      const answer = (await runner.handle({
        kind: "analytics",
        id: "t",
        fromMs: w.fromMs,
        lastMs: w.lastMs,
        limit: 5,
        stepSeconds: w.stepSeconds,
        firstStepMs: w.firstStepMs,
        points: w.points,
      })) as AnalyticsAnswer;
      assert.ok(answer.ok, JSON.stringify(answer));
      assert.deepEqual(answer.numbers, bruteForce(visits, w, 5), `${label}: now=${now} timeframe_hours=${hours}`);
    }
  }
}

const count = async (c: DuckDBConnection, sql: string) => Number((await c.runAndReadAll(sql)).getRows()[0]?.[0]);

describe("analytics summary tables against a brute-force count", () => {
  test("splitWindow: whole units inside the window, raw ms at its two ends", () => {
    assert.deepEqual(splitWindow(1000, 7_199_999, HOUR), { first: 1, last: 1, raw: [[1000, 3_599_999]] });
    assert.deepEqual(splitWindow(0, 7_200_000, HOUR), { first: 0, last: 1, raw: [[7_200_000, 7_200_000]] });
    assert.deepEqual(splitWindow(1000, 3_599_999, HOUR), { first: 0, last: -1, raw: [[1000, 3_599_999]] });
    assert.deepEqual(splitWindow(3_600_000, 7_199_999, HOUR), { first: 1, last: 1, raw: [] });
  });

  test("rows imported late and out of time order, folded in small pieces between imports", async (t) => {
    const dir = tempDataDir(t);
    const { store, runner, c } = await open(t, dir);
    const now = NOWS[0] as number;
    const all = generateVisits(1200, times(now, 1100, 5), 99);
    // Times shuffled (generateVisits cycles through them in order): the imports are out of time order.
    const shuffled = [...all].sort((a, b) => ((a.c * 7919) % 1201) - ((b.c * 7919) % 1201));
    await ensureRollupSchema(c);
    let imported: GenVisit[] = [];
    for (const [i, part] of [shuffled.slice(0, 400), shuffled.slice(400, 700), shuffled.slice(700)].entries()) {
      await store.importJournal([writeSegment(dir, i + 1, part)]);
      imported = imported.concat(part);
      while ((await foldVisits(c, 97)) > 0) {} // fold in pieces that cut hours and minutes anywhere
      await check(runner, imported, `after import ${i + 1}`);
    }
    assert.equal(await count(c, `SELECT sum(n) FROM ${TABLES.narrow}`), all.length);
  });

  test("journal segments folded before their import are counted once, before and after it", async (t) => {
    const dir = tempDataDir(t);
    const { store, runner, c } = await open(t, dir);
    const now = NOWS[1] as number;
    const all = generateVisits(900, times(now, 800, 6), 7);
    const segments = [1, 2, 3].map((seq) => writeSegment(dir, seq, all.slice((seq - 1) * 250, seq * 250)));
    writeSegment(dir, 4, all.slice(750)); // the newest: read raw, never folded
    const held = `SELECT coalesce(sum(hi - lo + 1), 0) FROM ${TABLES.journalCounts}`;
    await check(runner, all, "segments 1-3 folded from the journal", [now]);
    assert.equal(await count(c, held), 750);
    assert.equal(await count(c, `SELECT count(*) FROM ${TABLES.journalCounts}`), 1, "one run of counts");
    // The import of 1 and 2 brings the same visits into `visits`: still counted once.
    await store.importJournal(segments.slice(0, 2));
    await check(runner, all, "1-2 imported and folded from `visits`", [now]);
    assert.equal(await count(c, held), 750, "kept until the fold's last segment is imported");
    // A segment imported before the fold reached it is folded from `visits` only.
    await store.importJournal([segments[2] as Segment, writeSegment(dir, 4, all.slice(750))]);
    writeSegment(dir, 5, []);
    await check(runner, all, "everything imported", [now]);
    assert.equal(await count(c, held), 0, "forgotten once imported and folded");
    assert.equal(await count(c, `SELECT sum(n) FROM ${TABLES.narrow}`), all.length);
  });

  test("a store made before the summary tables existed; a restart finds them and goes on", async (t) => {
    const dir = tempDataDir(t);
    const now = NOWS[2] as number;
    const all = generateVisits(800, times(now, 700, 8), 11);
    const first = await open(t, dir);
    await first.store.importJournal([writeSegment(dir, 1, all.slice(0, 500))]);
    const tables = async (c: DuckDBConnection) =>
      count(c, "SELECT count(*) FROM information_schema.tables WHERE table_name LIKE 'analytics_%'");
    assert.equal(await tables(first.c), 0, "no summary table before the first query");
    await check(first.runner, all.slice(0, 500), "first fold of an old store", [now]);
    assert.ok((await tables(first.c)) >= 9);
    await first.close();
    const second = await open(t, dir);
    assert.equal(await count(second.c, `SELECT value FROM ${TABLES.state} WHERE key = 'visits_folded'`), 500);
    await second.store.importJournal([writeSegment(dir, 2, all.slice(500))]);
    await check(second.runner, all, "after a restart", NOWS);
  });

  test("journal fold skips segments already imported, and only takes closed ones", async (t) => {
    const dir = tempDataDir(t);
    const { store, c } = await open(t, dir);
    const visits = generateVisits(30, [NOWS[0] as number], 1);
    await ensureRollupSchema(c);
    const a = writeSegment(dir, 1, visits.slice(0, 10));
    const b = writeSegment(dir, 2, visits.slice(10, 20));
    await store.importJournal([a]);
    assert.equal(await foldJournal(c, [a, b], 1), 1, "segment 1 is imported: only 2 is folded");
    assert.equal(await foldJournal(c, [a, b], 1), 0, "nothing twice");
    assert.equal(await count(c, `SELECT sum(hi - lo + 1) FROM ${TABLES.journalCounts}`), 10);
  });
});
