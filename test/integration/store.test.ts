import assert from "node:assert/strict";
import { once } from "node:events";
import { Agent } from "node:http";
import { connect } from "node:net";
import { storeFigure } from "../../src/store/store-status.js";
import { request, visit } from "../helpers/http.js";
import { describe, test } from "../helpers/node-test.js";
import { startTestService } from "../helpers/service.js";
import { queryStore, storedCounts, tempDataDir } from "../helpers/store.js";
import { until } from "../helpers/wait.js";

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe("the visit store", () => {
  test("visits survive a restart: total, recent visits and the next count carry on", async (t) => {
    const dir = tempDataDir(t);
    const first = await startTestService(t, { dataDir: dir, nWorkers: 2 });
    const agent = new Agent({ keepAlive: true, maxSockets: 32 });
    t.after(() => agent.destroy());
    const n = 400;
    const replies = await Promise.all(
      range(1, n).map((i) =>
        request(first.url, "/visit", {
          method: "POST",
          agent,
          headers: { "content-type": "application/json", "user-agent": `shopper-agent/${i % 3}` },
          body: JSON.stringify(
            i % 2 === 0
              ? { user_id: `user-${i}`, page_url: `https://shop.example/p/${i}`, referrer: "https://search.example/" }
              : { user_id: `user-${i}`, page_url: "/sale", user_agent: "own agent", ip_address: "2001:db8::7" },
          ),
        }),
      ),
    );
    assert.ok(replies.every((r) => r.status === 200));
    assert.deepEqual(
      replies.map((r) => r.json.visit_count).sort((a, b) => a - b),
      range(1, n),
    );
    await first.stop();

    assert.deepEqual(await storedCounts(dir), range(1, n), "every visit stored once");
    const rows = await queryStore(
      dir,
      "SELECT visit_count, user_id, page_url, user_agent, ip_address, referrer FROM visits WHERE visit_count IN (1, 2) ORDER BY 1",
    );
    const byUser = new Map(replies.map((r, i) => [r.json.visit_count, i + 1]));
    for (const [count, userId, pageUrl, userAgent, ip, referrer] of rows) {
      const i = byUser.get(Number(count)) as number;
      assert.equal(userId, `user-${i}`);
      if (i % 2 === 0) {
        assert.deepEqual(
          [pageUrl, userAgent, ip, referrer],
          [`https://shop.example/p/${i}`, `shopper-agent/${i % 3}`, null, "https://search.example/"],
        );
      } else {
        assert.deepEqual([pageUrl, userAgent, ip, referrer], ["/sale", "own agent", "2001:db8::7", null]);
      }
    }

    const second = await startTestService(t, { dataDir: dir, nWorkers: 2 });
    const stats = (await request(second.url, "/stats")).json;
    assert.equal(stats.total_visits, n);
    assert.equal(stats.recent_visits, n, "the visits of the last hour are still in the window");
    assert.equal((await visit(second.url)).json.visit_count, n + 1);
    const health = (await request(second.url, "/health")).json;
    assert.equal(health.store.mode, "batch");
    assert.equal(health.store.state, "ok");
  });

  test("full rings refuse visits with 503 and Retry-After, and count nothing they refused", async (t) => {
    const dir = tempDataDir(t);
    // A 64 KiB ring and a recorder that takes 400 ms per commit: a burst of 5 KB visits overflows.
    const service = await startTestService(t, { dataDir: dir, nWorkers: 1, ringKiB: 64, commitDelayMs: 400 });
    const agent = new Agent({ keepAlive: true, maxSockets: 40 });
    t.after(() => agent.destroy());
    const big = {
      user_id: "burst",
      page_url: `https://shop.example/${"x".repeat(2000)}`,
      user_agent: "a".repeat(1024),
      referrer: `https://r.example/${"y".repeat(2000)}`,
    };
    const replies = await Promise.all(range(1, 40).map(() => visit(service.url, big, agent)));
    const ok = replies.filter((r) => r.status === 200);
    const refused = replies.filter((r) => r.status === 503);
    assert.equal(ok.length + refused.length, replies.length);
    assert.ok(refused.length > 0, "some were refused");
    assert.ok(ok.length >= 10, "what fits was accepted");
    for (const r of refused) {
      assert.equal(r.headers["retry-after"], "1");
      assert.deepEqual(r.json, { detail: "Too many visits to store right now; retry shortly" });
    }
    assert.deepEqual(
      ok.map((r) => r.json.visit_count).sort((a, b) => a - b),
      range(1, ok.length),
    );
    assert.equal((await request(service.url, "/stats")).json.total_visits, ok.length);
    await service.stop();
    assert.deepEqual(await storedCounts(dir), range(1, ok.length));
  });

  test("strict: clients that hang up while their commit is pending leave the threads serving", async (t) => {
    // Their answers come after the commit, by which time the sockets are gone: the answer must be skipped, not written.
    const dir = tempDataDir(t);
    const service = await startTestService(t, { dataDir: dir, nWorkers: 2, durability: "strict" });
    const body = '{"user_id":"u","page_url":"/p"}';
    const post = `POST /visit HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
    await Promise.all(
      range(1, 50).map(async () => {
        const socket = connect(service.port, "127.0.0.1");
        await once(socket, "connect");
        socket.end(post);
        socket.destroy();
      }),
    );
    // Each was read and counted, and its commit done: its answer was due to a socket already gone.
    const c = service.counters;
    await until(
      "the 50 visits counted and committed",
      () => Number(c.total[0]) === 50 && storeFigure(c, "rows") === 50,
      {
        detail: () => `${c.total[0]} counted, ${storeFigure(c, "rows")} committed`,
      },
    );
    const reply = await visit(service.url);
    assert.equal(reply.status, 200);
    const metrics = (await request(service.url, "/metrics")).text;
    assert.match(metrics, /^traffic_tracker_worker_restarts_total 0$/m, "no worker died");
    assert.equal((await request(service.url, "/health")).status, 200);
    // What reached the server was counted and stored, answered or not; numbers stay gap-free.
    const counted = reply.json.visit_count as number;
    await service.stop();
    assert.deepEqual(await storedCounts(dir), range(1, counted));
  });

  test("strict durability answers every visit, and the store holds exactly the counts handed out", async (t) => {
    const dir = tempDataDir(t);
    const service = await startTestService(t, { dataDir: dir, nWorkers: 2, durability: "strict" });
    const agent = new Agent({ keepAlive: true, maxSockets: 64 });
    t.after(() => agent.destroy());
    const replies = await Promise.all(range(1, 500).map(() => visit(service.url, undefined, agent)));
    assert.ok(replies.every((r) => r.status === 200));
    const health = (await request(service.url, "/health")).json;
    assert.equal(health.store.mode, "strict");
    assert.equal(health.store.pending_bytes, 0, "nothing acknowledged is still waiting");
    const metrics = (await request(service.url, "/metrics")).text;
    assert.match(metrics, /^traffic_tracker_store_rows_total 500$/m, "every answer waited for its commit");
    assert.match(metrics, /^traffic_tracker_store_up 1$/m);
    const commits = Number(/^traffic_tracker_store_commits_total (\d+)$/m.exec(metrics)?.[1]);
    assert.ok(commits >= 1 && commits < 500, `group commit: ${commits} commits for 500 visits`);
    await service.stop();
    assert.deepEqual(await storedCounts(dir), range(1, 500));
  });

  test("no client address is stored unless the operator turns it on: then the peer, or the first X-Forwarded-For hop behind a trusted proxy", async (t) => {
    const cases = [
      { recordClientAddress: false, trustProxy: false, stored: [null, null, "2001:db8::7"] },
      { recordClientAddress: false, trustProxy: true, stored: [null, null, "2001:db8::7"] },
      { recordClientAddress: true, trustProxy: false, stored: ["127.0.0.1", "127.0.0.1", "2001:db8::7"] },
      { recordClientAddress: true, trustProxy: true, stored: ["203.0.113.9", "127.0.0.1", "2001:db8::7"] },
    ];
    for (const { recordClientAddress, trustProxy, stored } of cases) {
      const dir = tempDataDir(t);
      const service = await startTestService(t, { dataDir: dir, nWorkers: 1, recordClientAddress, trustProxy });
      const visits = [
        { forwardedFor: "203.0.113.9, 10.0.0.2", body: { user_id: "forwarded", page_url: "/p" } },
        { forwardedFor: undefined, body: { user_id: "direct", page_url: "/p" } },
        { forwardedFor: "203.0.113.9", body: { user_id: "own", page_url: "/p", ip_address: "2001:db8::7" } },
      ];
      for (const { forwardedFor, body } of visits) {
        const r = await request(service.url, "/visit", {
          method: "POST",
          headers: {
            "content-type": "application/json",
            ...(forwardedFor ? { "x-forwarded-for": forwardedFor } : {}),
          },
          body: JSON.stringify(body),
        });
        assert.equal(r.status, 200);
      }
      await service.stop();
      const what = `--record-client-address ${recordClientAddress}, --trust-proxy ${trustProxy}`;
      const rows = await queryStore(dir, "SELECT ip_address, user_agent FROM visits ORDER BY visit_count");
      assert.deepEqual(
        rows.map((row) => row[0]),
        stored,
        what,
      );
      assert.equal(rows[0]?.[1], null, "no User-Agent header, none in the body: NULL");
      const warned = service.logs.some((line) => line.includes("--trust-proxy alone records no client address"));
      assert.equal(warned, trustProxy && !recordClientAddress, `${what}: the start-up warning`);
    }
  });

  test("a dual-stack listener records each peer as written: ::1 for IPv6, 127.0.0.1 for IPv4", async (t) => {
    const dir = tempDataDir(t);
    const service = await startTestService(t, { dataDir: dir, nWorkers: 1, host: "::", recordClientAddress: true });
    const port = new URL(service.url).port;
    for (const base of [`http://[::1]:${port}`, `http://127.0.0.1:${port}`]) {
      const r = await request(base, "/visit", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ user_id: base, page_url: "/p" }),
      });
      assert.equal(r.status, 200);
    }
    await service.stop();
    assert.deepEqual(await queryStore(dir, "SELECT ip_address FROM visits ORDER BY visit_count"), [
      ["::1"],
      ["127.0.0.1"],
    ]);
  });

  test("every body the API accepts is stored as validated: BOM, line breaks, duplicate keys, lone surrogates", async (t) => {
    const dir = tempDataDir(t);
    const service = await startTestService(t, { dataDir: dir, nWorkers: 1 });
    const bodies = [
      '\ufeff{"user_id":"bom","page_url":"/b"}',
      '{\r\n  "user_id": "pretty",\n  "page_url": "/p"\n}',
      '{"user_id":"first","user_id":"last","page_url":"/d"}',
      '{"user_id":"x\\ud800y","page_url":"/s"}',
    ];
    for (const [i, body] of bodies.entries()) {
      const r = await request(service.url, "/visit", {
        method: "POST",
        headers: { "content-type": "application/json", "user-agent": 'agent "q" \\' },
        body,
      });
      assert.deepEqual([r.status, r.json.visit_count], [200, i + 1], body);
    }
    await service.stop();
    assert.deepEqual(await queryStore(dir, "SELECT user_id, user_agent FROM visits ORDER BY visit_count"), [
      ["bom", 'agent "q" \\'],
      ["pretty", 'agent "q" \\'],
      ["last", 'agent "q" \\'],
      ["x\ufffdy", 'agent "q" \\'],
    ]);
  });

  test("committed visits wait in the journal, shown in /health and /metrics, until DuckDB takes them", async (t) => {
    const dir = tempDataDir(t);
    const service = await startTestService(t, { dataDir: dir, nWorkers: 1, journalDeferMiB: 0 });
    const agent = new Agent({ keepAlive: true, maxSockets: 8 });
    t.after(() => agent.destroy());
    for (const r of await Promise.all(range(1, 50).map(() => visit(service.url, undefined, agent)))) {
      assert.equal(r.status, 200);
    }
    const journalBytes = async () => (await request(service.url, "/health")).json.store.journal_bytes as number;
    let bytes = 0;
    const journalHolds = (ok: (bytes: number) => boolean) => async () => {
      bytes = await journalBytes();
      return ok(bytes);
    };
    const detail = () => `journal_bytes ${bytes}`;
    await until(
      "the visits to reach the journal",
      journalHolds((b) => b > 50 * 40),
      { detail },
    );
    await until(
      "DuckDB to take the closed segment",
      journalHolds((b) => b === 0),
      { detail },
    );
    assert.match((await request(service.url, "/metrics")).text, /^traffic_tracker_store_journal_bytes 0$/m);
    await service.stop();
    assert.deepEqual(await storedCounts(dir), range(1, 50));
  });
});
