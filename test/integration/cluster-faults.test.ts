/**
 * Cluster mode under faults, each ending with exact totals: every instance and
 * Redis agree on the number of 200s the cluster answered, and no visit number
 * was answered twice. Two in-process instances, 2 worker threads each.
 */
import assert from "node:assert/strict";
import { Agent } from "node:http";
import { request, visit } from "../helpers/http.js";
import { after, describe, test } from "../helpers/node-test.js";
import { FlakyProxy, RedisServer, waitFor } from "../helpers/redis-server.js";
import { startTestService, type TestService } from "../helpers/service.js";

const manual = { after: () => {} };
/** Two instances and a Redis started per test, then load and a fault: minutes on a loaded 2-core box. */
const SLOW = { timeout: 240_000 };

/** Concurrent visits spread over `urls` until `stop()` is called. */
function load(urls: string[], concurrency = 16) {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const numbers = new Set<number>();
  let refused = 0;
  let running = true;
  const loops = Array.from({ length: concurrency }, async (_, k) => {
    for (let i = 0; running; i++) {
      const reply = await visit(urls[(k + i) % urls.length] as string, { user_id: `u${k}`, page_url: "/p" }, agent);
      if (reply.status === 200) {
        const n = reply.json.visit_count as number;
        assert.ok(!numbers.has(n), `visit_count ${n} answered twice`);
        numbers.add(n);
      } else {
        assert.equal(reply.status, 503, reply.text);
        assert.equal(reply.headers["retry-after"], "1");
        refused++;
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  });
  return {
    get accepted() {
      return numbers.size;
    },
    get refused() {
      return refused;
    },
    async stop() {
      running = false;
      await Promise.all(loops);
      agent.destroy();
      return numbers.size;
    },
  };
}

async function expectExactTotals(redis: RedisServer, key: string, instances: TestService[], accepted: number) {
  await waitFor(
    `every instance and Redis to hold exactly ${accepted}`,
    async () => {
      for (const s of instances) {
        if ((await request(s.url, "/stats")).json.total_visits !== accepted) return false;
      }
      return (await redis.number("GET", `{${key}}:total`)) === accepted;
    },
    15_000,
  );
  for (const s of instances) {
    const health = (await request(s.url, "/health")).json;
    assert.equal(health.cluster.pending_visits, 0);
    assert.equal((await request(s.url, "/stats")).json.recent_visits, accepted);
  }
}

const until = (what: string, check: () => boolean) => waitFor(what, check, 20_000);

describe("cluster mode under faults", () => {
  const redis: RedisServer[] = [];
  after(async () => {
    for (const r of redis) await r.stop();
  });

  async function cluster(key: string, via?: (port: number) => Promise<string>) {
    const r = await RedisServer.start();
    redis.push(r);
    const url = via ? await via(r.port) : r.url;
    const a = await startTestService(manual, { nWorkers: 2, redis: url, nodeId: "a", clusterKey: key });
    const b = await startTestService(manual, { nWorkers: 2, redis: url, nodeId: "b", clusterKey: key });
    await waitFor("both ready", async () => {
      return (await request(a.url, "/ready")).status === 200 && (await request(b.url, "/ready")).status === 200;
    });
    return { r, a, b, stop: async () => Promise.all([a.stop(), b.stop()]) };
  }

  test(
    "Redis paused (SIGSTOP) under load: counting goes on from reserved numbers, then 503; totals exact after",
    SLOW,
    async () => {
      const { r, a, b, stop } = await cluster("pause");
      const traffic = load([a.url, b.url]);
      await until("some visits", () => traffic.accepted > 300);
      r.signal("SIGSTOP");
      const pausedAt = traffic.accepted;
      await waitFor("/health degraded while Redis is paused", async () => {
        return (await request(a.url, "/health")).json.cluster.state === "degraded";
      });
      await until("visits answered during the pause", () => traffic.accepted > pausedAt + 100);
      r.signal("SIGCONT");
      const resumedAt = traffic.accepted;
      await until("visits after the pause", () => traffic.accepted > resumedAt + 300);
      const accepted = await traffic.stop();
      await expectExactTotals(r, "pause", [a, b], accepted);
      assert.equal((await request(a.url, "/health")).json.cluster.state, "ok");
      await stop();
    },
  );

  test("Redis killed (SIGKILL) and restarted from its append-only file: totals exact", SLOW, async () => {
    const { r, a, b, stop } = await cluster("crash");
    const traffic = load([a.url, b.url]);
    await until("some visits", () => traffic.accepted > 300);
    await r.kill();
    const killedAt = traffic.accepted;
    await until("visits while Redis is down", () => traffic.accepted > killedAt + 50 || traffic.refused > 20);
    await r.launch();
    const restartedAt = traffic.accepted;
    await until("visits after the restart", () => traffic.accepted > restartedAt + 300);
    const accepted = await traffic.stop();
    await expectExactTotals(r, "crash", [a, b], accepted);
    await stop();
  });

  test("replies lost after Redis applied the batch: the retries are not counted twice", SLOW, async () => {
    let proxy: FlakyProxy | undefined;
    const { r, a, b, stop } = await cluster("lost", async (port) => {
      proxy = await FlakyProxy.start(port);
      return proxy.url;
    });
    const p = proxy as FlakyProxy;
    const traffic = load([a.url, b.url]);
    for (let i = 0; i < 5; i++) {
      const before = p.dropped;
      await until("some visits", () => traffic.accepted > (i + 1) * 200);
      p.dropNextReply();
      await waitFor("a reply dropped", () => p.dropped > before);
    }
    const accepted = await traffic.stop();
    await expectExactTotals(r, "lost", [a, b], accepted);
    const retried = (await request(a.url, "/metrics")).text + (await request(b.url, "/metrics")).text;
    const retries = [...retried.matchAll(/^traffic_tracker_cluster_batches_retried_total (\d+)/gm)].map((m) =>
      Number(m[1]),
    );
    assert.ok((retries[0] ?? 0) + (retries[1] ?? 0) >= 5, `batches retried: ${retries}`);
    await stop();
    await p.close();
  });
});
