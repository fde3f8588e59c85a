/**
 * HTTP semantics clients rely on, checked byte for byte on kept-alive
 * connections: HEAD answers, 405s with Allow, CORS on every answer, one
 * Connection header.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import WebSocket from "ws";
import { request } from "../helpers/http.js";
import { after, describe, test } from "../helpers/node-test.js";
import { header, headerValues, keepAliveExchange, type RawRequest } from "../helpers/raw-http.js";
import { startTestService } from "../helpers/service.js";

const service = await startTestService({ after }, { nWorkers: 1, allowFaultInjection: true });

/** Every GET route, static ones (same bytes every time) marked. */
const GET_ROUTES: Array<[path: string, fixedBody: boolean]> = [
  ["/stats", false],
  ["/health", false],
  ["/ready", true],
  ["/metrics", false],
  ["/openapi.json", true],
  ["/docs", true],
  ["/docs/swagger-ui.css", true],
  ["/redoc", true],
  ["/widget.js", true],
  ["/widget", true],
  ["/dashboard", true],
];
/**
 * GET only, as FastAPI's routes are (HEAD gets 405 with Allow: GET): they need
 * a store, which this in-memory service has not (tested in analytics.test.ts).
 */
const GET_ONLY = new Set(["/analytics", "/export"]);

describe("HEAD", () => {
  test("the routes checked here include every GET route /openapi.json lists (but the WebSocket)", async () => {
    const doc = (await request(service.url, "/openapi.json")).json as { paths: Record<string, { get?: unknown }> };
    const documented = Object.keys(doc.paths).filter(
      (path) => doc.paths[path]?.get !== undefined && path !== "/live" && !GET_ONLY.has(path),
    );
    const checked = new Set(GET_ROUTES.map(([path]) => path));
    assert.deepEqual(
      documented.filter((path) => !checked.has(path)),
      [],
      "a new GET route must answer HEAD: add it to GET_ROUTES",
    );
  });

  test("every GET route answers HEAD with the GET's headers and no body, on one kept-alive connection", async () => {
    const requests: RawRequest[] = GET_ROUTES.flatMap(([path]) => [
      { method: "HEAD", path },
      { method: "GET", path },
    ]);
    const responses = await keepAliveExchange(service.port, [...requests, { method: "GET", path: "/ready" }]);
    GET_ROUTES.forEach(([path, fixedBody], i) => {
      const [head, get] = [responses[2 * i], responses[2 * i + 1]];
      assert.ok(head && get);
      assert.equal(head.status, 200, `HEAD ${path}`);
      assert.equal(head.status, get.status, `HEAD ${path}: the GET's status`);
      assert.equal(header(head, "Content-Type"), header(get, "Content-Type"), `HEAD ${path}: the GET's type`);
      assert.equal(header(head, "Access-Control-Allow-Origin"), "*", `HEAD ${path}: CORS`);
      const length = header(head, "Content-Length");
      assert.match(length ?? "", /^\d+$/, `HEAD ${path} states a length`);
      if (fixedBody)
        assert.equal(Number(length), Buffer.byteLength(get.body, "latin1"), `HEAD ${path}: the GET's length`);
    });
    const last = responses.at(-1);
    assert.equal(last?.status, 200);
    assert.deepEqual(JSON.parse(last?.body ?? ""), { status: "ready" });
  });

  const errorCases: Array<[what: string, path: string, status: number, allow?: string]> = [
    ["an unknown path", "/nope", 404],
    ["/visit (POST only)", "/visit", 405, "POST"],
    ["/live (a WebSocket)", "/live", 405, "GET"],
    ["a trailing slash", "/stats/", 307],
    ["a bad query", "/stats?timeframe_hours=abc", 422],
  ];
  for (const [what, path, status, allow] of errorCases) {
    test(`HEAD on ${what} gets the GET's ${status} without a body; the next request on the connection is answered`, async () => {
      const [head, get, next] = await keepAliveExchange(service.port, [
        { method: "HEAD", path },
        { method: allow === undefined ? "GET" : "HEAD", path },
        { method: "GET", path: "/ready" },
      ]);
      assert.equal(head?.status, status);
      assert.equal(get?.status, status);
      if (allow !== undefined) assert.equal(header(head ?? get, "Allow"), allow);
      if (allow === undefined && get) {
        assert.equal(Number(header(head ?? get, "Content-Length")), Buffer.byteLength(get.body, "latin1"));
      }
      assert.equal(next?.status, 200);
      assert.deepEqual(JSON.parse(next?.body ?? ""), { status: "ready" });
    });
  }
});

describe("Connection: close is sent once when the server closes", () => {
  const oversize: Array<[what: string, request: RawRequest]> = [
    [
      "413 for a declared oversize body",
      {
        method: "POST",
        path: "/visit",
        headers: { "Content-Type": "application/json", "Content-Length": "1000000" },
        body: '{"user_id":',
      },
    ],
    [
      "413 for a chunked body that grows past 16 KiB",
      {
        method: "POST",
        path: "/visit",
        headers: { "Content-Type": "application/json", "Transfer-Encoding": "chunked" },
        body: `4000\r\n${"x".repeat(0x4000)}\r\n10\r\n${"y".repeat(16)}\r\n`,
      },
    ],
    ["500 from a handler that throws", { method: "GET", path: "/__fault" }],
  ];
  for (const [what, raw] of oversize) {
    test(what, async () => {
      const [response] = await keepAliveExchange(service.port, [raw]);
      assert.ok(response);
      assert.equal(response.status, raw.path === "/__fault" ? 500 : 413);
      assert.deepEqual(headerValues(response, "Connection"), ["close"], JSON.stringify(response.lines));
    });
  }
});

describe("CORS on /live's refusals", async () => {
  const restricted = await startTestService(
    { after },
    { nWorkers: 1, corsOrigins: "https://shop.example", liveMaxConnections: 1 },
  );
  const ws = (origin?: string) =>
    new WebSocket(`${restricted.url.replace("http", "ws")}/live`, origin ? { origin } : {});
  const refusal = async (socket: WebSocket) => {
    const [, response] = (await once(socket, "unexpected-response")) as [
      unknown,
      { statusCode: number; headers: Record<string, string | undefined>; destroy(): void },
    ];
    response.destroy();
    return response;
  };

  test("426 to a plain GET carries the CORS header (any origin by default; an allowed one echoed)", async () => {
    const open = await request(service.url, "/live", { headers: { origin: "https://a.example" } });
    assert.equal(open.status, 426);
    assert.equal(open.headers["access-control-allow-origin"], "*");
    const listed = await request(restricted.url, "/live", { headers: { origin: "https://shop.example" } });
    assert.equal(listed.status, 426);
    assert.equal(listed.headers["access-control-allow-origin"], "https://shop.example");
    assert.equal(listed.headers.vary, "Origin");
  });

  test("503 past the connection limit carries it for an allowed origin; 403 for another origin has none", async (t) => {
    const first = ws("https://shop.example");
    t.after(() => first.terminate());
    await once(first, "open");
    const full = await refusal(ws("https://shop.example"));
    assert.equal(full.statusCode, 503);
    assert.equal(full.headers["access-control-allow-origin"], "https://shop.example");
    assert.equal(full.headers.vary, "Origin");
    assert.equal(full.headers["retry-after"], "5");
    first.close();
    await once(first, "close");
    const forbidden = await refusal(ws("https://evil.example"));
    assert.equal(forbidden.statusCode, 403);
    assert.equal(forbidden.headers["access-control-allow-origin"], undefined);
  });
});
