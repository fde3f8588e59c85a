/**
 * The bar of issue #16 on Redis's side: commands per instance per second stay
 * under 50 whatever the visit rate, counted the strict way (FCALL and every
 * command the function runs inside it). A count, not a timing: two instances'
 * sync tasks on their own timers against a real redis-server, idle, then at
 * 50,000 visits/s in all. Each instance is held to the bar, not their
 * average: MONITOR shows each FCALL (naming its node id) followed by the
 * commands it ran, and INFO commandstats checks MONITOR saw them all.
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

/** Commands per node id in MONITOR lines: its FCALLs (the node id is their 5th word) and the commands each ran. */
function commandsPerNode(lines: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  let node: string | undefined;
  for (const line of lines) {
    if (/^\S+ \[\d+ lua\]/.test(line)) {
      if (node !== undefined) counts.set(node, (counts.get(node) ?? 0) + 1);
      continue;
    }
    const words = [...line.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) => m[1]);
    node = words[0]?.toUpperCase() === "FCALL" ? words[4] : undefined;
    if (node !== undefined) counts.set(node, (counts.get(node) ?? 0) + 1);
  }
  return counts;
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

  /** Commands per second of each node id over PHASE_MS while `load` runs every 10 ms. */
  async function measure(load: () => void): Promise<Map<string, number>> {
    const before = await redis.commandCalls();
    const monitor = await redis.monitor();
    const t0 = performance.now();
    while (performance.now() - t0 < PHASE_MS) {
      load();
      await pause(10);
    }
    const seconds = (performance.now() - t0) / 1000;
    await pause(50); // the last lines on their way
    monitor.stop();
    const after = await redis.commandCalls();
    let counted = 0;
    for (const [command, n] of after)
      if (command !== "info" && command !== "monitor") counted += n - (before.get(command) ?? 0);
    const perNode = commandsPerNode(monitor.lines());
    let seen = 0;
    for (const n of perNode.values()) seen += n;
    // MONITOR ran within the commandstats window: it saw at most what was counted, and nearly all of it.
    assert.ok(seen <= counted && seen >= 0.9 * counted, `MONITOR saw ${seen} of ${counted} commands`);
    return new Map([...perNode].map(([node, n]) => [node, n / seconds]));
  }

  const show = (rates: Map<string, number>) => [...rates].map(([node, r]) => `${node} ${r.toFixed(1)}`).join(", ");

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
    t.diagnostic(`commands per second: idle ${show(idle)}; loaded ${show(loaded)} (${visits} visits)`);
    assert.ok(visits >= (2 * 25_000 * PHASE_MS) / 1000 / 2, `the load ran (${visits} visits)`);
    for (const [phase, rates] of [
      ["idle", idle],
      ["loaded", loaded],
    ] as const) {
      assert.deepEqual([...rates.keys()].sort(), ["a", "b"], `${phase}: both instances called`);
      for (const [node, rate] of rates)
        assert.ok(rate < BUDGET, `${phase}: ${node} sent ${rate.toFixed(1)} commands/s`);
    }
  });
});
