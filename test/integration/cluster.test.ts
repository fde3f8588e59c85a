/**
 * Cluster mode end to end: instances (in this process, 2 worker threads each)
 * sharing a real redis-server, over HTTP.
 */
import assert from "node:assert/strict";
import { Agent } from "node:http";
import { scenario } from "../../bench/scenarios.js";
import { runWrk } from "../../bench/wrk-run.js";
import { request, visit } from "../helpers/http.js";
import { after, before, describe, test } from "../helpers/node-test.js";
import { FlakyProxy, RedisServer, waitFor } from "../helpers/redis-server.js";
import { startTestService, type TestService } from "../helpers/service.js";

/** Services here are stopped by each suite's own `after`, in order (Redis last). */
const manual = { after: () => {} };
const total = async (s: TestService) => (await request(s.url, "/stats")).json.total_visits as number;

describe("cluster mode: two instances, one campaign", () => {
  let redis: RedisServer;
  let a: TestService;
  let b: TestService;

  before(async () => {
    redis = await RedisServer.start([], "s3cret-pw");
    const url = `redis://:s3cret-pw@127.0.0.1:${redis.port}/0`;
    a = await startTestService(manual, { nWorkers: 2, redis: url, nodeId: "node-a", clusterKey: "two" });
    b = await startTestService(manual, { nWorkers: 2, redis: url, nodeId: "node-b", clusterKey: "two" });
    await waitFor("both instances ready", async () => {
      const [ra, rb] = await Promise.all([request(a.url, "/ready"), request(b.url, "/ready")]);
      return ra.status === 200 && rb.status === 200;
    });
  });
  after(async () => {
    await a.stop();
    await b.stop();
    await redis.stop();
  });

  test("20,000 concurrent visits split across both: every number unique, both totals exact within 1 s", async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 64 });
    after(() => agent.destroy());
    const replies = await Promise.all(
      Array.from({ length: 20_000 }, (_, i) =>
        visit(i % 2 === 0 ? a.url : b.url, { user_id: `u${i}`, page_url: "/sale" }, agent),
      ),
    );
    const numbers = new Set<number>();
    const perInstance: [number[], number[]] = [[], []];
    replies.forEach((r, i) => {
      assert.equal(r.status, 200, r.text);
      const n = r.json.visit_count as number;
      assert.ok(!numbers.has(n), `visit_count ${n} answered twice`);
      numbers.add(n);
      perInstance[i % 2]?.push(n);
    });
    assert.equal(numbers.size, 20_000);
    const allSent = performance.now();
    await waitFor(
      "both instances to show 20,000",
      async () => (await total(a)) === 20_000 && (await total(b)) === 20_000,
      5000,
    );
    assert.ok(performance.now() - allSent <= 1000, `totals agreed after ${Math.round(performance.now() - allSent)} ms`);
    for (const s of [a, b]) {
      const stats = (await request(s.url, "/stats")).json;
      assert.equal(stats.recent_visits, 20_000);
    }
  });

  test("/health carries the cluster object without the password; /metrics has the cluster figures", async () => {
    const health = await request(a.url, "/health");
    assert.equal(health.status, 200);
    const cluster = health.json.cluster;
    assert.equal(cluster.state, "ok");
    assert.equal(cluster.node_id, "node-a");
    assert.equal(cluster.redis, `redis://127.0.0.1:${redis.port}/0`);
    assert.ok(!health.text.includes("s3cret-pw"));
    assert.equal(cluster.nodes, 2);
    assert.ok(cluster.ids_left > 0);
    assert.equal(typeof cluster.last_sync_age_ms, "number");
    assert.ok(cluster.last_sync_age_ms < 5000);
    const metrics = (await request(a.url, "/metrics")).text;
    for (const name of [
      "traffic_tracker_cluster_flush_seconds_count",
      "traffic_tracker_cluster_pending_visits",
      "traffic_tracker_cluster_batches_retried_total",
      "traffic_tracker_cluster_numbers_reserved_total",
      "traffic_tracker_cluster_numbers_unused_total",
      "traffic_tracker_cluster_redis_errors_total",
    ]) {
      assert.match(metrics, new RegExp(`^${name} \\d`, "m"));
    }
    assert.ok(!a.logs.join("\n").includes("s3cret-pw"), "the password is in a log line");
  });

  test("a sale opening on an idle instance (wrk, 64 connections, 2 s) gets no 503: its first block outlasts a round", async () => {
    const idle = await startTestService(manual, {
      nWorkers: 2,
      redis: `redis://:s3cret-pw@127.0.0.1:${redis.port}/0`,
      nodeId: "node-idle",
      clusterKey: "two",
    });
    try {
      await waitFor("the idle instance ready", async () => (await request(idle.url, "/ready")).status === 200);
      const r = await runWrk(idle.url, scenario("visit"), 64, 2, 10);
      assert.ok(r.requests > 1000, `wrk sent ${r.requests}`);
      assert.equal(r.non2xx, 0, `${r.non2xx} of ${r.requests} answers were not 2xx (503: out of numbers)`);
      assert.equal(r.errors, 0);
    } finally {
      // Before the suite's after hook stops Redis.
      await idle.stop();
    }
  });
});

describe("cluster mode: Redis unreachable at start", () => {
  let redis: RedisServer;
  let proxy: FlakyProxy;

  before(async () => {
    redis = await RedisServer.start();
    proxy = await FlakyProxy.start(redis.port);
  });
  after(async () => {
    await proxy.close();
    await redis.stop();
  });

  test("/ready is 503 and visits get 503 + Retry-After until the first contact; then both work", async () => {
    proxy.refuse = true;
    const s = await startTestService(manual, { nWorkers: 2, redis: proxy.url, nodeId: "late", clusterKey: "late" });
    for (let i = 0; i < 3; i++) {
      const ready = await request(s.url, "/ready");
      assert.equal(ready.status, 503);
      assert.match(ready.json.reason, /Redis/);
      const refused = await visit(s.url);
      assert.equal(refused.status, 503);
      assert.equal(refused.headers["retry-after"], "1");
      const health = await request(s.url, "/health");
      assert.equal(health.json.cluster.state, "degraded");
      assert.equal(health.json.cluster.last_sync_age_ms, null);
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(await total(s), 0);
    proxy.refuse = false;
    await waitFor("/ready 200 after Redis answers", async () => (await request(s.url, "/ready")).status === 200);
    const ok = await visit(s.url);
    assert.equal(ok.status, 200);
    await waitFor("the visit in Redis", async () => (await redis.number("GET", "{late}:total")) === 1);
    assert.equal(await total(s), 1);
    await s.stop();
  });
});
