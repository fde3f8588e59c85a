import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { Agent } from "node:http";
import { connect } from "node:net";
import { fileURLToPath } from "node:url";
import WebSocket from "ws";
import { request, visit } from "../helpers/http.js";
import { describe, test } from "../helpers/node-test.js";
import { startTestService } from "../helpers/service.js";
import { Deadline, pause, until } from "../helpers/wait.js";

interface Count {
  type: string;
  total_visits: number;
  recent_visits: number;
}

/** A /live client that keeps every message it received. */
async function subscribe(base: string, origin?: string): Promise<{ ws: WebSocket; messages: Count[] }> {
  const ws = new WebSocket(`${base.replace("http", "ws")}/live`, origin ? { origin } : {});
  const messages: Count[] = [];
  ws.on("message", (data) => messages.push(JSON.parse(String(data)) as Count));
  await once(ws, "open");
  return { ws, messages };
}

describe("GET /live", () => {
  test("200 clients spread over 2 threads all receive the new count after visits", async (t) => {
    const service = await startTestService(t, { nWorkers: 2 });
    const clients = await Promise.all(Array.from({ length: 200 }, () => subscribe(service.url)));
    t.after(() => {
      for (const c of clients) c.ws.terminate();
    });
    await until("every client's first count", () => clients.every((c) => c.messages.length >= 1));
    assert.ok(clients.every((c) => c.messages[0]?.total_visits === 0 && c.messages[0]?.type === "count"));
    const agent = new Agent({ keepAlive: true, maxSockets: 16 });
    t.after(() => agent.destroy());
    await Promise.all(Array.from({ length: 50 }, () => visit(service.url, undefined, agent)));
    await until("every client to see 50 visits", () => clients.every((c) => c.messages.at(-1)?.total_visits === 50));
    assert.ok(clients.every((c) => c.messages.at(-1)?.recent_visits === 50));
    // One update per change, not one per visit: at most every 250 ms.
    assert.ok(
      clients.every((c) => c.messages.length <= 1 + 4),
      "updates are batched, not per visit",
    );
  });

  test("garbage and oversized frames crash nothing; the thread keeps counting", async (t) => {
    const service = await startTestService(t, { nWorkers: 1 });
    const { ws } = await subscribe(service.url);
    ws.send("hello?");
    ws.send(Buffer.from([0, 1, 2, 255]));
    ws.send("x".repeat(10_000)); // over the inbound limit: the server closes this connection
    const [code] = (await once(ws, "close")) as [number];
    // uWS 20.30 drops the connection (1006) rather than sending 1009; either way it is gone.
    assert.ok(code === 1009 || code === 1006, `closed (${code})`);
    // Raw garbage after a valid handshake: not even WebSocket framing.
    const socket = connect(service.port, "127.0.0.1");
    await once(socket, "connect");
    socket.write(
      "GET /live HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
    );
    await once(socket, "data");
    socket.write(Buffer.from("\xff\xff\xff\xff\xff\xff\xff\xffnot a frame at all", "latin1"));
    socket.on("error", () => {}); // a reset is a close too
    await until("the server to drop a connection sending garbage", () => socket.closed);
    assert.equal((await visit(service.url)).json.visit_count, 1);
    const again = await subscribe(service.url);
    await until("the new client's first count", () => again.messages.length >= 1);
    assert.equal(again.messages[0]?.total_visits, 1);
    again.ws.close();
  });

  test("a client that stops reading is dropped; one that reads keeps its feed", async (t) => {
    // A client that does not read cannot answer uWS's pings either: the idle timeout (8 s here) hangs up.
    const service = await startTestService(t, { nWorkers: 1, liveIdleSeconds: 8 });
    const healthy = await subscribe(service.url);
    t.after(() => healthy.ws.terminate());
    const script = fileURLToPath(new URL("../fixtures/slow_ws_client.py", import.meta.url));
    const slow = spawn("python3", [script, String(service.port), "14"], { stdio: ["ignore", "pipe", "inherit"] });
    let said = "";
    slow.stdout.on("data", (c) => (said += c));
    const agent = new Agent({ keepAlive: true, maxSockets: 4 });
    t.after(() => agent.destroy());
    let running = true;
    // Keep the count moving, so the feed has something to send all along (the slow client gives up after 14 s).
    const deadline = new Deadline("the slow client's verdict", 40_000);
    const traffic = (async () => {
      while (running) {
        deadline.check();
        await visit(service.url, undefined, agent);
        await pause(50);
      }
    })();
    const [code] = (await once(slow, "exit")) as [number];
    running = false;
    await traffic;
    assert.equal(code, 0);
    const [upgraded, verdict] = said.trim().split("\n");
    assert.equal(upgraded, "upgraded");
    assert.match(verdict ?? "", /^closed \d+$/, `the silent client was not dropped: ${said}`);
    const total = (await request(service.url, "/stats")).json.total_visits;
    await until("the reading client to see the last count", () => healthy.messages.at(-1)?.total_visits === total);
    assert.equal(healthy.ws.readyState, WebSocket.OPEN, "a client that reads (and answers pings) keeps its feed");
  });

  test("a connection past the per-thread limit is refused with 503", async (t) => {
    const service = await startTestService(t, { nWorkers: 1, liveMaxConnections: 2 });
    const a = await subscribe(service.url);
    const b = await subscribe(service.url);
    t.after(() => {
      a.ws.terminate();
      b.ws.terminate();
    });
    const refused = new WebSocket(`${service.url.replace("http", "ws")}/live`);
    const [, response] = (await once(refused, "unexpected-response")) as [unknown, { statusCode: number }];
    assert.equal(response.statusCode, 503);
    a.ws.close();
    await once(a.ws, "close");
    // The place is free once the server has handled the close: a new client is then let in.
    let c: WebSocket | undefined;
    await until("a new client let in after one left", async () => {
      const attempt = new WebSocket(`${service.url.replace("http", "ws")}/live`);
      const status = await Promise.race([
        once(attempt, "open").then(() => 101),
        once(attempt, "unexpected-response").then(([, res]) => (res as { statusCode: number }).statusCode),
      ]);
      if (status === 101) c = attempt;
      else assert.equal(status, 503);
      return status === 101;
    });
    c?.close();
  });

  test("origins outside the CORS list are refused; listed ones are served", async (t) => {
    const service = await startTestService(t, { nWorkers: 1, corsOrigins: "https://shop.example" });
    const ok = await subscribe(service.url, "https://shop.example");
    ok.ws.close();
    const bad = new WebSocket(`${service.url.replace("http", "ws")}/live`, { origin: "https://evil.example" });
    const [, response] = (await once(bad, "unexpected-response")) as [unknown, { statusCode: number }];
    assert.equal(response.statusCode, 403);
  });

  test("a plain GET /live (no Upgrade) is told to upgrade: 426", async (t) => {
    const service = await startTestService(t, { nWorkers: 1 });
    const r = await request(service.url, "/live");
    assert.equal(r.status, 426);
    assert.equal(r.headers.upgrade, "websocket");
    assert.deepEqual(r.json, { detail: "/live is a WebSocket: connect with Upgrade: websocket" });
  });

  test("/widget.js and /widget are served for any origin", async (t) => {
    const service = await startTestService(t, { nWorkers: 1 });
    const js = await request(service.url, "/widget.js", { headers: { origin: "https://shop.example" } });
    assert.equal(js.status, 200);
    assert.match(String(js.headers["content-type"]), /^application\/javascript/);
    assert.equal(js.headers["access-control-allow-origin"], "*");
    assert.match(js.text, /new WebSocket\(liveUrl\)/);
    const page = await request(service.url, "/widget");
    assert.match(page.text, /<script src="\/widget\.js" data-target="#count"><\/script>/);
  });
});
