/**
 * Exports in cluster mode carry a `node_id` column: every row of an
 * instance's store is its own, so the column is the instance's node id. The
 * store records it, so `traffic-tracker export` of a stopped directory adds it
 * too (or the operator's `--node-id`); a run on its own keeps it (its visits
 * are in Redis under that id: another id would count them again).
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { parse as parseCsv } from "csv-parse/sync";
import { runExport } from "../../src/analytics/export-command.js";
import { request, visit } from "../helpers/http.js";
import { after, test } from "../helpers/node-test.js";
import { RedisServer } from "../helpers/redis-server.js";
import { startTestService } from "../helpers/service.js";
import { tempDataDir } from "../helpers/store.js";
import { until } from "../helpers/wait.js";

const ALL = { fromMs: -8.64e15, toMs: 8.64e15 };

async function fetchBytes(url: string): Promise<Buffer> {
  const reply = await fetch(url);
  assert.equal(reply.status, 200);
  return Buffer.from(await reply.arrayBuffer());
}

async function parquetRows(file: string): Promise<Array<[number, string]>> {
  const reader = await DuckDBInstance.create(":memory:");
  const connection = await reader.connect();
  try {
    const rows = await connection.runAndReadAll(
      `SELECT visit_count, node_id FROM read_parquet('${file}') ORDER BY visit_count`,
    );
    return rows.getRowsJS().map((r) => [Number(r[0]), String(r[1])]);
  } finally {
    connection.closeSync();
    reader.closeSync();
  }
}

const ndjsonRows = (bytes: Buffer) =>
  bytes
    .toString("utf8")
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as Record<string, unknown>);

test("/export and traffic-tracker export carry the node id once in cluster mode; a run on its own keeps it", {
  timeout: 180_000,
}, async (t) => {
  const redis = await RedisServer.start();
  after(() => redis.stop());
  const dir = tempDataDir(t);
  const manual = { after: () => {} };
  const service = await startTestService(manual, {
    dataDir: dir,
    nWorkers: 1,
    redis: redis.url,
    nodeId: "shop-1",
    clusterKey: "exp",
  });
  try {
    await until("ready", async () => (await request(service.url, "/ready")).status === 200);
    const numbers: number[] = [];
    for (let i = 0; i < 12; i++) {
      const reply = await visit(service.url, { user_id: `u${i}`, page_url: "/p" });
      assert.equal(reply.status, 200);
      numbers.push(reply.json.visit_count as number);
    }
    let rows: Array<Record<string, unknown>> = [];
    await until(
      "the 12 visits in /export",
      async () => {
        rows = ndjsonRows(await fetchBytes(`${service.url}/export?format=ndjson`));
        return rows.length === 12;
      },
      { timeoutMs: 30_000, everyMs: 200 },
    );
    assert.deepEqual(Object.keys(rows[0] as object).at(-1), "node_id", "the last column");
    assert.deepEqual(
      rows.map((r) => [r.visit_count, r.node_id]),
      numbers.map((n) => [n, "shop-1"]),
    );
    const csv = parseCsv(await fetchBytes(`${service.url}/export?format=csv`), { columns: true }) as Array<
      Record<string, string>
    >;
    assert.deepEqual(
      csv.map((r) => [Number(r.visit_count), r.node_id]),
      numbers.map((n) => [n, "shop-1"]),
    );
    const parquet = join(dir, "served.parquet");
    writeFileSync(parquet, await fetchBytes(`${service.url}/export`));
    assert.deepEqual(
      await parquetRows(parquet),
      numbers.map((n) => [n, "shop-1"]),
    );
  } finally {
    await service.stop();
  }

  // The stopped directory: the node id the store recorded, or the operator's.
  const csvFile = join(dir, "stopped.csv");
  assert.equal(await runExport({ dataDir: dir, out: csvFile, format: "csv", ...ALL }), 12);
  const csv = parseCsv(readFileSync(csvFile), { columns: true }) as Array<Record<string, string>>;
  assert.deepEqual([...new Set(csv.map((r) => r.node_id))], ["shop-1"]);
  const parquet = join(dir, "stopped.parquet");
  await runExport({ dataDir: dir, out: parquet, format: "parquet", ...ALL, nodeId: "shop-1-old-disk" });
  assert.deepEqual([...new Set((await parquetRows(parquet)).map((r) => r[1]))], ["shop-1-old-disk"]);

  // Another node id on this store would reconcile shop-1's visits again under its own: refused.
  await assert.rejects(
    startTestService(manual, { dataDir: dir, nWorkers: 1, redis: redis.url, nodeId: "shop-2", clusterKey: "exp" }),
    /holds the visits of node id "shop-1", not "shop-2": start it with --node-id shop-1, or give this node its own --data-dir/,
  );
  // A run on its own keeps the recorded id: its exports keep the column, and another id is still
  // refused (with the id cleared, shop-2 would reconcile shop-1's 12 visits again: 24 in Redis).
  const alone = await startTestService(manual, { dataDir: dir, nWorkers: 1 });
  await alone.stop();
  const ndjson = join(dir, "alone.ndjson");
  await runExport({ dataDir: dir, out: ndjson, format: "ndjson", ...ALL });
  const lines = ndjsonRows(readFileSync(ndjson));
  assert.equal(lines.length, 12);
  assert.deepEqual([...new Set(lines.map((r) => r.node_id))], ["shop-1"]);
  await assert.rejects(
    startTestService(manual, { dataDir: dir, nWorkers: 1, redis: redis.url, nodeId: "shop-2", clusterKey: "exp" }),
    /holds the visits of node id "shop-1", not "shop-2"/,
  );
  // The same id after the run on its own is welcome.
  const again = await startTestService(manual, {
    dataDir: dir,
    nWorkers: 1,
    redis: redis.url,
    nodeId: "shop-1",
    clusterKey: "exp",
  });
  await again.stop();
});
