/**
 * The bar of issue #16 on Redis's side: commands per instance per second stay
 * under 50 whatever the visit rate, counted the strict way (INFO commandstats:
 * FCALL and every command the function runs inside it). A count, not a
 * timing: two instances' sync tasks on their own timers against a real
 * redis-server, idle, then at 50,000 visits/s in all.
 */
import assert from "node:assert/strict";
import { ClusterState } from "../../src/cluster/cluster-state.js";
import { ClusterSync } from "../../src/cluster/cluster-sync.js";
import { RedisLink } from "../../src/cluster/redis-link.js";
import { systemClock } from "../../src/counters/clock.js";
import { createCounters } from "../../src/counters/shared-counters.js";
import { VisitCounter } from "../../src/counters/visit-counter.js";
import { createLogger } from "../../src/log.js";
import { after, before, describe, test } from "../helpers/node-test.js";
import { RedisServer, waitFor } from "../helpers/redis-server.js";
import { pause } from "../helpers/wait.js";

const BUDGET = 50;
const PHASE_MS = 3000;

function instance(url: string, nodeId: string) {
  const counters = createCounters(systemClock.nowMs());
  const state = new ClusterState();
  const link = new RedisLink(url, () => {});
  link.start();
  const log = createLogger("json", () => {});
  const sync = new ClusterSync({ counters, state, redis: link, clusterKey: "budget", nodeId, clock: systemClock, log });
  const counter = new VisitCounter(counters, 0, systemClock);
  let accepted = 0;
  return {
    state,
    sync,
    link,
    get accepted() {
      return accepted;
    },
    /** Up to `n` visits as a worker counts them (a number, then the counters); stops when numbers run out. */
    visits(n: number) {
      for (let i = 0; i < n && state.takeNumber() !== 0; i++) {
        counter.count();
        accepted++;
      }
    },
  };
}

describe("Redis commands per instance per second (INFO commandstats, FCALL and the commands inside)", () => {
  let redis: RedisServer;
  let nodes: ReturnType<typeof instance>[];

  before(async () => {
    redis = await RedisServer.start();
    nodes = [instance(redis.url, "a"), instance(redis.url, "b")];
    for (const n of nodes) n.sync.start();
    await waitFor("numbers on both instances", () => nodes.every((n) => n.state.numbersLeft() > 0));
  });
  after(async () => {
    for (const n of nodes) {
      await n.sync.stop(5000);
      await n.link.close();
    }
    await redis.stop();
  });

  /** Commands per instance per second over PHASE_MS while `load` runs every 10 ms. */
  async function measure(load: () => void): Promise<number> {
    const before = await redis.commandCalls();
    const t0 = performance.now();
    while (performance.now() - t0 < PHASE_MS) {
      load();
      await pause(10);
    }
    const seconds = (performance.now() - t0) / 1000;
    const after = await redis.commandCalls();
    let calls = 0;
    for (const [command, n] of after) if (command !== "info") calls += n - (before.get(command) ?? 0);
    return calls / seconds / nodes.length;
  }

  test("idle and at 50,000 visits/s in all, each instance sends under 50 commands a second", async (t) => {
    const idle = await measure(() => {});
    let last = performance.now();
    const loaded = await measure(() => {
      // 25,000 visits/s per instance, spread over the 10 ms ticks as time passes.
      const now = performance.now();
      const due = Math.round(((now - last) * 25_000) / 1000);
      last = now;
      for (const n of nodes) n.visits(due);
    });
    const visits = nodes.reduce((sum, n) => sum + n.accepted, 0);
    t.diagnostic(
      `commands per instance per second: idle ${idle.toFixed(1)}, loaded ${loaded.toFixed(1)} (${visits} visits)`,
    );
    assert.ok(visits >= (2 * 25_000 * PHASE_MS) / 1000 / 2, `the load ran (${visits} visits)`);
    assert.ok(idle < BUDGET, `idle: ${idle.toFixed(1)} commands/s per instance`);
    assert.ok(loaded < BUDGET, `loaded: ${loaded.toFixed(1)} commands/s per instance`);
  });
});
