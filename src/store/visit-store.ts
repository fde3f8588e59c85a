/**
 * @module The embedded visit store: one DuckDB file under --data-dir. Opening
 * checks the file is ours; history rebuilds the counters; an Appender writes
 * rows in batches, one transaction (one WAL commit) per batch.
 *
 * Only the recorder thread touches it. DuckDB locks the file, so a second
 * process on the same directory is refused at open.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, rmSync, statSync, writeSync } from "node:fs";
import { join, resolve } from "node:path";
import { type DuckDBAppender, type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import type { VisitRow } from "./visit-record.js";

export const STORE_FILE = "visits.duckdb";
export const SCHEMA_VERSION = "1";
const META_TABLE = "traffic_tracker_meta";

const SCHEMA = [
  `CREATE TABLE ${META_TABLE} (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)`,
  // No primary key on visit_count: an index would slow every append; counts are unique by construction.
  `CREATE TABLE visits (
     visit_count BIGINT NOT NULL,
     ts          TIMESTAMP NOT NULL, -- UTC
     user_id     VARCHAR NOT NULL,
     page_url    VARCHAR NOT NULL,
     user_agent  VARCHAR,
     ip_address  VARCHAR,
     referrer    VARCHAR
   )`,
];

/** A storage problem the operator must fix; its message is the one line they read. */
export class StoreError extends Error {
  override name = "StoreError";
}

/** What the counters are rebuilt from at start. */
export interface History {
  /** Highest visit_count stored (0 for a new store): counting goes on from here. */
  readonly total: number;
  readonly rows: number;
  /** Pairs [unix second, visits in it] for every second since `sinceMs` that has visits. */
  readonly seconds: Float64Array;
}

/** Maps DuckDB's and the file system's errors to what the operator should do. */
export function describeStoreError(dir: string, error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const file = join(dir, STORE_FILE);
  if (/Could not set lock|Conflicting lock/i.test(message)) {
    const holder = /held in (.*?)(?:\. See|$)/.exec(message)?.[1];
    return `${file} is in use by another process${holder ? ` (${holder})` : ""}: one data directory serves one traffic-tracker; stop the other one or give this one its own --data-dir`;
  }
  if (/not a valid DuckDB database/i.test(message)) {
    return `${file} is not a traffic-tracker store (not a DuckDB database, or damaged): move it away or choose another --data-dir`;
  }
  if (/No space left on device|ENOSPC|disk is full/i.test(message)) {
    return `no space left on the device holding ${resolve(dir)}: free some space or choose another --data-dir`;
  }
  if (/Read-only file system|EROFS|Permission denied|EACCES|EPERM/i.test(message)) {
    return `${resolve(dir)} is not writable (${firstLine(message)}): fix its permissions or choose another --data-dir`;
  }
  return `visit store ${file}: ${firstLine(message)}`;
}

const firstLine = (s: string) => s.split("\n")[0] ?? s;

/**
 * Creates the directory if needed and proves it takes a write and an fsync,
 * so a read-only or full disk is reported before anything is counted.
 */
function prepareDirectory(dir: string): void {
  try {
    makeDirectory(dir);
    if (!statSync(dir).isDirectory()) throw new StoreError(`${resolve(dir)} is not a directory`);
    const probe = join(dir, `.write-probe-${process.pid}`);
    const fd = openSync(probe, "w");
    try {
      writeSync(fd, Buffer.alloc(4096));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
      rmSync(probe, { force: true });
    }
  } catch (error) {
    if (error instanceof StoreError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EEXIST" || code === "ENOTDIR") throw new StoreError(`${resolve(dir)} is not a directory`);
    throw new StoreError(describeStoreError(dir, error));
  }
}

/** mkdir -p, but with the real reason: a recursive mkdir on a read-only mount says ENOENT. */
function makeDirectory(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") mkdirSync(dir); // throws EROFS, EACCES…
    throw error;
  }
}

export class VisitStore {
  readonly dir: string;
  private readonly instance: DuckDBInstance;
  private readonly connection: DuckDBConnection;
  private appender: DuckDBAppender | undefined;
  private closed = false;

  private constructor(dir: string, instance: DuckDBInstance, connection: DuckDBConnection) {
    this.dir = dir;
    this.instance = instance;
    this.connection = connection;
  }

