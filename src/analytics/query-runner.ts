/**
 * @module Runs /analytics and /export queries in the recorder thread, on
 * connections of its own to the one DuckDB instance (DuckDB lets one process
 * write the file, and two instances in one process must never open it).
 * DuckDB executes them on libuv's thread pool, off this thread's event loop,
 * so the recorder's journal commits (synchronous, on this thread) are not
 * held up by a long query; with one DuckDB thread per query and at most two
 * analytics queries and one export at a time, at most three cores' worth of
 * work can be asked of DuckDB by operators.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { listSegments, type Segment } from "../store/journal.js";
import { STORED_NODE_ID_SQL } from "../store/visit-store.js";
import { closedSegments, Folder } from "./folder.js";
import { QueryGate } from "./gate.js";
import type { AnalyticsAnswer, AnalyticsNumbers, AnalyticsRequest } from "./messages.js";
import { foldedSql, journalFoldedSql, QUERY_FOLD_ROWS } from "./rollups.js";
import { exportSql } from "./sql.js";
import {
  FRESH_TABLE,
  freshTableSql,
  pageUniquesSql,
  type SummaryWindow,
  seriesSql,
  topPagesSql,
  topReferrersSql,
  uniqueVisitorsSql,
} from "./summary-sql.js";

/** Analytics queries at once; a few more wait up to QUEUE_WAIT_MS. */
export const ANALYTICS_SLOTS = 2;
const ANALYTICS_QUEUE = 8;
const QUEUE_WAIT_MS = 3000;
/** A query still running after this is interrupted (503). */
export const ANALYTICS_TIMEOUT_MS = 20_000;
/** One export at a time; another is refused at once (it would wait minutes). */
const EXPORT_SLOTS = 1;
/** DuckDB's buffer memory, for the whole instance (it spills sorts to disk beyond it). */
export const DUCKDB_MEMORY_LIMIT = "512MB";
/** A journal segment imported (and removed) while a query lists it: the query is run again. */
const ATTEMPTS = 3;

type Connect = () => Promise<DuckDBConnection>;

export class QueryRunner {
  private readonly dataDir: string;
  private readonly connect: Connect;
  private readonly analyticsGate = new QueryGate(ANALYTICS_SLOTS, ANALYTICS_QUEUE, QUEUE_WAIT_MS);
  private readonly exportGate = new QueryGate(EXPORT_SLOTS, 0, 0);
  /** Idle connections, reused (one per query running). */
  private readonly idle: DuckDBConnection[] = [];
  private configured: Promise<void> | undefined;
  private readonly exports = new Map<string, DuckDBConnection>();
  private readonly timeoutMs: number;
  /** Keeps the summary tables (rollups.ts) up to date, one fold at a time. */
  readonly folder: Folder;

  constructor(dataDir: string, connect: Connect, timeoutMs = ANALYTICS_TIMEOUT_MS) {
    this.dataDir = dataDir;
    this.connect = connect;
    this.timeoutMs = timeoutMs;
    this.folder = new Folder(dataDir, connect);
  }

  async handle(request: AnalyticsRequest): Promise<AnalyticsAnswer | undefined> {
    if (request.kind === "cancel") {
      this.exports.get(request.id)?.interrupt();
      return undefined;
    }
    const gate = request.kind === "analytics" ? this.analyticsGate : this.exportGate;
    const release = await gate.acquire();
    if (!release) {
      return { kind: "answer", id: request.id, ok: false, refusal: "busy", message: "too many queries at once" };
    }
    let connection: DuckDBConnection | undefined;
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    try {
      connection = await this.connection();
      const c = connection;
      if (request.kind === "analytics") {
        timer = setTimeout(() => {
          timedOut = true;
          c.interrupt();
        }, this.timeoutMs);
        const numbers = await this.analytics(c, request, () => timedOut);
        return { kind: "answer", id: request.id, ok: true, numbers };
      }
      this.exports.set(request.id, c);
      // Cluster mode records the node id in the store: its export carries it.
      const nodeId = (await c.runAndReadAll(STORED_NODE_ID_SQL)).getRowsJS()[0]?.[0];
      await this.retried(() =>
        c.run(exportSql(this.segments(), request, request.format, request.path, nodeId?.toString())),
      );
      return { kind: "answer", id: request.id, ok: true };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return { kind: "answer", id: request.id, ok: false, refusal: timedOut ? "timeout" : "failed", message };
    } finally {
      clearTimeout(timer);
      this.exports.delete(request.id);
      if (connection) this.idle.push(connection);
      release(); // also when no connection could be made: the slot is never lost
    }
  }

