import assert from "node:assert/strict";
import { once } from "node:events";
import { BLOCK_SLOTS, ClusterState } from "../../src/cluster/cluster-state.js";
import { MAX_BLOCK, MIN_BLOCK, NumberBudget } from "../../src/cluster/number-budget.js";
import { spawnWorker } from "../../src/threads/spawn.js";
import { test } from "../helpers/node-test.js";

const THREADS = 4;
const PER_THREAD = 50_000;

test("4 threads take 200k numbers from small blocks added while they run: each number handed out once, none outside a block", async () => {
  const state = new ClusterState();
  // Blocks of 997 numbers with a gap of 3 after each (another instance's numbers), from a large first number.
  const first = 2 ** 40;
  const block = 997;
  const blocksNeeded = Math.ceil((THREADS * PER_THREAD) / block);
  const span = blocksNeeded * (block + 3);
  const seen = new SharedArrayBuffer(span);
  state.addBlock(first, block);
  let added = 1;
  const workers = Array.from({ length: THREADS }, () =>
    spawnWorker(new URL("../fixtures/take-numbers-worker.ts", import.meta.url), {
      workerData: { state: state.buffer, wanted: PER_THREAD, seen, offset: first },
    }),
  );
  const exits = workers.map((w) => once(w, "exit"));
  let running = true;
  Promise.all(exits).then(() => {
    running = false;
  });
  while (running) {
    // Refill whenever fewer than half a block is left, as the sync task does (at most BLOCK_SLOTS ahead).
    if (state.numbersLeft() < block / 2 && added < blocksNeeded) {
      state.addBlock(first + added * (block + 3), block);
      added++;
    }
    await new Promise((r) => setImmediate(r));
  }
  for (const [code] of await Promise.all(exits)) assert.equal(code, 0);
  const marks = new Uint8Array(seen);
  let taken = 0;
  for (let i = 0; i < span; i++) {
    const inBlock = i % (block + 3) < block;
    if (!inBlock) assert.equal(marks[i], 0, `number ${first + i} lies in a gap between blocks`);
    else if ((marks[i] as number) > 1) assert.fail(`number ${first + i} handed out ${marks[i]} times`);
    taken += marks[i] as number;
  }
  assert.equal(taken, THREADS * PER_THREAD);
  assert.equal(state.numbersLeft(), added * block - THREADS * PER_THREAD);
  assert.ok(added > BLOCK_SLOTS / 2, "enough blocks to wrap most of the table");
});

test("unused numbers come back as ranges over the last blocks", () => {
  const state = new ClusterState();
  assert.deepEqual(state.unusedRanges(), []);
  assert.equal(state.takeNumber(), 0, "no block: no number");
  state.addBlock(101, 10); // 101..110
  state.addBlock(500, 5); // 500..504
  for (let i = 0; i < 7; i++) state.takeNumber();
  assert.deepEqual(state.unusedRanges(), [
    [108, 110],
    [500, 504],
  ]);
  for (let i = 0; i < 5; i++) state.takeNumber();
  assert.deepEqual(state.unusedRanges(), [[502, 504]]);
  assert.equal(state.numbersLeft(), 3);
});

test("blocks follow the rate: at least MIN_BLOCK, about a second of traffic, asked for while a block's worth is left", () => {
  const budget = new NumberBudget();
  budget.observe(0, 0);
  assert.equal(budget.wanted(0), MIN_BLOCK);
  assert.equal(budget.wanted(MIN_BLOCK), 0);
  budget.observe(1000, 500_000); // 500k visits/s
  assert.equal(budget.wanted(600_000), 0);
  assert.equal(budget.wanted(499_999), 500_000);
  // A lull shrinks blocks gradually, never below the minimum.
  for (let t = 2000; t < 60_000; t += 1000) budget.observe(t, 500_000);
  assert.equal(budget.wanted(500), MIN_BLOCK);
});

test("a surge that empties the numbers between syncs doubles the block each time, up to MAX_BLOCK", () => {
  const budget = new NumberBudget();
  budget.observe(0, 0);
  const blocks = [budget.wanted(0)];
  for (let i = 0; i < 6; i++) blocks.push(budget.wanted(0));
  const doubling = [1, 2, 4, 8, 16, 32, 64].map((k) => Math.min(MAX_BLOCK, k * MIN_BLOCK));
  assert.deepEqual(blocks, doubling);
  assert.equal(blocks.at(-1), MAX_BLOCK);
});

test("ran dry: the next block covers the demand seen so far in the window, refused visits included", () => {
  const budget = new NumberBudget();
  budget.observe(0, 0);
  assert.equal(budget.wanted(0), MIN_BLOCK);
  budget.observe(50, 40_000); // 20,000 counted and 20,000 refused in 50 ms: 800,000 a second
  assert.equal(budget.wanted(0), 800_000);
});
