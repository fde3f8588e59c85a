import assert from "node:assert/strict";
import { rawExchange, request, visit } from "../helpers/http.js";
import { after, describe, test } from "../helpers/node-test.js";
import { startTestService } from "../helpers/service.js";

const service = await startTestService({ after });

describe("routing", () => {
  test("an unknown path is a 404", async () => {
    const reply = await request(service.url, "/nope");
    assert.equal(reply.status, 404);
    assert.deepEqual(reply.json, { detail: "Not Found" });
  });

  const wrongMethods: Array<[string, string, string]> = [
    ["GET", "/visit", "POST"],
    ["PUT", "/visit", "POST"],
    ["DELETE", "/stats", "GET, HEAD"],
    ["POST", "/health", "GET, HEAD"],
    ["POST", "/openapi.json", "GET, HEAD"],
    ["POST", "/analytics", "GET, HEAD"],
    ["DELETE", "/export", "GET, HEAD"],
    ["PUT", "/dashboard", "GET, HEAD"],
    ["POST", "/live", "GET"],
    ["PUT", "/live", "GET"],
    ["DELETE", "/live", "GET"],
    ["POST", "/metrics", "GET, HEAD"],
    ["POST", "/widget.js", "GET, HEAD"],
    ["POST", "/docs", "GET, HEAD"],
  ];
  for (const [method, path, allow] of wrongMethods) {
    test(`${method} ${path} is a 405 with Allow: ${allow}`, async () => {
      const reply = await request(service.url, path, { method });
      assert.equal(reply.status, 405);
      assert.deepEqual(reply.json, { detail: "Method Not Allowed" });
      assert.equal(reply.headers.allow, allow);
    });
  }

  test("a trailing slash redirects to the route, keeping the query (as FastAPI does)", async () => {
    const reply = await request(service.url, "/stats/?timeframe_hours=2");
    assert.equal(reply.status, 307);
    assert.equal(reply.headers.location, "/stats?timeframe_hours=2");
  });
});

describe("GET /health", () => {
  test("is 200 healthy with every worker alive", async () => {
    const reply = await request(service.url, "/health");
    assert.equal(reply.status, 200);
    assert.equal(reply.json.status, "healthy");
    assert.equal(reply.json.workers_alive, 2);
    assert.equal(reply.json.workers_expected, 2);
  });
});