  /** Stops folding, then closes the idle connections (the store closes after this). */
  async close(): Promise<void> {
    await this.folder.close();
    for (const connection of this.idle.splice(0)) connection.closeSync();
  }

  private async connection(): Promise<DuckDBConnection> {
    const reused = this.idle.pop();
    if (reused) return reused;
    const connection = await this.connect();
    this.configured ??= connection.run(`SET memory_limit = '${DUCKDB_MEMORY_LIMIT}'`).then(() => {});
    await this.configured;
    return connection;
  }

  private segments(): string[] {
    return this.segmentList().map((s) => s.path);
  }

  private segmentList(): Segment[] {
    return listSegments(this.dataDir);
  }

  /** Runs `query` again if a journal segment it listed was imported and removed meanwhile. */
  private async retried<T>(query: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await query();
      } catch (error) {
        const missing = /No such file|No files found|does not exist/i.test((error as Error).message ?? "");
        if (!missing || attempt >= ATTEMPTS) throw error;
      }
    }
  }

  private async analytics(
    c: DuckDBConnection,
    r: Extract<AnalyticsRequest, { kind: "analytics" }>,
    timedOut: () => boolean,
  ): Promise<AnalyticsNumbers> {
    // Fold what was imported or journaled since the last fold (a few seconds' worth: quick); the rest is read raw.
    await this.folder.fold(c, QUERY_FOLD_ROWS, 1, () => closedSegments(this.segmentList())).catch(() => 0);
    if (timedOut()) throw new Error("interrupted");
    return this.retried(async () => {
      const listed = this.segmentList();
      const stepMs = r.stepSeconds * 1000;
      // One snapshot for every number of the answer, and for the marks that split folded rows from fresh ones.
      await c.run("BEGIN TRANSACTION");
      try {
        const folded = Number((await c.runAndReadAll(foldedSql)).getRows()[0]?.[0] ?? 0);
        const journalFolded = Number((await c.runAndReadAll(journalFoldedSql)).getRows()[0]?.[0] ?? 0);
        const segments = listed.filter((s) => s.seq > journalFolded).map((s) => s.path);
        const w: SummaryWindow = { fromMs: r.fromMs, lastMs: r.lastMs, stepMs, folded, segments };
        await c.run(freshTableSql(w));
        const series = (await c.runAndReadAll(seriesSql(w))).getRows();
        const uniques = (await c.runAndReadAll(uniqueVisitorsSql(w))).getRows()[0]?.[0];
        const pages = (await c.runAndReadAll(topPagesSql(w, r.limit))).getRows();
        const pageKeys = pages.map(([page, , id]) => ({
          text: String(page),
          id: id === null || id === undefined ? undefined : Number(id),
        }));
        const pageUsers = new Map<string, number>();
        if (pageKeys.length > 0) {
          for (const [page, users] of (await c.runAndReadAll(pageUniquesSql(w, pageKeys))).getRows()) {
            pageUsers.set(String(page), Number(users));
          }
        }
        const referrers = (await c.runAndReadAll(topReferrersSql(w, r.limit))).getRows();
        await c.run(`DROP TABLE ${FRESH_TABLE}`); // its rows are not kept until this connection's next query
        const counts = new Array<number>(r.points).fill(0);
        let visits = 0;
        let direct = 0;
        for (const [step, n, d] of series) {
          const at = (Number(step) - r.firstStepMs) / stepMs;
          if (at >= 0 && at < r.points) counts[at] = Number(n);
          visits += Number(n);
          direct += Number(d);
        }
        return {
          visits,
          unique_visitors: Number(uniques ?? 0),
          direct_visits: direct,
          top_pages: pages.map(([page, n]) => ({
            page_url: String(page),
            visits: Number(n),
            unique_visitors: pageUsers.get(String(page)) ?? 0,
          })),
          top_referrers: referrers.map(([referrer, n]) => ({ referrer: String(referrer), visits: Number(n) })),
          counts,
        };
      } finally {
        await c.run("COMMIT").catch(() => c.run("ROLLBACK").catch(() => {}));
      }
    });
  }
}
