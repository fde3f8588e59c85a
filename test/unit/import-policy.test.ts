/**
 * When the journal goes to DuckDB: the policy's decisions, the idle meter and
 * the importer's slices, all on an injected clock (the nowMs passed in) and an
 * injected CPU source, so nothing here depends on how fast the machine is.
 */
import assert from "node:assert/strict";
import {
  type CpuTimes,
  FORCED_SLICE_BYTES,
  IDLE_SHARE_TO_IMPORT,
  IDLE_SLICE_BYTES,
  IDLE_WINDOW_MS,
  IdleMeter,
  MAX_DEFER_MS,
  nextImportBytes,
} from "../../src/store/import-policy.js";
import type { Segment } from "../../src/store/journal.js";
import { importBatches, JournalImporter, type JournalSource } from "../../src/store/journal-importer.js";
import type { JournalImport } from "../../src/store/visit-store.js";
import { describe, test } from "../helpers/node-test.js";

const MiB = 1024 * 1024;
const turn = () => new Promise((resolve) => setImmediate(resolve));

describe("the import policy", () => {
  const base = { waitingBytes: 1000, oldestWaitMs: 1000, idleShare: 0, deferBytes: 512 * MiB };
  test("it waits for idle CPU, within the backlog and age limits", () => {
    assert.equal(nextImportBytes({ ...base, waitingBytes: 0, idleShare: 1 }), 0, "nothing waits");
    assert.equal(nextImportBytes(base), 0, "busy machine, small backlog: wait");
    // A load generator and one server thread on a 2-core box leave it a little idle (each waits on the other).
    assert.equal(nextImportBytes({ ...base, idleShare: 0.25 }), 0, "a box saturated by a load test is busy");
    assert.equal(nextImportBytes({ ...base, idleShare: undefined }), 0, "no reading since the last slice: wait");
    assert.equal(nextImportBytes({ ...base, idleShare: IDLE_SHARE_TO_IMPORT }), IDLE_SLICE_BYTES, "idle enough");
  });

  test("at the backlog or age limit, or with --journal-defer-mib 0, it imports whatever the load", () => {
    for (const idleShare of [0, undefined]) {
      assert.equal(nextImportBytes({ ...base, idleShare, waitingBytes: 512 * MiB }), FORCED_SLICE_BYTES, "backlog");
      assert.equal(nextImportBytes({ ...base, idleShare, oldestWaitMs: MAX_DEFER_MS }), FORCED_SLICE_BYTES, "age");
      assert.equal(nextImportBytes({ ...base, idleShare, deferBytes: 0 }), FORCED_SLICE_BYTES, "at once");
    }
    assert.equal(nextImportBytes({ ...base, waitingBytes: 512 * MiB - 1 }), 0, "just under the limit: wait");
    assert.equal(nextImportBytes({ ...base, oldestWaitMs: MAX_DEFER_MS - 1 }), 0, "just under the age: wait");
  });

  test("slices are whole segments, oldest first, at least one each", () => {
    const seg = (seq: number, mib: number): Segment => ({ seq, path: `s${seq}`, bytes: mib * MiB });
    const segments = [seg(1, 3), seg(2, 4), seg(3, 2), seg(4, 20), seg(5, 1)];
    assert.deepEqual(
      importBatches(segments, 8 * MiB).map((b) => b.map((s) => s.seq)),
      [[1, 2], [3], [4], [5]],
    );
  });
});

/** A CPU source the test moves by hand: `busy` and `idle` add time as a 2-core machine would. */
class FakeCpu {
  private times: CpuTimes = { idle: 0, total: 0 };
  reads = 0;
  read = (): CpuTimes => {
    this.reads++;
    return this.times;
  };
  /** `ms` of wall time on 2 cores, `idleShare` of it idle. */
  pass(ms: number, idleShare: number): void {
    this.times = { idle: this.times.idle + 2 * ms * idleShare, total: this.times.total + 2 * ms };
  }
}

