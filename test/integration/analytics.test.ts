import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { parse as parseCsv } from "csv-parse/sync";
import { generateVisits } from "../helpers/analytics.js";
import { request, visit } from "../helpers/http.js";
import { describe, test } from "../helpers/node-test.js";
import { startTestService } from "../helpers/service.js";
import { queryStore, tempDataDir } from "../helpers/store.js";

const TOKEN = "test-admin-token-0123456789abcdef";
const bearer = { authorization: `Bearer ${TOKEN}` };

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function fetchBytes(url: string, headers: Record<string, string> = {}) {
  const reply = await fetch(url, { headers });
  return { status: reply.status, headers: reply.headers, bytes: Buffer.from(await reply.arrayBuffer()) };
}

describe("operators' endpoints: access", () => {
  test("with --admin-token: 401 + WWW-Authenticate without it or with another, 200 with it", async (t) => {
    const service = await startTestService(t, { dataDir: tempDataDir(t), adminToken: TOKEN });
    for (const path of ["/analytics", "/export?format=csv", "/dashboard"]) {
      const attempts: Array<Record<string, string>> = [
        {},
        { authorization: "Bearer wrong-token-0123456789abcdef" },
        { authorization: TOKEN },
      ];
      for (const headers of attempts) {
        const reply = await request(service.url, path, { headers: { ...headers, accept: "application/json" } });
        assert.equal(reply.status, 401, `${path} ${JSON.stringify(headers)}`);
        assert.deepEqual(reply.json, { detail: "Not authenticated" });
        assert.equal(reply.headers["www-authenticate"], "Bearer");
      }
    }
    // A browser opening the page gets it (401 still), so that it can ask for the token.
    const page = await request(service.url, "/dashboard", { headers: { accept: "text/html,*/*" } });
    assert.equal(page.status, 401);
    assert.equal(page.headers["www-authenticate"], "Bearer");
    assert.match(page.text, /<html/);
    const analytics = await request(service.url, "/analytics", { headers: bearer });
    assert.equal(analytics.status, 200);
    assert.equal(analytics.json.scope, "node");
    const exported = await fetchBytes(`${service.url}/export?format=csv`, bearer);
    assert.equal(exported.status, 200);
    assert.equal(
      exported.bytes.toString().split("\n")[0],
      "visit_count,ts,user_id,page_url,user_agent,ip_address,referrer",
    );
    const dashboard = await request(service.url, "/dashboard", { headers: bearer });
    assert.equal(dashboard.status, 200);
    assert.equal(dashboard.headers["content-type"], "text/html; charset=utf-8");
    // The token is never logged.
    assert.ok(!service.logs.some((line) => line.includes(TOKEN)));
  });

  test("HEAD answers what a GET would, without a body; HEAD /export runs no export", async (t) => {
    const service = await startTestService(t, { dataDir: tempDataDir(t), adminToken: TOKEN });
    const head = (path: string, headers: Record<string, string> = bearer) =>
      request(service.url, path, { method: "HEAD", headers });
    for (const path of ["/analytics", "/export"]) {
      const denied = await head(path, {});
      assert.equal(denied.status, 401, path);
      assert.equal(denied.headers["www-authenticate"], "Bearer");
      assert.equal(denied.text, "");
    }
    assert.equal((await head("/analytics?limit=0")).status, 422);
    assert.equal((await head("/export?format=xls")).status, 422);
    const analytics = await head("/analytics?timeframe_hours=0.1");
    const get = await request(service.url, "/analytics?timeframe_hours=0.1", { headers: bearer });
    assert.equal(analytics.status, 200);
    assert.equal(analytics.text, "");
    assert.equal(analytics.headers["content-type"], get.headers["content-type"]);
    assert.equal(analytics.headers["cache-control"], "no-store");
    assert.equal(Number(analytics.headers["content-length"]), Buffer.byteLength(get.text), "the GET's length");
    const exported = await head("/export?format=csv");
    assert.equal(exported.status, 200);
    assert.equal(exported.text, "");
    assert.equal(exported.headers["content-type"], "text/csv; charset=utf-8");
    assert.match(String(exported.headers["content-disposition"]), /^attachment; filename="visits-.*\.csv"$/);
    assert.equal(exported.headers["cache-control"], "no-store");
    assert.equal(exported.headers["content-length"], undefined, "a GET's length is not known before it ends");
  });

  test("without a token: loopback clients, over IPv4 and IPv6 (dual-stack --host ::)", async (t) => {
    const service = await startTestService(t, { dataDir: tempDataDir(t), host: "::" });
    for (const host of ["127.0.0.1", "[::1]"]) {
      const reply = await request(`http://${host}:${service.port}`, "/analytics?timeframe_hours=0.1");
      assert.equal(reply.status, 200, host);
      assert.equal(reply.json.visits, 0);
    }
  });

  test("with --no-persist: 422 for bad parameters, else 503 with the contract's body", async (t) => {
    const service = await startTestService(t);
    for (const path of ["/analytics", "/export"]) {
      const reply = await request(service.url, path);
      assert.equal(reply.status, 503, path);
      assert.deepEqual(reply.json, {
        detail: "Analytics need the visit store; the service runs with --no-persist",
      });
      assert.equal((await request(service.url, path, { method: "HEAD" })).status, 503, `HEAD ${path}`);
    }
    const bad = await request(service.url, "/analytics?limit=0");
    assert.equal(bad.status, 422);
    assert.deepEqual(bad.json.detail[0].loc, ["query", "limit"]);
    const badExport = await request(service.url, "/export?format=xls&from=soon");
    assert.equal(badExport.status, 422);
    assert.deepEqual(
      badExport.json.detail.map((d: { loc: string[] }) => d.loc),
      [
        ["query", "format"],
        ["query", "from"],
      ],
    );
  });
});

