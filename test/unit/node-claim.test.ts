/** The newcomer's side of a node id's lease, on an injected clock (ms), table-driven. */
import assert from "node:assert/strict";
import { IN_USE_LEASES, NodeClaim } from "../../src/cluster/node-claim.js";
import { test } from "../helpers/node-test.js";

const LEASE = 5000;

/** One step at time `at`: Redis refused with `stamp` (expect `verdict`), a call failed, or ask the stamp to claim over. */
type Step =
  | { at: number; refused: string; verdict: "first sight" | "waiting" | "in use" }
  | { at: number; failed: true }
  | { at: number; lapsed: string };

const beats = (from: number, to: number, verdict: "waiting" | "in use" = "waiting"): Step[] =>
  Array.from({ length: Math.floor((to - from) / 1000) + 1 }, (_, i) => ({
    at: from + i * 1000,
    refused: String(from + i * 1000),
    verdict,
  }));

const cases: Array<{ name: string; steps: Step[] }> = [
  {
    name: "stands still: waited for, taken over after a whole lease",
    steps: [
      { at: 0, lapsed: "" },
      { at: 0, refused: "171", verdict: "first sight" },
      { at: 4999, refused: "171", verdict: "waiting" },
      { at: 4999, lapsed: "" },
      { at: 5000, lapsed: "171" },
    ],
  },
  {
    name: "moves once (a holder draining after SIGTERM beats, then releases): not fatal; the lease restarts",
    steps: [
      { at: 0, refused: "171", verdict: "first sight" },
      { at: 1200, refused: "172", verdict: "waiting" },
      { at: 5000, lapsed: "" },
      { at: 6199, lapsed: "" },
      { at: 6200, refused: "172", verdict: "waiting" },
      { at: 6200, lapsed: "172" },
    ],
  },
  {
    name: "moves for a while, then stands still (holder killed mid-drain): taken over a lease after the last move",
    steps: [
      { at: 0, refused: "s0", verdict: "first sight" },
      ...beats(1000, 8000),
      { at: 12_999, lapsed: "" },
      { at: 13_000, lapsed: "8000" },
    ],
  },
  {
    name: "keeps moving for two leases: in use",
    steps: [
      { at: 0, refused: "s0", verdict: "first sight" },
      ...beats(1000, 10_000),
      { at: 11_000, refused: "11000", verdict: "in use" },
    ],
  },
  {
    name: "moves, stands still under a lease, moves again: one run of moves",
    steps: [
      { at: 0, refused: "s0", verdict: "first sight" },
      { at: 1000, refused: "a", verdict: "waiting" },
      { at: 5900, refused: "b", verdict: "waiting" },
      { at: 10_000, refused: "c", verdict: "waiting" },
      { at: 11_000, refused: "d", verdict: "in use" },
    ],
  },
  {
    name: "moves, stands still a whole lease, moves again: a new run (re-armed)",
    steps: [
      { at: 0, refused: "s0", verdict: "first sight" },
      ...beats(1000, 4000),
      { at: 9000, refused: "4000", verdict: "waiting" },
      ...beats(10_000, 19_000),
      { at: 20_000, refused: "20000", verdict: "in use" },
    ],
  },
  {
    name: "Redis unreachable for longer than the lease: the outage is not time the stamp stood still",
    steps: [
      { at: 0, refused: "171", verdict: "first sight" },
      { at: 1000, failed: true },
      { at: 4000, failed: true },
      { at: 7000, failed: true },
      { at: 7000, lapsed: "" },
      { at: 7200, refused: "171", verdict: "waiting" },
      { at: 11_999, lapsed: "" },
      { at: 12_000, lapsed: "171" },
    ],
  },
  {
    name: "a failed call before the id was seen held changes nothing",
    steps: [
      { at: 0, failed: true },
      { at: 100, lapsed: "" },
      { at: 200, refused: "171", verdict: "first sight" },
      { at: 5200, lapsed: "171" },
    ],
  },
];

for (const { name, steps } of cases) {
  test(`node id lease: ${name}`, () => {
    const claim = new NodeClaim(LEASE);
    for (const [i, step] of steps.entries()) {
      const where = `step ${i} at ${step.at} ms`;
      if ("refused" in step) assert.equal(claim.refused(step.refused, step.at), step.verdict, where);
      else if ("failed" in step) claim.failed(step.at);
      else assert.equal(claim.lapsedStamp(step.at), step.lapsed, where);
    }
  });
}

test("node id lease: a token per process; in use after two leases of moves", () => {
  assert.notEqual(new NodeClaim().token, new NodeClaim().token);
  assert.equal(IN_USE_LEASES, 2);
});
