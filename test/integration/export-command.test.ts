import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseCsv } from "csv-parse/sync";
import { ExportError, parseExportArgs, runExport } from "../../src/analytics/export-command.js";
import { segmentPath } from "../../src/store/journal.js";
import { generateVisits, journalLine } from "../helpers/analytics.js";
import { runCli } from "../helpers/cli.js";
import { visit } from "../helpers/http.js";
import { describe, test } from "../helpers/node-test.js";
import { startTestService } from "../helpers/service.js";
import { queryStore, tempDataDir } from "../helpers/store.js";

const ROW_SQL =
  "SELECT visit_count, strftime(ts, '%Y-%m-%dT%H:%M:%S.%gZ'), user_id, page_url, user_agent, ip_address, referrer";
const plain = (rows: unknown[][]) => rows.map((r) => r.map((v) => (typeof v === "bigint" ? Number(v) : v)));

describe("traffic-tracker export (a stopped data directory)", () => {
  test("options: the format from the file name, exact messages for bad ones", () => {
    const parsed = parseExportArgs(["--data-dir", "d", "--out", "x.CSV", "--from", "2026-12-01"]);
    assert.deepEqual(typeof parsed === "string" ? parsed : [parsed.format, parsed.fromMs], [
      "csv",
      Date.UTC(2026, 11, 1),
    ]);
    assert.equal(typeof parsed !== "string" && parsed.format, "csv");
    const defaults = parseExportArgs(["--out", "x"], { DATA_DIR: "/srv/tt" });
    assert.equal(typeof defaults !== "string" && `${defaults.dataDir} ${defaults.format}`, "/srv/tt parquet");
    const bad: Array<[string[], RegExp]> = [
      [["--data-dir", "d"], /^--out <file> is required$/],
      [["--out", "x", "--format", "xlsx"], /^--format is parquet, csv or ndjson, got "xlsx"$/],
      [["--out", "x", "--to", "tomorrow"], /^--to must be an ISO 8601 instant/],
      [["--out", "x", "--bogus"], /unknown option '--bogus'/],
    ];
    for (const [argv, message] of bad) {
      assert.throws(
        () => parseExportArgs(argv),
        (e: unknown) => e instanceof ExportError && e.exitCode === 2 && message.test(e.message),
        argv.join(" "),
      );
    }
    assert.match(String(parseExportArgs(["--help"])), /--data-dir <dir>/);
  });

  test("refused while a service holds the directory; afterwards equal to the stored rows plus the journal a crash left", async (t) => {
    const dir = tempDataDir(t);
    const service = await startTestService(t, { dataDir: dir, nWorkers: 1 });
    for (const v of generateVisits(30, [0], 11)) {
      const { c: _c, t: _t, ...body } = v;
      assert.equal((await visit(service.url, body)).status, 200);
    }
    const out = join(dir, "out.parquet");
    // Another process, as an operator would run it (DuckDB's lock is per process).
    const refused = runCli(["export", "--data-dir", dir, "--out", out]);
    assert.equal(await refused.exited, 1);
    assert.match(
      refused.stderr(),
      /^traffic-tracker export: .* is in use by a running traffic-tracker \(PID \d+\): stop it first/,
    );
    await service.stop();
    // What a crash would leave: a journal segment DuckDB has not imported.
    const leftover = generateVisits(5, [Date.now() - 1000], 12, 31);
    writeFileSync(segmentPath(dir, 999_999), leftover.map(journalLine).join(""));

    const stored = plain(await queryStore(dir, `${ROW_SQL} FROM visits ORDER BY visit_count`));
    assert.equal(stored.length, 30);
    const all = [
      ...stored,
      ...leftover.map((v) => [
        v.c,
        new Date(v.t).toISOString(),
        v.user_id,
        v.page_url,
        "test-agent",
        null,
        v.referrer ?? null,
      ]),
    ];

    assert.equal(await runExport({ dataDir: dir, out, format: "parquet", fromMs: -8.64e15, toMs: 8.64e15 }), 35);
    const fromParquet = plain(await queryStore(dir, `${ROW_SQL} FROM read_parquet('${out}')`));
    assert.deepEqual(fromParquet, all);
    // The command itself, in its own process.
    const ndjson = join(dir, "out.ndjson");
    const cli = runCli(["export", "--data-dir", dir, "--out", ndjson]);
    assert.equal(await cli.exited, 0, cli.stderr());
    assert.match(cli.stderr(), /35 visits written to .*out\.ndjson \(ndjson,/);
    const lines = readFileSync(ndjson, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    assert.deepEqual(
      lines.map((r) => r.visit_count),
      all.map((r) => r[0]),
    );

    const csv = join(dir, "out.csv");
    const from = all[10]?.[1] as string;
    const to = all[20]?.[1] as string;
    const n = await runExport({
      dataDir: dir,
      out: csv,
      format: "csv",
      fromMs: Date.parse(from),
      toMs: Date.parse(to),
    });
    const rows = (parseCsv(readFileSync(csv), { columns: true }) as Array<Record<string, string>>).map((r) => [
      Number(r.visit_count),
      r.ts,
      r.user_id,
      r.page_url,
      r.user_agent,
      r.ip_address,
      r.referrer,
    ]);
    const expected = all
      .filter((r) => (r[1] as string) >= from && (r[1] as string) < to)
      .map((r) => r.map((v) => (v === null ? "" : v)));
    assert.equal(n, expected.length);
    assert.deepEqual(rows, expected);
  });

  test("a directory without a store is a clear error", async (t) => {
    const dir = tempDataDir(t);
    await assert.rejects(
      runExport({ dataDir: dir, out: join(dir, "x.parquet"), format: "parquet", fromMs: 0, toMs: 1 }),
      /visits\.duckdb does not exist: no traffic-tracker store in/,
    );
  });
});
