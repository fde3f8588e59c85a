import assert from "node:assert/strict";
import { Worker } from "node:worker_threads";
import { ManualClock } from "../../src/counters/clock.js";
import { createCounters } from "../../src/counters/shared-counters.js";
import { VisitCounter } from "../../src/counters/visit-counter.js";
import { parseVisitLine, type VisitRow } from "../../src/store/journal-repair.js";
import { countLines, firstLineTime } from "../../src/store/line-count.js";
import { LineWriter } from "../../src/store/line-writer.js";
import { createRing, MIN_RING_BYTES, RingReader, RingWriter } from "../../src/store/ring.js";
import { decodeLines } from "../helpers/journal-lines.js";
import { describe, test } from "../helpers/node-test.js";
import { Deadline } from "../helpers/wait.js";

const START = Date.UTC(2026, 10, 25, 10, 0, 0, 250);

function counter() {
  const clock = new ManualClock(START);
  return { clock, counter: new VisitCounter(createCounters(START), 0, clock) };
}

function drain(reader: RingReader): VisitRow[] {
  const pending = reader.pending();
  const rows = decodeLines(pending.views);
  assert.equal(countLines(pending.views), rows.length, "one line per visit");
  reader.commit(pending.end);
  return rows;
}

const body = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

describe("visit ring", () => {
  test("a record comes back with the body's fields, else the header's user agent and the peer address", () => {
    const ring = createRing(MIN_RING_BYTES);
    const { counter: c } = counter();
    const writer = new LineWriter(ring);
    assert.equal(
      writer.write(c, body({ user_id: "ü-1", page_url: "/a", referrer: "https://r" }), true, "UA/1 ✓", "::1"),
      1,
    );
    assert.equal(
      writer.write(
        c,
        body({ user_id: "u2", page_url: "/b", user_agent: "own", ip_address: "10.0.0.1", extra: [1] }),
        true,
        undefined,
        undefined,
      ),
      2,
    );
    const rows = drain(new RingReader(ring));
    assert.deepEqual(
      rows.map(({ tsMs: _, ...row }) => row),
      [
        {
          visitCount: 1,
          userId: "ü-1",
          pageUrl: "/a",
          userAgent: "UA/1 ✓",
          ipAddress: "::1",
          referrer: "https://r",
        },
        { visitCount: 2, userId: "u2", pageUrl: "/b", userAgent: "own", ipAddress: "10.0.0.1", referrer: null },
      ],
    );
    assert.ok(
      rows.every((r) => r.tsMs === START),
      "stamped with the counter's refresh time",
    );
  });

  test("header texts are written as JSON: plain ones as they are, the rest escaped", () => {
    const ring = createRing(MIN_RING_BYTES);
    const { counter: c } = counter();
    const writer = new LineWriter(ring);
    const agents = [
      "back\\slash",
      'say "hi" \\o/',
      "tab\there",
      "caf\u00e9",
      "lone \ud800",
      "~plain ASCII (x; y) 1.0~",
      "",
      "\u007f",
    ];
    for (const agent of agents) writer.write(c, body({ user_id: "u", page_url: "/p" }), true, agent, agent);
    const rows = drain(new RingReader(ring));
    assert.deepEqual(
      rows.map((r) => [r.userAgent, r.ipAddress]),
      agents.map((a) => [a, a]),
    );
  });

  test("an IPv4 peer given as a number is recorded as its dotted quad", () => {
    const ring = createRing(MIN_RING_BYTES);
    const { counter: c } = counter();
    const writer = new LineWriter(ring);
    const peers: Array<[number, string]> = [
      [0x7f000001, "127.0.0.1"],
      [0xcb007109, "203.0.113.9"],
      [0, "0.0.0.0"],
      [0xffffffff, "255.255.255.255"],
      [0x0a00ff0a, "10.0.255.10"],
    ];
    for (const [peer] of peers) writer.write(c, body({ user_id: "u", page_url: "/p" }), true, undefined, peer);
    assert.deepEqual(
      drain(new RingReader(ring)).map((r) => r.ipAddress),
      peers.map(([, text]) => text),
    );
  });

  test("each record keeps its own time and peer, however they change and alternate", () => {
    const ring = createRing(MIN_RING_BYTES);
    const { clock, counter: c } = counter();
    const writer = new LineWriter(ring);
    const peers: Array<[number | string | undefined, string | null]> = [
      [0x7f000001, "127.0.0.1"],
      [0x7f000001, "127.0.0.1"],
      [undefined, null],
      [0xcb007109, "203.0.113.9"],
      ["2001:db8::1", "2001:db8::1"],
      [0x7f000001, "127.0.0.1"],
      [0x0a000001, "10.0.0.1"],
    ];
    const expected: Array<[number, string | null]> = [];
    for (let i = 0; i < 40; i++) {
      // The clock moves on some records and not on others (the writer reuses what it spelled for a repeat).
      if (i % 3 === 0) clock.advance(i % 2 === 0 ? 1 : 999_999_999);
      c.refreshSecond();
      const [peer, text] = peers[i % peers.length] as [number | string | undefined, string | null];
      writer.write(c, body({ user_id: `u${i}`, page_url: "/p" }), true, undefined, peer);
      expected.push([Math.floor(c.refreshedAtMs), text]);
    }
    assert.deepEqual(
      drain(new RingReader(ring)).map((r) => [r.tsMs, r.ipAddress]),
      expected,
    );
    assert.equal(new Set(expected.map(([t]) => t)).size, 14, "the times did change");
  });

  test("visit counts of every width are written whole: each width's first and last, up to 2^53", () => {
    const ring = createRing(MIN_RING_BYTES);
    const counters = createCounters(START);
    const c = new VisitCounter(counters, 0, new ManualClock(START));
    const writer = new LineWriter(ring);
    // Three counts from each start: 9 → 10 → 11, 999_999 → 1_000_000 → 1_000_001, …, and 2^31 and 2^53's edges.
    const starts = [1, 2 ** 31 - 2, 2 ** 53 - 3];
    for (let p = 10; p <= 1e15; p *= 10) starts.push(p - 1);
    const written: number[] = [];
    for (const start of starts) {
      counters.total[0] = BigInt(start - 1);
      for (let i = 0; i < 3; i++)
        written.push(writer.write(c, body({ user_id: "u", page_url: "/p" }), true, undefined, undefined));
    }
    assert.deepEqual(
      written,
      starts.flatMap((start) => [start, start + 1, start + 2]),
    );
    assert.ok(written.includes(1_000_000) && written.includes(9_999_999 + 1), "7 and 8 digits, from their first");
    assert.deepEqual(
      drain(new RingReader(ring)).map((r) => r.visitCount),
      written,
    );
  });

  test("a body with raw line breaks stays one journal line unless the scanner said it had none", () => {
    const ring = createRing(MIN_RING_BYTES);
    const { counter: c } = counter();
    const writer = new LineWriter(ring);
    const pretty = new TextEncoder().encode('{\r\n "user_id": "u",\n "page_url": "/p"\n}');
    writer.write(c, pretty, false, undefined, undefined);
    const reader = new RingReader(ring);
    const line = Buffer.concat(reader.pending().views).toString("utf8");
    assert.equal(line.indexOf("\n"), line.length - 1, "one line break, the one ending the line");
    assert.ok(!line.includes("\r"));
    assert.equal(parseVisitLine(line).userId, "u");
  });

  test("a full ring refuses the record and counts nothing; a commit frees the space", () => {
    const ring = createRing(MIN_RING_BYTES);
    const { counter: c } = counter();
    const writer = new LineWriter(ring);
    const big = body({ user_id: "u", page_url: "x".repeat(8000) });
    let accepted = 0;
    while (writer.write(c, big, true, undefined, undefined) !== 0 && accepted <= 8) accepted++;
    assert.equal(accepted, 8, "64 KiB holds eight 8 KB records");
    assert.equal(Number(c.count()), accepted + 1, "the refused visit took no number");
    const reader = new RingReader(ring);
    assert.equal(drain(reader).length, accepted);
    assert.equal(writer.write(c, big, true, undefined, undefined), accepted + 2);
  });

  test("the fill check follows the reader: over half full until it frees the space", () => {
    const ring = createRing(MIN_RING_BYTES);
    const writer = new RingWriter(ring);
    const reader = new RingReader(ring);
    const put = (bytes: number) => {
      assert.ok(writer.reserve(bytes) >= 0);
      writer.publish(bytes);
    };
    put(MIN_RING_BYTES / 2);
    assert.equal(writer.fillAbove(0.5), false, "exactly half is not over half");
    put(8);
    assert.equal(writer.fillAbove(0.5), true);
    reader.commit(reader.pending().end);
    assert.equal(writer.fillAbove(0.5), false, "the reader's commit is seen without a reserve in between");
    assert.equal(writer.fillAbove(0), false);
  });

  test("records wrap around the end of the ring in order, many times over", () => {
    const ring = createRing(MIN_RING_BYTES);
    const { counter: c } = counter();
    const writer = new LineWriter(ring);
    const reader = new RingReader(ring);
    const seen: number[] = [];
    let sizes = 0;
    let refusedInARow = 0;
    for (let i = 0; i < 5000; i++) {
      sizes = (sizes * 7 + 13) % 3000;
      const count = writer.write(c, body({ user_id: `u${i}`, page_url: "p".repeat(sizes + 1) }), true, "a", "b");
      if (count === 0) {
        assert.ok(++refusedInARow < 2, `record ${i} refused by a ring just drained`);
        for (const row of drain(reader)) seen.push(row.visitCount);
        i--;
      } else refusedInARow = 0;
    }
    for (const row of drain(reader)) seen.push(row.visitCount);
    assert.deepEqual(
      seen,
      Array.from({ length: 5000 }, (_, i) => i + 1),
    );
  });

  test("a record that does not fit before the end starts at 0; the stretch it skips is spaces, read in order", () => {
    const ring = createRing(MIN_RING_BYTES);
    const { clock, counter: c } = counter();
    const writer = new LineWriter(ring);
    const reader = new RingReader(ring);
    const big = body({ user_id: "u", page_url: "x".repeat(20_000) });
    for (let i = 0; i < 3; i++) writer.write(c, big, true, undefined, undefined);
    reader.commit(reader.pending().end); // the next record no longer fits before the end
    clock.advance(5000);
    c.refreshSecond();
    writer.write(c, big, true, undefined, undefined);
    const pending = reader.pending();
    assert.equal(pending.views.length, 2, "the end of the ring, then its start");
    const skipped = pending.views[0] as Uint8Array;
    assert.ok(skipped.length > 0 && skipped.every((b) => b === 0x20));
    assert.equal(firstLineTime(skipped), Number.NaN, "filler alone holds no line");
    assert.equal(firstLineTime(pending.views[1] as Uint8Array), START + 5000);
    assert.deepEqual(
      drain(reader).map((r) => r.visitCount),
      [4],
    );
  });

  test("the first line's time is read after any filler; anything else is not a time", () => {
    const bytes = (text: string) => new TextEncoder().encode(text);
    assert.equal(firstLineTime(bytes('{"t":1764650000123,"h":null}\n')), 1764650000123);
    assert.equal(firstLineTime(bytes('     {"t":7,"h":null}\n')), 7);
    assert.equal(firstLineTime(bytes('{"t":')), Number.NaN);
    assert.equal(firstLineTime(bytes("")), Number.NaN);
  });

  test("positions keep working across the 2^32 wrap of the byte counters", () => {
    const ring = createRing(MIN_RING_BYTES);
    const control = new Int32Array(ring, 0, 8);
    const nearWrap = (2 ** 32 - 1000) | 0;
    control[0] = nearWrap; // tail
    control[1] = nearWrap; // head
    const writer = new RingWriter(ring);
    const reader = new RingReader(ring);
    let published = 0;
    const text = `${"x".repeat(199)}\n`;
    const line = new TextEncoder().encode(text);
    for (let i = 0; i < 100; i++) {
      const at = writer.reserve(line.length);
      assert.ok(at >= 0);
      writer.views.bytes.set(line, at);
      writer.publish(line.length);
      published++;
      const pending = reader.pending();
      assert.equal(countLines(pending.views), 1);
      assert.equal(Buffer.concat(pending.views).toString(), text, "whole, across the end of the ring too");
      reader.commit(pending.end);
    }
    assert.equal(published, 100);
  });

  test("a consumer on another thread reads exactly what a producer publishes, under contention", async (t) => {
    const ring = createRing(MIN_RING_BYTES);
    const total = 20_000;
    // Producer: a worker thread writing lines numbered 1..total of varied length, by the ring's rules, spinning when full.
    const producer = new Worker(
      `
      const { workerData } = require("node:worker_threads");
      const control = new Int32Array(workerData.ring, 0, 8);
      const bytes = new Uint8Array(workerData.ring, 32);
      const cap = workerData.ring.byteLength - 32;
      let tail = 0;
      for (let n = 1; n <= ${total}; n++) {
        const line = String(n).padEnd(8 + (n % 5) * 9, " ") + "\\n";
        const size = line.length;
        for (;;) {
          const head = Atomics.load(control, 1) >>> 0;
          const off = tail & (cap - 1);
          const untilEnd = cap - off;
          const need = untilEnd >= size ? size : untilEnd + size;
          if (((tail - head) >>> 0) + need <= cap) {
            if (untilEnd < size) { bytes.fill(0x20, off); tail = (tail + untilEnd) >>> 0; }
            const at = tail & (cap - 1);
            for (let i = 0; i < size; i++) bytes[at + i] = line.charCodeAt(i);
            tail = (tail + size) >>> 0;
            Atomics.store(control, 0, tail | 0);
            break;
          }
        }
      }`,
      { eval: true, workerData: { ring } },
    );
    // Listened for now: the producer may finish (and its exit event pass) while the consumer still reads.
    const exited = new Promise((r) => producer.once("exit", r));
    // A wrong wrap would leave the consumer waiting forever: stop the producer and fail instead.
    t.after(() => producer.terminate());
    const deadline = new Deadline(`${total} lines through the ring`, 20_000);
    const reader = new RingReader(ring);
    const got: number[] = [];
    while (got.length < total) {
      deadline.check(() => `${got.length} read, the last ${got.at(-1)}`);
      const pending = reader.pending();
      const text = Buffer.concat(pending.views).toString("latin1");
      for (const line of text.split("\n").slice(0, -1)) got.push(Number(line.trim()));
      assert.equal(countLines(pending.views), text.split("\n").length - 1);
      reader.commit(pending.end);
      await new Promise((r) => setImmediate(r));
    }
    await exited;
    assert.equal(got.length, total);
    assert.ok(
      got.every((n, i) => n === i + 1),
      "every record once, in order",
    );
  });
});
