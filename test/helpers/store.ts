/** Reads a stopped (or killed) service's visit store, the way an operator would. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { STORE_FILE } from "../../src/store/visit-store.js";

/** Rows of `sql` against the store in `dir`, values as plain JS (BIGINT as bigint). */
export async function queryStore(dir: string, sql: string): Promise<unknown[][]> {
  const instance = await DuckDBInstance.create(join(dir, STORE_FILE));
  try {
    const connection = await instance.connect();
    try {
      return (await connection.runAndReadAll(sql)).getRowsJS();
    } finally {
      connection.closeSync();
    }
  } finally {
    instance.closeSync();
  }
}

/** Every visit_count stored, ascending. */
export async function storedCounts(dir: string): Promise<number[]> {
  return (await queryStore(dir, "SELECT visit_count FROM visits ORDER BY visit_count")).map((r) => Number(r[0]));
}

/** A fresh directory removed after the test. */
export function tempDataDir(hooks: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), "traffic-tracker-test-"));
  hooks.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
