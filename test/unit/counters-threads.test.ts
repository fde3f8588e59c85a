import assert from "node:assert/strict";
import { once } from "node:events";
import { SharedManualClock } from "../../src/counters/clock.js";
import { Sealer } from "../../src/counters/sealer.js";
import { createCounters, MAX_WINDOW_SECONDS } from "../../src/counters/shared-counters.js";
import { StatsReader } from "../../src/counters/stats-reader.js";
import { spawnWorker } from "../../src/threads/spawn.js";
import { test } from "../helpers/node-test.js";
import { Deadline } from "../helpers/wait.js";

const THREADS = 4;
const PER_THREAD = 100_000;

test("4 threads × 100k visits: every number 1..400k handed out once, sums exact while time moves and the sealer runs", async () => {
  const start = Date.UTC(2026, 10, 25, 10, 0, 0);
  const clock = new SharedManualClock(start);
  const counters = createCounters(start);
  const sealer = new Sealer(counters, clock);
  const reader = new StatsReader(counters, clock);
  const seen = new SharedArrayBuffer(THREADS * PER_THREAD + 1);
  const workers = Array.from({ length: THREADS }, (_, slot) =>
    spawnWorker(new URL("../fixtures/count-worker.ts", import.meta.url), {
      workerData: { counters: counters.buffer, clock: clock.buffer, slot, visits: PER_THREAD, seen },
    }),
  );
  const exits = workers.map((w) => once(w, "exit"));
  let running = true;
  Promise.all(exits).then(() => {
    running = false;
  });
  // Race the sealer against the writers: time jumps a second per turn, so seconds
  // are sealed while threads are still writing into their neighbours.
  let peeks = 0;
  const deadline = new Deadline(`${THREADS} threads to count ${PER_THREAD} visits each`, 45_000);
  while (running) {
    deadline.check(() => `${reader.totalVisits()} counted`);
    clock.advance(1000);
    sealer.tick();
    const recent = reader.recentVisits(MAX_WINDOW_SECONDS);
    const total = reader.totalVisits(); // read after: buckets never run ahead of the total
    assert.ok(recent <= total, `recent ${recent} > total ${total}`);
    peeks++;
    await new Promise((r) => setImmediate(r));
  }
  for (const [code] of await Promise.all(exits)) assert.equal(code, 0);
  clock.advance(10_000);
  sealer.tick();
  const marks = new Uint8Array(seen);
  assert.equal(marks[0], 0);
  for (let n = 1; n <= THREADS * PER_THREAD; n++) {
    if (marks[n] !== 1) assert.fail(`visit number ${n} was handed out ${marks[n]} times`);
  }
  assert.equal(reader.totalVisits(), THREADS * PER_THREAD);
  // Every visit happened within the last week: the sealed sums must account for each one.
  assert.equal(reader.recentVisits(MAX_WINDOW_SECONDS), THREADS * PER_THREAD);
  assert.ok(peeks > 1, "the sealer ran while the threads were writing");
});
