import assert from "node:assert/strict";
import { ManualClock } from "../../src/counters/clock.js";
import { Sealer } from "../../src/counters/sealer.js";
import { BUCKET_SECONDS, createCounters, MAX_SLOTS, MAX_WINDOW_SECONDS } from "../../src/counters/shared-counters.js";
import { formatUptime, StatsReader, windowSecondsFor } from "../../src/counters/stats-reader.js";
import { VisitCounter } from "../../src/counters/visit-counter.js";
import { describe, test } from "../helpers/node-test.js";

/** Deterministic PRNG so a failing timeline can be replayed from its seed. */
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MAX_SEALER_PAUSE_MS = 5 * 86_400_000;
const START = Date.UTC(2026, 10, 25, 10, 0, 0, 250);

function setup(baseTotal = 0) {
  const clock = new ManualClock(START);
  const counters = createCounters(START, { total: baseTotal, seconds: new Float64Array(0) });
  return {
    clock,
    counter: new VisitCounter(counters, 0, clock),
    sealer: new Sealer(counters, clock),
    reader: new StatsReader(counters, clock),
  };
}

describe("visit counter", () => {
  test("numbers visits 1, 2, 3 and continues from a restored total", () => {
    const fresh = setup();
    assert.deepEqual([fresh.counter.count(), fresh.counter.count(), fresh.counter.count()], [1, 2, 3]);
    const restored = setup(41);
    assert.equal(restored.counter.count(), 42);
    assert.equal(restored.reader.totalVisits(), 42);
    assert.equal(restored.reader.recentVisits(3600), 1, "restored visits are not in the window");
  });

  test("rejects a slot outside the shared layout", () => {
    const counters = createCounters(START);
    assert.throws(() => new VisitCounter(counters, MAX_SLOTS, new ManualClock(START)), RangeError);
  });
});

describe("recent visits equal a brute-force count", () => {
  const gaps = [0, 0, 1, 1, 2, 3, 59, 61, 359, 360, 3599, 3601, 86_400, MAX_WINDOW_SECONDS - 1, MAX_WINDOW_SECONDS + 5];
  const windows = [1, 2, 3, 360, 3600, 86_400, MAX_WINDOW_SECONDS];

  for (const seed of [1, 2, 3, 4, 5, 6]) {
    test(`random timeline, seed ${seed}`, () => {
      const rnd = mulberry32(seed);
      const { clock, counter, sealer, reader } = setup();
      const visits: number[] = []; // relative second of every visit
      const epoch = Math.floor(START / 1000) * 1000;
      for (let step = 0; step < 400; step++) {
        const gapMs =
          rnd() < 0.02
            ? (BUCKET_SECONDS + Math.floor(rnd() * BUCKET_SECONDS)) * 1000 // idle longer than the whole ring
            : (gaps[Math.floor(rnd() * gaps.length)] as number) * 1000 + Math.floor(rnd() * 1000);
        clock.advance(gapMs);
        counter.refreshSecond(); // the worker's 20 ms timer
        // The sealer runs on its own timer (every 250 ms in the service): across a
        // long gap it has run; across anything shorter than its documented
        // maximum pause (5 days) it may not have.
        if (gapMs > MAX_SEALER_PAUSE_MS || rnd() < 0.5) sealer.tick();
        const n = Math.floor(rnd() * 5);
        const second = Math.floor((clock.nowMs() - epoch) / 1000);
        for (let i = 0; i < n; i++) {
          counter.count();
          visits.push(second);
        }
        if (rnd() < 0.5) sealer.tick();
        for (const w of windows) {
          const expected = visits.filter((s) => s > second - w && s <= second).length;
          assert.equal(reader.recentVisits(w), expected, `step ${step}, window ${w}`);
        }
        assert.equal(reader.totalVisits(), visits.length);
      }
    });
  }

  test("a week of steady traffic wraps the ring and stays exact", () => {
    const { clock, counter, sealer, reader } = setup();
    /** [wall-clock second, visits in it]: the counter counts into the second it last refreshed to, which is now's. */
    const samples: Array<[number, number]> = [];
    for (let s = 0; s < BUCKET_SECONDS + 200_000; s += 97) {
      const n = s % 5;
      for (let i = 0; i < n; i++) counter.count();
      samples.push([Math.floor(clock.nowMs() / 1000), n]);
      clock.advance(97_000);
      counter.refreshSecond();
      sealer.tick();
    }
    const total = samples.reduce((sum, [, n]) => sum + n, 0);
    assert.equal(reader.totalVisits(), total);
    // The window is the current second and the 604,799 before it.
    const now = Math.floor(clock.nowMs() / 1000);
    const inWeek = samples.filter(([second]) => second > now - MAX_WINDOW_SECONDS).reduce((sum, [, n]) => sum + n, 0);
    assert.ok(inWeek > 0 && inWeek < total);
    assert.equal(reader.recentVisits(MAX_WINDOW_SECONDS), inWeek);
    // The window's edge, to the second: 3 visits in a second X, 4 in X + 1, then a week passes to X + 604,800.
    for (const n of [3, 4]) {
      for (let i = 0; i < n; i++) counter.count();
      clock.advance(1000);
      counter.refreshSecond();
      sealer.tick();
    }
    clock.advance((MAX_WINDOW_SECONDS - 2) * 1000);
    counter.refreshSecond();
    sealer.tick();
    assert.equal(reader.recentVisits(MAX_WINDOW_SECONDS), 4, "X + 1 is the window's first second, X is out");
    assert.equal(reader.recentVisits(MAX_WINDOW_SECONDS - 1), 0);
    assert.equal(reader.totalVisits(), total + 7);
  });
});

