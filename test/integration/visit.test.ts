import assert from "node:assert/strict";
import { once } from "node:events";
import { Agent } from "node:http";
import { connect } from "node:net";
import { json, rawExchange, request, statusesIn, visit } from "../helpers/http.js";
import { after, describe, test } from "../helpers/node-test.js";
import { startTestService, type TestService } from "../helpers/service.js";
import { until } from "../helpers/wait.js";

const service: TestService = await startTestService({ after });
const total = () => Number(Atomics.load(service.counters.total, 0));

describe("POST /visit accepts a visit", () => {
  test("answers 200 with the new total, in the old service's shape", async () => {
    const before = total();
    const reply = await visit(service.url);
    assert.equal(reply.status, 200);
    assert.equal(reply.headers["content-type"], "application/json");
    assert.deepEqual(reply.json, {
      success: true,
      visit_count: before + 1,
      message: `Visit logged successfully. Total visits: ${before + 1}`,
    });
    assert.equal(total(), before + 1);
  });

  const accepted: Array<[string, Record<string, string>]> = [
    ["application/json; charset=utf-8", { "content-type": "application/json; charset=utf-8" }],
    ["Application/JSON", { "content-type": "Application/JSON" }],
    ["a +json subtype", { "content-type": "application/vnd.shop+json" }],
    ["no Content-Type at all", {}],
  ];
  for (const [name, headers] of accepted) {
    test(`accepts ${name}`, async () => {
      const reply = await request(service.url, "/visit", {
        method: "POST",
        headers,
        body: JSON.stringify({ user_id: "u", page_url: "/p" }),
      });
      assert.equal(reply.status, 200);
    });
  }

  const valid: Array<[string, Record<string, unknown>]> = [
    [
      "every optional field",
      { user_id: "u", page_url: "/p", user_agent: "UA", ip_address: "10.1.2.3", referrer: "https://r" },
    ],
    ["null optionals", { user_id: "u", page_url: "/p", user_agent: null, ip_address: null, referrer: null }],
    ["an IPv6 address", { user_id: "u", page_url: "/p", ip_address: "2001:db8::1" }],
    ["unknown fields (ignored)", { user_id: "u", page_url: "/p", campaign: { nested: [1, 2] } }],
    ["256 emoji as user_id (code points, not UTF-16 units)", { user_id: "😀".repeat(256), page_url: "/p" }],
    ["a 2048-character page_url", { user_id: "u", page_url: "x".repeat(2048) }],
    ["1024 emoji as user_agent", { user_id: "u", page_url: "/p", user_agent: "🛒".repeat(1024) }],
  ];
  for (const [name, body] of valid) {
    test(`accepts ${name}`, async () => assert.equal((await visit(service.url, body)).status, 200));
  }

  test("accepts a chunked body", async () => {
    const body = JSON.stringify({ user_id: "chunky", page_url: "/p" });
    const reply = await request(service.url, "/visit", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: [body.slice(0, 5), body.slice(5, 20), body.slice(20)],
    });
    assert.equal(reply.status, 200);
  });

  test("accepts a body of exactly 16 KiB", async () => {
    const base = JSON.stringify({ user_id: "u", page_url: "/p", pad: "" });
    const body = JSON.stringify({ user_id: "u", page_url: "/p", pad: "x".repeat(16 * 1024 - base.length) });
    assert.equal(Buffer.byteLength(body), 16 * 1024);
    assert.equal((await request(service.url, "/visit", { ...json(null), body })).status, 200);
  });

  test("honours Expect: 100-continue", async () => {
    const body = JSON.stringify({ user_id: "u", page_url: "/p" });
    const { text } = await rawExchange(
      service.port,
      `POST /visit HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nExpect: 100-continue\r\n\r\n${body}`,
    );
    assert.deepEqual(statusesIn(text), [100, 200]);
  });

  test("answers pipelined requests in order on one connection", async () => {
    const body = JSON.stringify({ user_id: "pipe", page_url: "/p" });
    const post = `POST /visit HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
    const start = total();
    const { text } = await rawExchange(service.port, `${post}GET /health HTTP/1.1\r\nHost: x\r\n\r\n${post}${post}`);
    assert.deepEqual(statusesIn(text), [200, 200, 200, 200]);
    const counts = [...text.matchAll(/"visit_count":(\d+)/g)].map((m) => Number(m[1]));
    assert.deepEqual(counts, [start + 1, start + 2, start + 3]);
  });
});

describe("POST /visit rejects bad input and changes no count", () => {
  const cases: Array<[string, unknown, Array<Record<string, unknown>>]> = [
    ["a missing user_id", { page_url: "/p" }, [{ type: "missing", loc: ["body", "user_id"], msg: "Field required" }]],
    [
      "both required fields missing",
      {},
      [
        { type: "missing", loc: ["body", "user_id"], msg: "Field required" },
        { type: "missing", loc: ["body", "page_url"], msg: "Field required" },
      ],
    ],
    [
      "an empty user_id",
      { user_id: "", page_url: "/p" },
      [{ type: "string_too_short", loc: ["body", "user_id"], msg: "String should have at least 1 character" }],
    ],
    [
      "257 emoji as user_id",
      { user_id: "😀".repeat(257), page_url: "/p" },
      [{ type: "string_too_long", loc: ["body", "user_id"], msg: "String should have at most 256 characters" }],
    ],
    [
      "a 2049-character page_url",
      { user_id: "u", page_url: "x".repeat(2049) },
      [{ type: "string_too_long", loc: ["body", "page_url"], msg: "String should have at most 2048 characters" }],
    ],
    [
      "a 1025-character user_agent",
      { user_id: "u", page_url: "/p", user_agent: "a".repeat(1025) },
      [{ type: "string_too_long", loc: ["body", "user_agent"], msg: "String should have at most 1024 characters" }],
    ],
    [
      "a number as user_id",
      { user_id: 42, page_url: "/p" },
      [{ type: "string_type", loc: ["body", "user_id"], msg: "Input should be a valid string" }],
    ],
    [
      "an object as referrer",
      { user_id: "u", page_url: "/p", referrer: {} },
      [{ type: "string_type", loc: ["body", "referrer"], msg: "Input should be a valid string" }],
    ],
    [
      "a bad IP address",
      { user_id: "u", page_url: "/p", ip_address: "999.1.1.1" },
      [{ type: "ip_any_address", loc: ["body", "ip_address"], msg: "value is not a valid IPv4 or IPv6 address" }],
    ],
    [
      "a JSON array",
      [{ user_id: "u", page_url: "/p" }],
      [
        {
          type: "model_attributes_type",
          loc: ["body"],
          msg: "Input should be a valid dictionary or object to extract fields from",
        },
      ],
    ],
    ["JSON null", null, [{ type: "missing", loc: ["body"], msg: "Field required" }]],
  ];
  for (const [name, body, detail] of cases) {
    test(`422 for ${name}`, async () => {
      const start = total();
      const reply = await visit(service.url, body);
      assert.equal(reply.status, 422);
      assert.deepEqual(reply.json, { detail });
      assert.equal(total(), start);
    });
  }

  const undecodable: Array<[string, string | Uint8Array]> = [
    ["malformed JSON", '{"user_id": "u", "page_url": '],
    ["trailing garbage", '{"user_id":"u","page_url":"/p"} x'],
    [
      "invalid UTF-8",
      Buffer.concat([Buffer.from('{"user_id":"'), Buffer.from([0xff, 0xfe]), Buffer.from('","page_url":"/p"}')]),
    ],
    ["a lone continuation byte", Buffer.from([0x7b, 0x80, 0x7d])],
  ];
  for (const [name, body] of undecodable) {
    test(`422 json_invalid for ${name}`, async () => {
      const start = total();
      const reply = await request(service.url, "/visit", { ...json(null), body });
      assert.equal(reply.status, 422);
      const [item, ...rest] = reply.json.detail;
      assert.equal(rest.length, 0);
      assert.equal(item.type, "json_invalid");
      assert.equal(item.msg, "JSON decode error");
      assert.equal(item.loc[0], "body");
      assert.equal(total(), start);
    });
  }

  test("422 for an empty body", async () => {
    const start = total();
    const reply = await request(service.url, "/visit", { ...json(null), body: "" });
    assert.equal(reply.status, 422);
    assert.deepEqual(reply.json, { detail: [{ type: "missing", loc: ["body"], msg: "Field required" }] });
    assert.equal(total(), start);
  });

  test("415 for a form post", async () => {
    const start = total();
    const reply = await request(service.url, "/visit", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "user_id=u&page_url=/p",
    });
    assert.equal(reply.status, 415);
    assert.deepEqual(reply.json, { detail: "Content-Type must be application/json" });
    assert.equal(total(), start);
  });

  test("413 for a declared body over 16 KiB, and the connection is closed", async (t) => {
    const start = total();
    const body = JSON.stringify({ user_id: "u", page_url: "/p", pad: "x".repeat(16 * 1024) });
    // A keep-alive client: one that sent `Connection: close` itself is not told again (uWS omits the echo).
    const agent = new Agent({ keepAlive: true });
    t.after(() => agent.destroy());
    const reply = await request(service.url, "/visit", { ...json(null), body, agent });
    assert.equal(reply.status, 413);
    assert.deepEqual(reply.json, { detail: "Request body too large" });
    assert.equal(reply.headers.connection, "close");
    const raw = await rawExchange(
      service.port,
      `POST /visit HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n{"user_id":`,
      2000,
    );
    assert.deepEqual(statusesIn(raw.text), [413]);
    assert.ok(raw.closed, "the server closes instead of reading a megabyte it will not use");
    assert.equal(total(), start);
  });

  test("413 for a chunked body that grows past 16 KiB", async () => {
    const start = total();
    const reply = await request(service.url, "/visit", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: ['{"user_id":"u","page_url":"/p","pad":"', "x".repeat(10_000), "x".repeat(10_000), '"}'],
    });
    assert.equal(reply.status, 413);
    assert.deepEqual(reply.json, { detail: "Request body too large" });
    assert.equal(total(), start);
  });

  test("garbage on a connection gets a 4xx or a close, and other clients are still served", async () => {
    const start = total();
    const { text, closed } = await rawExchange(service.port, "\x00\x01GARBAGE \xff\r\n\r\n\r\n", 1000);
    const statuses = statusesIn(text);
    assert.ok(closed || statuses.every((s) => s >= 400 && s < 500), `got ${JSON.stringify(text)}`);
    const broken = await rawExchange(service.port, "POST /visit HTTP/1.1\r\nContent-Length: nope\r\n\r\n{}", 1000);
    assert.ok(broken.closed || statusesIn(broken.text).every((s) => s >= 400));
    assert.equal((await visit(service.url)).status, 200);
    assert.equal(total(), start + 1);
  });

  test("a request head over uWS's buffer (256 KiB of headers) is closed, and nothing else is disturbed", async () => {
    const start = total();
    const huge = await rawExchange(
      service.port,
      `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(256 * 1024)}\r\n\r\n`,
      2000,
    );
    assert.ok(huge.closed);
    assert.deepEqual(statusesIn(huge.text), []);
    assert.equal((await visit(service.url)).status, 200);
    assert.equal(total(), start + 1);
  });

  test("bodies that arrive in pieces, interleaved over 20 connections, each get their own answer", async () => {
    // Every request waits in the middle of its body while the others start theirs, then they finish in reverse.
    const start = total();
    const sockets = await Promise.all(
      Array.from({ length: 20 }, async (_, k) => {
        const socket = connect(service.port, "127.0.0.1");
        await once(socket, "connect");
        const body = JSON.stringify({ user_id: `piecewise-${k}`, page_url: `/p/${k}`, referrer: "x".repeat(k * 50) });
        let text = "";
        socket.on("data", (c: Buffer) => {
          text += c.toString("latin1");
        });
        // A GET in the same write: its answer shows the server has read the start of the visit behind it.
        socket.write(
          `GET /ready HTTP/1.1\r\nHost: x\r\n\r\nPOST /visit HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 20)}`,
        );
        return { socket, rest: body.slice(20), reply: () => text };
      }),
    );
    const answered = (s: (typeof sockets)[number], n: number) =>
      until(`answer ${n} on a connection`, () => statusesIn(s.reply()).length >= n && s.reply().endsWith("}"), {
        detail: s.reply,
      });
    for (const s of sockets) await answered(s, 1);
    for (const s of sockets.slice().reverse()) {
      s.socket.write(s.rest);
      await answered(s, 2);
    }
    const counts = sockets.map((s) => {
      s.socket.destroy();
      assert.deepEqual(statusesIn(s.reply()), [200, 200], s.reply());
      return Number(/"visit_count":(\d+)/.exec(s.reply())?.[1]);
    });
    assert.deepEqual(
      counts,
      Array.from({ length: 20 }, (_, i) => start + 20 - i),
      "each its own count, in the order the bodies were finished",
    );
    assert.equal(total(), start + 20);
  });

  test("clients that hang up halfway through their bodies change no count, and the threads keep serving", async () => {
    const start = total();
    const body = '{"user_id":"u","page_url":"/p"}';
    const half = `POST /visit HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 12)}`;
    await Promise.all(
      Array.from({ length: 50 }, async () => {
        const socket = connect(service.port, "127.0.0.1");
        await once(socket, "connect");
        // Half a body, then our FIN: the server drops the request and hangs up in turn.
        socket.end(half);
        await until("the server to close a half-sent request", () => socket.closed);
      }),
    );
    assert.equal(total(), start);
    assert.equal((await visit(service.url)).status, 200);
    assert.equal(total(), start + 1);
    const metrics = (await request(service.url, "/metrics")).text;
    assert.match(metrics, /^traffic_tracker_worker_restarts_total 0$/m, "no worker died");
  });
});
