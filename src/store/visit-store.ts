/**
 * @module The embedded visit store: one DuckDB file under --data-dir. Opening
 * checks the file is ours; history rebuilds the counters; closed journal
 * segments (see journal.ts) are imported in one transaction each.
 *
 * Only the recorder thread touches it. DuckDB locks the file, so a second
 * process on the same directory is refused at open.
 */
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { join, resolve } from "node:path";
import { type DuckDBConnection, DuckDBInstance } from "@duckdb/node-api";
import { rewritePath, type Segment } from "./journal.js";
import { cleanJournal } from "./journal-repair.js";

export const STORE_FILE = "visits.duckdb";
export const SCHEMA_VERSION = "1";
const META_TABLE = "traffic_tracker_meta";
/** Meta key: the node id of the cluster-mode instance the store last ran under (every row is that node's). */
export const NODE_ID_KEY = "node_id";
/** The node id the store records (none: it last ran on its own, or before node ids were recorded). */
export const STORED_NODE_ID_SQL = `SELECT value FROM ${META_TABLE} WHERE key = '${NODE_ID_KEY}'`;
/** Meta key: the sequence of the last journal segment imported. */
const JOURNAL_KEY = "journal_imported";

/** DuckDB's JSON reader over journal segments (the line format is in journal-line.ts). */
const importSql = (paths: string[]) => `INSERT INTO visits
  SELECT c, make_timestamp(t * 1000), b.user_id, b.page_url,
         coalesce(b.user_agent, h), coalesce(b.ip_address, p), b.referrer
    FROM read_json([${paths.map((p) => `'${p.replaceAll("'", "''")}'`).join(", ")}], format = 'newline_delimited', columns = {
      t: 'BIGINT', h: 'VARCHAR', p: 'VARCHAR', c: 'BIGINT',
      b: 'STRUCT(user_id VARCHAR, page_url VARCHAR, user_agent VARCHAR, ip_address VARCHAR, referrer VARCHAR)'})`;

/** A failure of the disk or the file system (retry later), as opposed to lines DuckDB will not read. */
const isIoError = (error: unknown) =>
  (error as NodeJS.ErrnoException).code !== undefined ||
  /^IO Error|No space left|Read-only file system|Permission denied/i.test((error as Error).message ?? "");

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

export interface JournalImport {
  rows: number;
  /** Lines that were not visits (a crash's torn tail). */
  dropped: number;
  /** Segments DuckDB's reader refused and JavaScript rewrote. */
  rewritten: number;
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
  private closed = false;

  private constructor(dir: string, instance: DuckDBInstance, connection: DuckDBConnection) {
    this.dir = dir;
    this.instance = instance;
    this.connection = connection;
  }

  /**
   * Opens (or creates) the store in `dir`; every failure is a StoreError with
   * one clear line. `nodeId`: cluster mode's node id, recorded; null (a run
   * without --redis) keeps the one recorded, so a later cluster run under
   * another id is still refused.
   */
  static async open(dir: string, version: string, nodeId: string | null = null): Promise<VisitStore> {
    prepareDirectory(dir);
    let instance: DuckDBInstance | undefined;
    try {
      // One DuckDB thread: the recorder is a single writer, and on small boxes extra threads only steal CPU from the workers.
      instance = await DuckDBInstance.create(join(dir, STORE_FILE), { threads: "1" });
      const connection = await instance.connect();
      const store = new VisitStore(dir, instance, connection);
      await store.ensureSchema(version);
      await store.recordNodeId(nodeId);
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

  private async recordNodeId(nodeId: string | null): Promise<void> {
    // Never cleared: after a run on its own, this store's earlier visits are still in Redis under the
    // recorded id; a cluster run under another id would reconcile them again under that one.
    if (nodeId === null) return;
    const held = (await this.connection.runAndReadAll(STORED_NODE_ID_SQL)).getRowsJS()[0]?.[0];
    // Its rows are in Redis under the other id: reconciled under this one, they would count twice.
    if (held !== undefined && String(held) !== nodeId) {
      throw new StoreError(
        `${join(this.dir, STORE_FILE)} holds the visits of node id "${String(held)}", not "${nodeId}": start it with --node-id ${String(held)}, or give this node its own --data-dir`,
      );
    }
    await this.connection.run(`INSERT OR REPLACE INTO ${META_TABLE} VALUES ('${NODE_ID_KEY}', $1)`, [nodeId]);
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

  /** The sequence of the last journal segment imported (0: none). */
  async journalImported(): Promise<number> {
    const row = (
      await this.connection.runAndReadAll(`SELECT value FROM ${META_TABLE} WHERE key = '${JOURNAL_KEY}'`)
    ).getRowsJS()[0];
    return row === undefined ? 0 : Number(row[0]);
  }

  /**
   * Moves closed journal segments into the visits table: DuckDB parses them
   * natively, in one transaction that also records the last one as imported.
   * If DuckDB's JSON reader refuses a segment (a torn last line after a
   * crash, or a body only JavaScript's JSON rules accept: duplicate keys,
   * lone surrogates), each segment is imported on its own, and the one
   * refused is rewritten line by line by those rules and imported again.
   * Returns the rows imported, the lines dropped (torn, unreadable) and the
   * segments that needed rewriting.
   */
  async importJournal(segments: readonly Segment[]): Promise<JournalImport> {
    const last = segments.at(-1);
    if (last === undefined) return { rows: 0, dropped: 0, rewritten: 0 };
    const paths = segments.map((s) => s.path);
    try {
      return { rows: await this.importLines(paths, last.seq), dropped: 0, rewritten: 0 };
    } catch (error) {
      if (isIoError(error)) throw error;
    }
    if (segments.length > 1) {
      const sum: JournalImport = { rows: 0, dropped: 0, rewritten: 0 };
      for (const segment of segments) {
        const one = await this.importJournal([segment]);
        sum.rows += one.rows;
        sum.dropped += one.dropped;
        sum.rewritten += one.rewritten;
      }
      return sum;
    }
    const cleaned = rewritePath(last.path);
    const { lines, dropped } = cleanJournal(readFileSync(last.path, "utf8"));
    writeFileSync(cleaned, lines);
    try {
      return { rows: lines === "" ? 0 : await this.importLines([cleaned], last.seq), dropped, rewritten: 1 };
    } finally {
      rmSync(cleaned, { force: true });
    }
  }

  private async importLines(paths: string[], seq: number): Promise<number> {
    await this.connection.run("BEGIN TRANSACTION");
    try {
      const inserted = await this.connection.run(importSql(paths));
      await this.connection.run(`INSERT OR REPLACE INTO ${META_TABLE} VALUES ('${JOURNAL_KEY}', $1)`, [String(seq)]);
      await this.connection.run("COMMIT");
      return Number(inserted.rowsChanged);
    } catch (error) {
      await this.connection.run("ROLLBACK").catch(() => {});
      throw error;
    }
  }

  /** Folds the WAL into the database file (quicker next start) and releases the lock. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.connection.closeSync();
    } finally {
      this.instance.closeSync();
    }
  }

  /** Another connection to the same instance (analytics queries: their own transactions, off the import's). */
  connect(): Promise<DuckDBConnection> {
    return this.instance.connect();
  }

  async checkpoint(): Promise<void> {
    await this.connection.run("CHECKPOINT");
  }
}