describe("counters rebuilt from stored history", () => {
  for (const seed of [11, 12, 13]) {
    test(`restored seconds answer every window like a brute-force count, seed ${seed}`, () => {
      const rnd = mulberry32(seed);
      const epochSecond = Math.floor(START / 1000);
      // Visits stored before this start: some older than a week, some in the very second of the start.
      const stored: number[] = [];
      for (let i = 0; i < 3000; i++) {
        const ago =
          rnd() < 0.1 ? MAX_WINDOW_SECONDS + Math.floor(rnd() * 86_400) : Math.floor(rnd() ** 3 * MAX_WINDOW_SECONDS);
        stored.push(epochSecond - ago);
      }
      const lost = 7; // counts handed out before a crash but never stored: the total is the highest count
      const perSecond = new Map<number, number>();
      for (const s of stored) perSecond.set(s, (perSecond.get(s) ?? 0) + 1);
      const seconds = new Float64Array([...perSecond].sort((a, b) => a[0] - b[0]).flat());
      const clock = new ManualClock(START);
      const counters = createCounters(START, { total: stored.length + lost, seconds });
      const counter = new VisitCounter(counters, 0, clock);
      const sealer = new Sealer(counters, clock);
      const reader = new StatsReader(counters, clock);
      const visits = [...stored];
      assert.equal(counter.count(), stored.length + lost + 1, "counting goes on from the restored total");
      visits.push(epochSecond);
      for (let step = 0; step < 60; step++) {
        clock.advance(Math.floor(rnd() * 20_000));
        counter.refreshSecond();
        if (rnd() < 0.7) sealer.tick();
        if (rnd() < 0.5) {
          counter.count();
          visits.push(Math.floor(clock.nowMs() / 1000));
        }
        const now = Math.floor(clock.nowMs() / 1000);
        for (const w of [1, 360, 3600, 86_400, MAX_WINDOW_SECONDS]) {
          const expected = visits.filter((s) => s > now - w && s <= now).length;
          assert.equal(reader.recentVisits(w), expected, `step ${step}, window ${w}`);
        }
      }
    });
  }
});

describe("formatUptime", () => {
  const cases: Array<[number, string]> = [
    [0, "0h 0m 0s"],
    [0.999, "0h 0m 0s"],
    [59.9, "0h 0m 59s"],
    [3600.5, "1h 0m 0s"],
    [3661, "1h 1m 1s"],
    [90_061, "25h 1m 1s"],
    [-1, "0h 0m 0s"],
  ];
  for (const [seconds, text] of cases) {
    test(`${seconds} s is "${text}"`, () => assert.equal(formatUptime(seconds), text));
  }
});

describe("windowSecondsFor", () => {
  const cases: Array<[number, number]> = [
    [0.1, 360],
    [1, 3600],
    [168, 604_800],
    [0.0001 + 0.1, 361],
    [1 / 3600, 1],
    [0.5, 1800],
  ];
  for (const [hours, seconds] of cases) {
    test(`${hours} h is ${seconds} s`, () => assert.equal(windowSecondsFor(hours), seconds));
  }
});