describe("operators' endpoints: numbers and files", () => {
  test("/analytics equals a count of the exported rows and /stats; exports equal the stored rows", {
    timeout: 180_000,
  }, async (t) => {
    const dir = tempDataDir(t);
    const service = await startTestService(t, { dataDir: dir, nWorkers: 2 });
    const visits = generateVisits(240, [0], 99);
    let lastAck = 0;
    await Promise.all(
      [0, 1, 2, 3].map(async (lane) => {
        for (let i = lane; i < visits.length; i += 4) {
          const { c: _c, t: _t, ...body } = visits[i] as (typeof visits)[number];
          const reply = await visit(service.url, body);
          assert.equal(reply.status, 200);
          lastAck = Math.max(lastAck, Date.now());
        }
      }),
    );
    // Every visit acknowledged at least 2 s ago is in the answer.
    const analytics = await until("all visits counted", async () => {
      const reply = await request(service.url, "/analytics?timeframe_hours=1&limit=100");
      assert.equal(reply.status, 200);
      return reply.json.visits === visits.length ? reply.json : undefined;
    });
    assert.ok(Date.now() - lastAck >= 2000);
    const stats = await request(service.url, "/stats?timeframe_hours=1");
    assert.equal(stats.json.recent_visits, analytics.visits);

    const ndjson = await fetchBytes(`${service.url}/export?format=ndjson`);
    assert.equal(ndjson.status, 200);
    assert.equal(ndjson.headers.get("content-type"), "application/x-ndjson");
    assert.match(ndjson.headers.get("content-disposition") ?? "", /^attachment; filename="visits-.*\.ndjson"$/);
    const rows = ndjson.bytes
      .toString("utf8")
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => JSON.parse(line));
    assert.deepEqual(
      rows.map((r) => r.visit_count),
      visits.map((_, i) => i + 1),
      "every visit, ordered by visit_count",
    );
    // Brute force over the exported rows.
    const users = new Set(rows.map((r) => r.user_id));
    assert.equal(analytics.unique_visitors, users.size);
    const direct = rows.filter((r) => r.referrer === null || r.referrer === "").length;
    assert.equal(analytics.direct_visits, direct);
    const byPage = new Map<string, number>();
    for (const r of rows) byPage.set(r.page_url, (byPage.get(r.page_url) ?? 0) + 1);
    const pages = [...byPage].sort(([a, x], [b, y]) => y - x || Buffer.compare(Buffer.from(a), Buffer.from(b)));
    assert.deepEqual(
      analytics.top_pages.map((p: { page_url: string; visits: number }) => [p.page_url, p.visits]),
      pages,
    );
    const seriesSum = analytics.series.points.reduce((n: number, p: [string, number]) => n + p[1], 0);
    assert.equal(seriesSum, visits.length);
    // One point per minute the window touches, from its first second to its last (`to` is exclusive):
    // 61, or 60 when the window starts on a whole minute (asked at second :59).
    const minuteOf = (ms: number) => Math.floor(ms / 60_000);
    const expectedPoints = minuteOf(Date.parse(analytics.to) - 1000) - minuteOf(Date.parse(analytics.from)) + 1;
    assert.ok(expectedPoints === 60 || expectedPoints === 61, `${analytics.from} .. ${analytics.to}`);
    assert.equal(analytics.series.points.length, expectedPoints);

    const parquet = await fetchBytes(`${service.url}/export`);
    assert.equal(parquet.status, 200);
    assert.equal(parquet.headers.get("content-type"), "application/vnd.apache.parquet");
    const csv = await fetchBytes(`${service.url}/export?format=csv`);
    const middle = rows[100].ts as string;
    const later = rows[180].ts as string;
    const ranged = await fetchBytes(`${service.url}/export?format=ndjson&from=${middle}&to=${later}`);
    await service.stop();

    const stored = (
      await queryStore(
        dir,
        "SELECT visit_count, strftime(ts, '%Y-%m-%dT%H:%M:%S.%gZ'), user_id, page_url, user_agent, ip_address, referrer FROM visits ORDER BY visit_count",
      )
    ).map((r) => r.map((v) => (typeof v === "bigint" ? Number(v) : v)));
    assert.equal(stored.length, visits.length);
    const asArrays = (objects: Array<Record<string, unknown>>) =>
      objects.map((r) => [r.visit_count, r.ts, r.user_id, r.page_url, r.user_agent, r.ip_address, r.referrer]);
    assert.deepEqual(asArrays(rows), stored, "ndjson");

    const csvRows = parseCsv(csv.bytes, { columns: true }) as Array<Record<string, string>>;
    // CSV has no null: DuckDB writes it as an empty field.
    assert.deepEqual(
      asArrays(csvRows).map((r) => r.map((v, i) => (i === 0 ? Number(v) : v))),
      stored.map((r) => r.map((v) => (v === null ? "" : v))),
      "csv",
    );

    const file = join(dir, "export.parquet");
    writeFileSync(file, parquet.bytes);
    const reader = await DuckDBInstance.create(":memory:");
    const connection = await reader.connect();
    const fromParquet = (
      await connection.runAndReadAll(
        `SELECT visit_count, strftime(ts, '%Y-%m-%dT%H:%M:%S.%gZ'), user_id, page_url, user_agent, ip_address, referrer FROM read_parquet('${file}')`,
      )
    )
      .getRowsJS()
      .map((r) => r.map((v) => (typeof v === "bigint" ? Number(v) : v)));
    connection.closeSync();
    reader.closeSync();
    assert.deepEqual(fromParquet, stored, "parquet, in visit_count order");

    const rangedRows = ranged.bytes
      .toString("utf8")
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => JSON.parse(line));
    assert.deepEqual(
      asArrays(rangedRows),
      stored.filter((r) => (r[1] as string) >= middle && (r[1] as string) < later),
      "from <= ts < to",
    );
  });
});
