import assert from "node:assert/strict";
import { cellLatency, latencyCell, percentileOf, SecondBuckets } from "../../bench/samples.js";
import { describe, test } from "../helpers/node-test.js";

describe("per-second samples", () => {
  test("nearest-rank percentiles", () => {
    const xs = Float64Array.from({ length: 100 }, (_, i) => i + 1);
    assert.equal(percentileOf(xs, 50), 50);
    assert.equal(percentileOf(xs, 99), 99);
    assert.equal(percentileOf(xs, 100), 100);
    assert.equal(percentileOf([7], 1), 7);
    assert.ok(Number.isNaN(percentileOf([], 50)));
  });

  test("latency cells: 10 µs below 10 ms, 0.1 ms to 100 ms, 1 ms beyond, each reported by its lower edge", () => {
    const cases: Array<[number, number]> = [
      [0, 0],
      [0.004, 0],
      [0.5, 0.5],
      [9.99, 9.99],
      [10, 10],
      [42.37, 42.3],
      [99.95, 99.9],
      [100, 100],
      [2345.6, 2345],
      [9999.9, 9999],
    ];
    for (const [ms, edge] of cases) assert.ok(Math.abs(cellLatency(latencyCell(ms)) - edge) < 1e-9, `${ms} ms`);
    assert.equal(latencyCell(60_000), latencyCell(10_000), "anything from 10 s on shares the last cell");
    for (let ms = 0; ms < 200; ms += 0.37)
      assert.ok(latencyCell(ms + 0.37) >= latencyCell(ms), "cells rise with latency");
  });

  test("responses land in the second they arrive in, and the samples add up to every response", () => {
    const start = 10_000;
    const b = new SecondBuckets(start);
    let sent = 0;
    // 3.4 s of answers: 100 in second 0, 200 in second 1, none in second 2, 50 in second 3.
    const plan: Array<[number, number]> = [
      [0, 100],
      [1, 200],
      [3, 50],
    ];
    for (const [second, n] of plan) {
      for (let i = 0; i < n; i++) {
        const status = i % 25 === 0 ? 503 : 200;
        b.response(start + second * 1000 + (i * 400) / n, status, second * 10 + (i % 10));
        sent++;
      }
    }
    b.error(start + 1500, true);
    b.error(start + 1600, false);
    const samples = b.finish(start + 3400);
    assert.deepEqual(
      samples.map((s) => s.requests),
      [100, 200, 0, 50],
    );
    assert.equal(
      samples.reduce((n, s) => n + s.requests, 0),
      sent,
    );
    assert.deepEqual(
      samples.map((s) => s.t),
      [0, 1, 2, 3],
    );
    assert.deepEqual(
      samples.map((s) => Math.round(s.seconds * 1000)),
      [1000, 1000, 1000, 400],
      "the last sample lasts until the last answer",
    );
    assert.deepEqual(
      samples.map((s) => s.non2xx),
      [4, 8, 0, 2],
    );
    assert.equal(samples[1]?.errors, 2);
    assert.equal(samples[1]?.timeouts, 1);
    assert.equal(samples[0]?.p50, 4);
    assert.equal(samples[1]?.p99, 19);
    assert.ok(Number.isNaN(samples[2]?.p50 as number), "a second without answers has no latency");
  });

  test("with pipelining, an error reported once per pipelined request counts once", () => {
    const b = new SecondBuckets(0, 4);
    for (let i = 0; i < 4; i++) b.error(10, true);
    b.response(20, 200, 1);
    const [s] = b.finish(20);
    assert.equal(s?.errors, 1);
    assert.equal(s?.timeouts, 1);
  });
});