describe("CORS with the default policy", () => {
  test("every response allows any origin", async () => {
    const reply = await visit(service.url);
    assert.equal(reply.headers["access-control-allow-origin"], "*");
  });

  test("a visit's response head holds Content-Type and the CORS header once each, as separate lines", async () => {
    // Both are written in one writeHeader call (Responder.jsonForAnyOrigin): the bytes must still be two clean header lines.
    const body = '{"user_id":"u","page_url":"/p"}';
    const { text } = await rawExchange(
      service.port,
      `POST /visit HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    );
    const head = text.slice(0, text.indexOf("\r\n\r\n")).split("\r\n");
    assert.equal(head[0], "HTTP/1.1 200 OK");
    const lines = head.slice(1);
    assert.deepEqual(
      lines.filter((l) => /^content-type:/i.test(l)),
      ["Content-Type: application/json"],
    );
    assert.deepEqual(
      lines.filter((l) => /^access-control-allow-origin:/i.test(l)),
      ["Access-Control-Allow-Origin: *"],
    );
    for (const line of lines) assert.match(line, /^[A-Za-z-]+: \S/, `malformed header line ${JSON.stringify(line)}`);
    assert.equal(text.slice(text.indexOf("\r\n\r\n") + 4).startsWith('{"success":true'), true);
  });

  test("a preflight from any origin is answered", async () => {
    const reply = await request(service.url, "/visit", {
      method: "OPTIONS",
      headers: {
        origin: "https://shop.example",
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type",
      },
    });
    assert.equal(reply.status, 200);
    assert.equal(reply.headers["access-control-allow-origin"], "*");
    assert.match(String(reply.headers["access-control-allow-methods"]), /POST/);
    assert.equal(reply.headers["access-control-allow-headers"], "content-type");
    assert.equal(reply.headers["access-control-max-age"], "600");
    assert.equal(reply.headers["access-control-allow-credentials"], undefined);
  });

  test("a plain OPTIONS (no preflight headers) is a 405 on a known path", async () => {
    assert.equal((await request(service.url, "/visit", { method: "OPTIONS" })).status, 405);
  });
});

describe("CORS restricted to a list of origins", async () => {
  const restricted = await startTestService(
    { after },
    { nWorkers: 1, corsOrigins: "https://shop.example,http://localhost:3000" },
  );

  test("an allowed origin is echoed with Vary: Origin", async () => {
    const reply = await request(restricted.url, "/stats", { headers: { origin: "http://localhost:3000" } });
    assert.equal(reply.headers["access-control-allow-origin"], "http://localhost:3000");
    assert.equal(reply.headers.vary, "Origin");
  });

  test("another origin gets no CORS header, and its preflight is refused", async () => {
    const simple = await request(restricted.url, "/stats", { headers: { origin: "https://evil.example" } });
    assert.equal(simple.status, 200);
    assert.equal(simple.headers["access-control-allow-origin"], undefined);
    const preflight = await request(restricted.url, "/visit", {
      method: "OPTIONS",
      headers: { origin: "https://evil.example", "access-control-request-method": "POST" },
    });
    assert.equal(preflight.status, 400);
    assert.equal(preflight.text, "Disallowed CORS origin");
  });

  test("an allowed origin's preflight is answered", async () => {
    const preflight = await request(restricted.url, "/visit", {
      method: "OPTIONS",
      headers: { origin: "https://shop.example", "access-control-request-method": "POST" },
    });
    assert.equal(preflight.status, 200);
    assert.equal(preflight.headers["access-control-allow-origin"], "https://shop.example");
  });
});

describe("API documentation", () => {
  test("/openapi.json is OpenAPI 3.1 with every endpoint and the typia schemas", async () => {
    const reply = await request(service.url, "/openapi.json");
    assert.equal(reply.status, 200);
    const doc = reply.json;
    assert.equal(doc.openapi, "3.1.0");
    assert.deepEqual(Object.keys(doc.paths).sort(), [
      "/analytics",
      "/dashboard",
      "/docs",
      "/export",
      "/health",
      "/live",
      "/metrics",
      "/openapi.json",
      "/ready",
      "/redoc",
      "/stats",
      "/visit",
      "/widget",
      "/widget.js",
    ]);
    const visitRequest = doc.components.schemas.VisitRequest;
    assert.deepEqual(visitRequest.required, ["user_id", "page_url"]);
    assert.equal(visitRequest.properties.user_id.maxLength, 256);
    const timeframe = doc.paths["/stats"].get.parameters[0];
    assert.equal(timeframe.name, "timeframe_hours");
    assert.equal(timeframe.schema.minimum, 0.1);
    assert.equal(timeframe.schema.maximum, 168);
  });

  const pages: Array<[string, RegExp, string[]]> = [
    ["/docs", /SwaggerUIBundle/, ["/docs/swagger-ui.css", "/docs/swagger-ui-bundle.js"]],
    ["/redoc", /<redoc spec-url="\/openapi.json">/, ["/redoc/redoc.standalone.js"]],
  ];
  for (const [path, marker, assets] of pages) {
    test(`${path} works offline: its page and assets come from this server`, async () => {
      const page = await request(service.url, path);
      assert.equal(page.status, 200);
      assert.match(String(page.headers["content-type"]), /^text\/html/);
      assert.match(page.text, marker);
      assert.doesNotMatch(page.text, /https?:\/\//, "no external URL in the page");
      for (const asset of assets) {
        assert.ok(page.text.includes(asset), `${path} references ${asset}`);
        const reply = await request(service.url, asset);
        assert.equal(reply.status, 200, asset);
        assert.ok(reply.text.length > 10_000, `${asset} is the real bundle`);
      }
    });
  }
});
