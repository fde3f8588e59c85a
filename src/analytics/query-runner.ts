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
import { listSegments } from "../store/journal.js";
import { STORED_NODE_ID_SQL } from "../store/visit-store.js";
import { QueryGate } from "./gate.js";
import type { AnalyticsAnswer, AnalyticsNumbers, AnalyticsRequest } from "./messages.js";
import { exportSql, seriesSql, sourceCte, topPagesSql, topReferrersSql, totalsSql } from "./sql.js";

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

  constructor(dataDir: string, connect: Connect, timeoutMs = ANALYTICS_TIMEOUT_MS) {
    this.dataDir = dataDir;
    this.connect = connect;
    this.timeoutMs = timeoutMs;
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
        return { kind: "answer", id: request.id, ok: true, numbers: await this.analytics(c, request) };
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

  /** Closes the idle connections (the store closes after this). */
  close(): void {
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
    return listSegments(this.dataDir).map((s) => s.path);
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
  ): Promise<AnalyticsNumbers> {
    return this.retried(async () => {
      const src = sourceCte(this.segments(), r.fromMs, r.lastMs);
      const stepMs = r.stepSeconds * 1000;
      // One snapshot for every number of the answer.
      await c.run("BEGIN TRANSACTION");
      try {
        const totals = (await c.runAndReadAll(totalsSql(src))).getRows()[0] ?? [];
        const pages = (await c.runAndReadAll(topPagesSql(src, r.limit))).getRows();
        const referrers = (await c.runAndReadAll(topReferrersSql(src, r.limit))).getRows();
        const series = (await c.runAndReadAll(seriesSql(src, stepMs))).getRows();
        const counts = new Array<number>(r.points).fill(0);
        for (const [step, n] of series) {
          const at = (Number(step) - r.firstStepMs) / stepMs;
          if (at >= 0 && at < r.points) counts[at] = Number(n);
        }
        return {
          visits: Number(totals[0] ?? 0),
          unique_visitors: Number(totals[1] ?? 0),
          direct_visits: Number(totals[2] ?? 0),
          top_pages: pages.map(([page, n, users]) => ({
            page_url: String(page),
            visits: Number(n),
            unique_visitors: Number(users),
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
