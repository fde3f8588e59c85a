import assert from "node:assert/strict";
import { once } from "node:events";
import { Agent } from "node:http";
import { request, resetTolerant, visit } from "../helpers/http.js";
import { after, describe, test } from "../helpers/node-test.js";
import { startTestService } from "../helpers/service.js";
import { Deadline, until } from "../helpers/wait.js";

describe("counting under concurrency", async () => {
  const service = await startTestService({ after }, { nWorkers: 2 });

  test("2,000 concurrent visits over 64 connections get exactly T+1..T+2000", async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 64 });
    after(() => agent.destroy());
    const start = (await request(service.url, "/stats")).json.total_visits as number;
    const okBefore = visitsOk((await request(service.url, "/metrics")).text);
    const replies = await Promise.all(
      Array.from({ length: 2000 }, (_, i) => visit(service.url, { user_id: `u${i}`, page_url: "/sale" }, agent)),
    );
    const counts = replies.map((r) => {
      assert.equal(r.status, 200);
      return r.json.visit_count as number;
    });
    counts.sort((a, b) => a - b);
    assert.deepEqual(
      counts,
      Array.from({ length: 2000 }, (_, i) => start + i + 1),
    );
    const stats = (await request(service.url, "/stats")).json;
    assert.equal(stats.total_visits, start + 2000);
    assert.equal(stats.recent_visits, start + 2000);
    // Each thread adds to its own metrics slot without Atomics: the sum over threads must still be exact.
    assert.equal(visitsOk((await request(service.url, "/metrics")).text) - okBefore, 2000);
  });
});

/** traffic_tracker_requests_total for POST /visit answered 200, summed over the threads by /metrics. */
function visitsOk(exposition: string): number {
  const m = /^traffic_tracker_requests_total\{route="\/visit",status="200"\} (\d+)$/m.exec(exposition);
  return m ? Number(m[1]) : 0;
}

describe("supervision", async () => {
  const service = await startTestService({ after }, { nWorkers: 2, allowFaultInjection: true });

  test("a worker killed by an uncaught exception is replaced; /health is 503 until then; visits keep counting", async () => {
    const start = (await request(service.url, "/stats")).json.total_visits as number;
    const replaced = once(service.supervisor, "worker-ready");
    assert.ok(service.supervisor.injectFault());
    const seen: number[] = [];
    let accepted = 0;
    let done = false;
    replaced.then(() => {
      done = true;
    });
    let resets = 0;
    const deadline = new Deadline("the replacement worker");
    while (!done) {
      deadline.check(() => `${accepted} visits during`);
      const health = await resetTolerant(() => request(service.url, "/health"));
      if (health !== "reset") seen.push(health.status);
      const reply = await resetTolerant(() => visit(service.url));
      if (reply === "reset") {
        resets++;
        continue;
      }
      assert.equal(reply.status, 200, "the surviving worker keeps serving");
      accepted++;
    }
    assert.ok(resets <= 2, `${resets} connections reset`);
    assert.ok(seen.includes(503), `health went 503 while a worker was missing (saw ${seen.join(",")})`);
    const health = await request(service.url, "/health");
    assert.equal(health.status, 200);
    assert.equal(health.json.workers_alive, 2);
    const died = service.logs.map((l) => JSON.parse(l)).find((e) => e.msg === "worker thread died; replacing it");
    assert.equal(died?.level, "error");
    assert.match(died?.reason, /injected fault/);
    const metrics = await request(service.url, "/metrics");
    assert.match(metrics.text, /^traffic_tracker_worker_restarts_total 1$/m);
    assert.match(metrics.text, /^traffic_tracker_workers\{state="alive"\} 2$/m);
    const stats = (await request(service.url, "/stats")).json;
    assert.equal(stats.total_visits, start + accepted);
  });
});

describe("reload (what --dev does on a change)", async () => {
  const service = await startTestService({ after }, { nWorkers: 2 });

  test("replaces every worker, keeps the counts, and never stops serving", async () => {
    for (let i = 0; i < 5; i++) assert.equal((await visit(service.url)).status, 200);
    let reloaded = false;
    const reload = service.supervisor.reload().then(() => {
      reloaded = true;
    });
    let during = 0;
    let resets = 0;
    const deadline = new Deadline("the reload");
    while (!reloaded) {
      deadline.check(() => `${during} visits during`);
      const reply = await resetTolerant(() => visit(service.url));
      if (reply === "reset") {
        resets++;
        continue;
      }
      assert.equal(reply.status, 200);
      during++;
    }
    assert.ok(resets <= 2, `${resets} connections reset`);
    await reload;
    // The old workers were told to drain; until they have closed their listen sockets, a new
    // connection can still be queued on one and reset (see resetTolerant). Wait for them to go.
    await until("the old generation to exit", () => service.supervisor.workers === 2, {
      timeoutMs: 15_000,
      detail: () => `${service.supervisor.workers} workers`,
    });
    const stats = (await request(service.url, "/stats")).json;
    assert.equal(stats.total_visits, 5 + during);
    assert.equal((await visit(service.url)).json.visit_count, 6 + during);
    assert.equal((await request(service.url, "/health")).json.workers_alive, 2);
  });
});

describe("an exception inside a request handler", async () => {
  const service = await startTestService({ after }, { nWorkers: 1, allowFaultInjection: true });

  test("answers 500, is logged, and the thread keeps serving", async (t) => {
    // A keep-alive client: one that sent `Connection: close` itself is not told again (uWS omits the echo).
    const agent = new Agent({ keepAlive: true });
    t.after(() => agent.destroy());
    const reply = await request(service.url, "/__fault", { agent });
    assert.equal(reply.status, 500);
    assert.deepEqual(reply.json, { detail: "Internal Server Error" });
    assert.equal(reply.headers.connection, "close");
    assert.equal((await visit(service.url)).status, 200);
    assert.equal((await request(service.url, "/health")).json.workers_alive, 1);
    // The log line travels from the worker thread to the main thread.
    const failed = () => service.logs.map((l) => JSON.parse(l)).find((e) => e.msg.startsWith("request failed"));
    await until("the worker's log line", () => failed() !== undefined);
    const logged = failed();
    assert.equal(logged?.level, "error");
    assert.match(logged?.error, /handler fault \(test\)/);
  });
});