describe("the idle meter", () => {
  test("reads the idle share once a window is over, each window on its own", () => {
    const cpu = new FakeCpu();
    const meter = new IdleMeter(0, cpu.read);
    cpu.pass(IDLE_WINDOW_MS - 1, 1);
    assert.equal(meter.read(IDLE_WINDOW_MS - 1), undefined, "the window is not over");
    cpu.pass(1, 1);
    assert.equal(meter.read(IDLE_WINDOW_MS), 1);
    cpu.pass(IDLE_WINDOW_MS, 0.25);
    assert.equal(meter.read(2 * IDLE_WINDOW_MS), 0.25, "the idle stretch before does not count");
  });

  test("a restart forgets what came before it (the import's own CPU)", () => {
    const cpu = new FakeCpu();
    const meter = new IdleMeter(0, cpu.read);
    cpu.pass(3 * IDLE_WINDOW_MS, 0.5); // an import kept one of two cores busy
    meter.restart(3 * IDLE_WINDOW_MS);
    cpu.pass(IDLE_WINDOW_MS - 1, 1);
    assert.equal(meter.read(4 * IDLE_WINDOW_MS - 1), undefined, "a new window began at the restart");
    cpu.pass(1, 1);
    assert.equal(meter.read(4 * IDLE_WINDOW_MS), 1);
  });
});

/** A journal whose segments close when the test says so, one per tick as the real one rotates. */
class FakeJournal implements JournalSource {
  readonly bytes = 0;
  private readonly closing: Segment[] = [];
  private seq = 1;
  ageMs(): number {
    return this.closing.length > 0 ? Number.POSITIVE_INFINITY : 0;
  }
  rotate(): Segment | undefined {
    return this.closing.shift();
  }
  close(): Segment | undefined {
    return this.closing.shift();
  }
  /** Segments of these sizes close at the next ticks, one per tick. */
  fill(...mib: number[]): void {
    for (const m of mib)
      this.closing.push({ seq: this.seq, path: `/nonexistent/journal-${this.seq++}`, bytes: m * MiB });
  }
}

/** A store whose imports finish when the test says so. */
class FakeStore {
  readonly imported: number[][] = [];
  private finish: (() => void) | undefined;
  importJournal(segments: readonly Segment[]): Promise<JournalImport> {
    assert.equal(this.finish, undefined, "one import at a time");
    this.imported.push(segments.map((s) => s.seq));
    return new Promise((resolve) => {
      this.finish = () => {
        this.finish = undefined;
        resolve({ rows: segments.length, dropped: 0, rewritten: 0 });
      };
    });
  }
  /** Ends the running import (once started: a few turns of the event loop at most) and lets the importer see it. */
  async complete(): Promise<void> {
    for (let i = 0; i < 10 && this.finish === undefined; i++) await turn();
    assert.ok(this.finish, "an import is running");
    this.finish();
    for (let i = 0; i < 10; i++) await turn();
  }
}

function setup(deferMiB: number) {
  const cpu = new FakeCpu();
  const journal = new FakeJournal();
  const store = new FakeStore();
  const warnings: string[] = [];
  const importer = new JournalImporter(store, journal, {
    dataDir: "/nonexistent",
    deferBytes: deferMiB * MiB,
    warn: (m) => warnings.push(m),
    idle: new IdleMeter(0, cpu.read),
  });
  let now = 0;
  /** `ms` pass at this idle share, then the recorder ticks. */
  const tickAfter = (ms: number, idleShare: number) => {
    now += ms;
    cpu.pass(ms, idleShare);
    importer.tick(now);
  };
  return { cpu, journal, store, importer, warnings, tickAfter };
}

