import assert from "node:assert/strict";
import { appendFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { ManualClock } from "../../src/counters/clock.js";
import { createCounters } from "../../src/counters/shared-counters.js";
import { VisitCounter } from "../../src/counters/visit-counter.js";
import { Journal, listSegments, type Segment, segmentPath } from "../../src/store/journal.js";
import { countLines } from "../../src/store/line-count.js";
import { LineWriter } from "../../src/store/line-writer.js";
import { createRing, MIN_RING_BYTES, RingReader } from "../../src/store/ring.js";
import { VisitStore } from "../../src/store/visit-store.js";
import { describe, type TestContext, test } from "../helpers/node-test.js";
import { queryStore, tempDataDir } from "../helpers/store.js";

const START = Date.UTC(2026, 10, 25, 10, 0, 0, 0);
const bytes = (text: string) => new TextEncoder().encode(text);

interface Visit {
  body: string;
  userAgent?: string;
  address?: string;
}

/** Journal lines exactly as the worker and recorder write them, for these visits, counted from `first`. */
function journalLines(visits: Visit[], first = 1): Buffer {
  const ring = createRing(MIN_RING_BYTES);
  const counter = new VisitCounter(createCounters(START), 0, new ManualClock(START));
  for (let i = 1; i < first; i++) counter.count();
  const writer = new LineWriter(ring);
  for (const v of visits) assert.ok(writer.write(counter, bytes(v.body), false, v.userAgent, v.address) > 0);
  const pending = new RingReader(ring).pending();
  assert.equal(countLines(pending.views), visits.length);
  return Buffer.concat(pending.views);
}

function writeSegment(dir: string, seq: number, lines: Buffer | string): Segment {
  const path = segmentPath(dir, seq);
  writeFileSync(path, lines);
  return { seq, path, bytes: Buffer.byteLength(lines) };
}

async function openStore(t: TestContext, dir: string): Promise<VisitStore> {
  const store = await VisitStore.open(dir, "test");
  t.after(() => store.close());
  return store;
}

const rowsOf = (dir: string) =>
  queryStore(
    dir,
    "SELECT visit_count, epoch_ms(ts), user_id, page_url, user_agent, ip_address, referrer FROM visits ORDER BY 1",
  );

describe("visit journal → DuckDB", () => {
  test("DuckDB reads the worker's lines as they are: BOM, line breaks, escapes, unknown fields", async (t) => {
    const dir = tempDataDir(t);
    const store = await openStore(t, dir);
    const lines = journalLines([
      { body: '\ufeff{"user_id":"bom","page_url":"/b"}', userAgent: 'UA "quoted" \\ back\tslash', address: "::1" },
      { body: '{\r\n  "user_id": "pretty",\n  "page_url": "/p"\n}', userAgent: "ü-agent ✓" },
      {
        body: '{"user_id":"ü-1 ✓😀","page_url":"/a?q=\\"x\\"","referrer":"r\\n\\u0001","extra":{"deep":[1,{"x":null}]},"n":1e400}',
      },
      {
        body: '{"user_id":"own","page_url":"/o","user_agent":"body agent","ip_address":"2001:db8::1","referrer":null}',
        userAgent: "header agent",
        address: "10.0.0.1",
      },
    ]);
    assert.equal(lines.toString().split("\n").length, 5, "one line per visit");
    const result = await store.importJournal([writeSegment(dir, 1, lines)]);
    assert.deepEqual(result, { rows: 4, dropped: 0, rewritten: 0 }, "DuckDB's own reader took every line");
    assert.equal(await store.journalImported(), 1);
    store.close();
    assert.deepEqual(await rowsOf(dir), [
      [1n, BigInt(START), "bom", "/b", 'UA "quoted" \\ back\tslash', "::1", null],
      [2n, BigInt(START), "pretty", "/p", "ü-agent ✓", null, null],
      [3n, BigInt(START), "ü-1 ✓😀", '/a?q="x"', null, null, "r\n\u0001"],
      [4n, BigInt(START), "own", "/o", "body agent", "2001:db8::1", null],
    ]);
  });

  test("bodies only JavaScript's JSON rules read are stored as they were validated", async (t) => {
    const dir = tempDataDir(t);
    const store = await openStore(t, dir);
    const lines = journalLines([
      { body: '{"user_id":"first","user_id":"last","page_url":"/dup"}' },
      { body: '{"user_id":"x\\ud800y","page_url":"/lone"}' },
      { body: '{"user_id":"plain","page_url":"/p"}' },
    ]);
    const result = await store.importJournal([writeSegment(dir, 1, lines)]);
    assert.deepEqual(result, { rows: 3, dropped: 0, rewritten: 1 });
    store.close();
    assert.deepEqual(
      (await rowsOf(dir)).map((r) => r[2]),
      ["last", "x\ufffdy", "plain"],
    );
  });

  test("a torn last line is dropped and counted; the whole lines before it are imported", async (t) => {
    const dir = tempDataDir(t);
    const store = await openStore(t, dir);
    const segment = writeSegment(dir, 3, journalLines([{ body: '{"user_id":"a","page_url":"/"}' }]));
    appendFileSync(segment.path, '{"t":1,"h":null,"p":null,"b":{"user_id":"b","pag');
    const result = await store.importJournal([{ ...segment, bytes: segment.bytes + 40 }]);
    assert.deepEqual(result, { rows: 1, dropped: 1, rewritten: 1 });
    assert.equal(await store.journalImported(), 3);
    assert.equal(existsSync(`${segment.path}.clean`), false, "the rewrite is removed");
  });

  test("several segments go in one transaction, recorded up to the last one", async (t) => {
    const dir = tempDataDir(t);
    const store = await openStore(t, dir);
    const a = writeSegment(dir, 7, journalLines([{ body: '{"user_id":"a","page_url":"/"}' }], 1));
    const b = writeSegment(dir, 8, journalLines([{ body: '{"user_id":"b","page_url":"/"}' }], 2));
    assert.deepEqual(await store.importJournal([a, b]), { rows: 2, dropped: 0, rewritten: 0 });
    assert.equal(await store.journalImported(), 8);
    store.close();
    assert.deepEqual(
      (await rowsOf(dir)).map((r) => [r[0], r[2]]),
      [
        [1n, "a"],
        [2n, "b"],
      ],
    );
  });

  test("a commit of more pieces than one writev takes, from shared memory, lands whole and in order", (t) => {
    const dir = tempDataDir(t);
    const journal = new Journal(dir, 1);
    // Lines in a SharedArrayBuffer, as the recorder hands them over: views of the rings.
    const shared = new Uint8Array(new SharedArrayBuffer(64 * 1024));
    const pieces: Uint8Array[] = [];
    let at = 0;
    for (let i = 0; i < 2500; i++) {
      const line = new TextEncoder().encode(`${i}\n`);
      shared.set(line, at);
      pieces.push(shared.subarray(at, at + line.length));
      at += line.length + 3; // gaps between the pieces
    }
    const expected = Array.from({ length: 2500 }, (_, i) => `${i}\n`).join("");
    assert.equal(journal.commit(pieces, 1000), expected.length);
    assert.equal(readFileSync(segmentPath(dir, 1), "utf8"), expected);
    journal.close();
  });

  test("the journal appends durably, rotates into numbered segments and removes an empty last one", (t) => {
    const dir = tempDataDir(t);
    const journal = new Journal(dir, 5);
    assert.equal(journal.rotate(), undefined, "nothing to close while empty");
    assert.equal(journal.commit([Buffer.from("one\n")], 1000), 4);
    assert.equal(journal.commit([Buffer.from("tw"), new Uint8Array(0), Buffer.from("o\n")], 1500), 4);
    assert.equal(readFileSync(segmentPath(dir, 5), "utf8"), "one\ntwo\n");
    assert.equal(journal.bytes, 8);
    assert.equal(journal.ageMs(1600), 600, "age counts from the first line");
    const closed = journal.rotate();
    assert.deepEqual(closed, { seq: 5, path: segmentPath(dir, 5), bytes: 8 });
    assert.equal(journal.ageMs(1600), 0);
    assert.deepEqual(
      listSegments(dir).map((s) => [s.seq, s.bytes]),
      [
        [5, 8],
        [6, 0],
      ],
    );
    assert.equal(journal.close(), undefined);
    assert.deepEqual(
      listSegments(dir).map((s) => s.seq),
      [5],
    );
    assert.throws(() => new Journal(dir, 5), /EEXIST/, "a segment is never overwritten");
  });
});