  /** Opens (or creates) the store in `dir`; every failure is a StoreError with one clear line. */
  static async open(dir: string, version: string): Promise<VisitStore> {
    prepareDirectory(dir);
    let instance: DuckDBInstance | undefined;
    try {
      // One DuckDB thread: the recorder is a single writer, and on small boxes extra threads only steal CPU from the workers.
      instance = await DuckDBInstance.create(join(dir, STORE_FILE), { threads: "1" });
      const connection = await instance.connect();
      const store = new VisitStore(dir, instance, connection);
      await store.ensureSchema(version);
      return store;
    } catch (error) {
      try {
        instance?.closeSync();
      } catch {}
      if (error instanceof StoreError) throw error;
      throw new StoreError(describeStoreError(dir, error));
    }
  }

  private async ensureSchema(version: string): Promise<void> {
    const tables = (
      await this.connection.runAndReadAll(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' AND table_catalog = current_database()",
      )
    )
      .getRowsJS()
      .map((row) => String(row[0]));
    const file = join(this.dir, STORE_FILE);
    if (tables.length === 0) {
      await this.connection.run("BEGIN TRANSACTION");
      for (const statement of SCHEMA) await this.connection.run(statement);
      await this.connection.run(`INSERT INTO ${META_TABLE} VALUES ('schema_version', $1), ('created_by', $2)`, [
        SCHEMA_VERSION,
        `traffic-tracker ${version}`,
      ]);
      await this.connection.run("COMMIT");
      return;
    }
    if (!tables.includes(META_TABLE) || !tables.includes("visits")) {
      throw new StoreError(
        `${file} is a DuckDB database but not a traffic-tracker store (tables: ${tables.slice(0, 5).join(", ")}): move it away or choose another --data-dir`,
      );
    }
    const found = (
      await this.connection.runAndReadAll(`SELECT value FROM ${META_TABLE} WHERE key = 'schema_version'`)
    ).getRowsJS()[0]?.[0];
    if (String(found) !== SCHEMA_VERSION) {
      throw new StoreError(
        `${file} has store schema version ${String(found)}; this traffic-tracker reads version ${SCHEMA_VERSION}`,
      );
    }
  }

  /** The highest count stored and the visits per second since `sinceMs`. */
  async history(sinceMs: number): Promise<History> {
    const totals = (
      await this.connection.runAndReadAll("SELECT coalesce(max(visit_count), 0), count(*) FROM visits")
    ).getRowsJS()[0];
    const perSecond = await this.connection.runAndReadAll(
      `SELECT CAST(floor(epoch_ms(ts) / 1000) AS BIGINT) AS s, count(*) AS n
         FROM visits WHERE ts >= make_timestamp(CAST($1 AS BIGINT)) GROUP BY s ORDER BY s`,
      [BigInt(Math.floor(sinceMs) * 1000)],
    );
    const rows = perSecond.getRowsJS();
    const seconds = new Float64Array(rows.length * 2);
    rows.forEach((row, i) => {
      seconds[2 * i] = Number(row[0]);
      seconds[2 * i + 1] = Number(row[1]);
    });
    return { total: Number(totals?.[0] ?? 0), rows: Number(totals?.[1] ?? 0), seconds };
  }

  /** Opens a batch (an Appender) if none is open. */
  async prepare(): Promise<void> {
    this.appender ??= await this.connection.createAppender("visits");
  }

  /** Adds one row to the open batch (nothing is stored until `commit`). */
  append(row: VisitRow): void {
    const a = this.appender;
    if (!a) throw new Error("VisitStore.append before prepare()");
    a.appendBigInt(BigInt(row.visitCount));
    a.appendTimestamp({ micros: BigInt(Math.round(row.tsMs * 1000)) } as never);
    a.appendVarchar(row.userId);
    a.appendVarchar(row.pageUrl);
    if (row.userAgent === null) a.appendNull();
    else a.appendVarchar(row.userAgent);
    if (row.ipAddress === null) a.appendNull();
    else a.appendVarchar(row.ipAddress);
    if (row.referrer === null) a.appendNull();
    else a.appendVarchar(row.referrer);
    a.endRow();
  }

  /** Stores the batch: one transaction, written to DuckDB's WAL before it returns. */
  commit(): void {
    this.appender?.flushSync();
  }

  /** After a failed commit: drop the batch (the rows stay in the rings) and start a fresh appender. */
  discardBatch(): void {
    const a = this.appender;
    this.appender = undefined;
    try {
      a?.clear();
    } catch {}
  }

  /** Folds the WAL into the database file (quicker next start) and releases the lock. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.appender?.closeSync();
    } catch {}
    try {
      this.connection.closeSync();
    } finally {
      this.instance.closeSync();
    }
  }

  async checkpoint(): Promise<void> {
    await this.connection.run("CHECKPOINT");
  }
}