describe("the importer", () => {
  test("an import that began in a lull stops after its slice when the load comes back", async () => {
    const { journal, store, importer, tickAfter } = setup(512);
    journal.fill(6, 6, 6, 6); // a spike's backlog, one slice per segment
    tickAfter(IDLE_WINDOW_MS, 0.05);
    assert.deepEqual(store.imported, [], "busy: the backlog waits");
    tickAfter(IDLE_WINDOW_MS, 0.9); // a lull
    assert.deepEqual(store.imported, [[1]], "idle: one slice starts");
    tickAfter(IDLE_WINDOW_MS, 0.5); // load is back while the slice runs
    await store.complete();
    for (let i = 0; i < 4; i++) tickAfter(IDLE_WINDOW_MS, 0.1);
    assert.deepEqual(store.imported, [[1]], "busy again: no further slice");
    assert.equal(importer.pendingBytes, 18 * MiB);
    tickAfter(IDLE_WINDOW_MS, 0.8); // the next lull
    assert.deepEqual(store.imported, [[1], [2]]);
  });

  test("after a slice, it reads the idle share afresh: the slice's own CPU is not load", async () => {
    const { journal, store, tickAfter } = setup(512);
    journal.fill(6, 6);
    tickAfter(1, 0.9); // the first segment closes: a window begins
    tickAfter(IDLE_WINDOW_MS, 0.9);
    assert.deepEqual(store.imported, [[1]]);
    tickAfter(5 * IDLE_WINDOW_MS, 0.5); // the import alone kept one core of two busy
    await store.complete();
    tickAfter(1, 1); // the window begins at the first tick after the slice
    tickAfter(IDLE_WINDOW_MS - 1, 1);
    assert.deepEqual(store.imported, [[1]], "no decision before a whole window without an import");
    tickAfter(1, 1);
    assert.deepEqual(store.imported, [[1], [2]], "idle once the import's time is left out");
  });

  test("it reads the CPU times only while something waits for DuckDB", async () => {
    const { cpu, journal, store, tickAfter } = setup(512);
    const before = cpu.reads;
    for (let i = 0; i < 20; i++) tickAfter(IDLE_WINDOW_MS, 1);
    assert.equal(cpu.reads, before, "an empty backlog needs no reading");
    journal.fill(1);
    tickAfter(1, 1);
    tickAfter(IDLE_WINDOW_MS, 1);
    assert.deepEqual(store.imported, [[1]]);
    assert.ok(cpu.reads > before);
    await store.complete();
  });

  test("at the backlog limit it imports under full load, a slice at a time, until under the limit", async () => {
    const { journal, store, importer, tickAfter } = setup(100);
    journal.fill(40, 40, 40); // 120 MiB waiting, the limit is 100 MiB
    tickAfter(1, 0);
    tickAfter(1, 0);
    assert.deepEqual(store.imported, [], "80 MiB: under the limit, busy: it waits");
    tickAfter(1, 0);
    assert.deepEqual(store.imported, [[1]], "forced, and one 40 MiB segment per slice (two exceed a slice)");
    assert.ok(40 * MiB <= FORCED_SLICE_BYTES && 80 * MiB > FORCED_SLICE_BYTES);
    await store.complete();
    for (let i = 0; i < 4; i++) tickAfter(IDLE_WINDOW_MS, 0);
    assert.deepEqual(store.imported, [[1]], "80 MiB left, under the limit: it waits for idle CPU again");
    assert.equal(importer.pendingBytes, 80 * MiB);
    journal.fill(40); // the spike goes on: 120 MiB again
    tickAfter(1, 0);
    assert.deepEqual(store.imported, [[1], [2]], "over the limit again: imports at once, busy or not");
  });

  test("a visit that waited MAX_DEFER_MS is imported whatever the load", async () => {
    const { journal, store, tickAfter } = setup(512);
    journal.fill(1);
    tickAfter(1, 0); // it closes
    tickAfter(MAX_DEFER_MS - 1, 0);
    assert.deepEqual(store.imported, [], "not yet");
    tickAfter(1, 0);
    assert.deepEqual(store.imported, [[1]]);
    await store.complete();
  });

  test("shutdown imports everything left, whatever the load", async () => {
    const { journal, store, importer, tickAfter } = setup(512);
    journal.fill(6, 6, 6);
    for (let i = 0; i < 3; i++) tickAfter(IDLE_WINDOW_MS, 0);
    assert.deepEqual(store.imported, [], "busy: it waits");
    journal.fill(6); // the open segment, closed by drain()
    const drained = importer.drain();
    await store.complete();
    assert.equal(await drained, 0, "nothing left for the next start");
    assert.deepEqual(store.imported, [[1, 2, 3, 4]]);
  });
});
