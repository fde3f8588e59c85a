/**
 * @module The summary tables behind /analytics, kept by the query side (never
 * by POST /visit or the journal import): integer dictionaries of user_ids,
 * pages and referrers, a narrow integer copy of the visits (ms, page, uid,
 * ref), each shopper's last visit, and additive rollups — visits per minute
 * (with the direct ones), per hour and page, per hour and referrer.
 *
 * They are folded from the `visits` table by rowid: `visits` is append-only,
 * so its rows are rowids 0 … count − 1, and `analytics_state.visits_folded`
 * says how many of them the tables hold. A fold takes the next rows (a
 * segment imported late or out of time order is just more rows) and moves
 * the mark in the same transaction, so a query reading the mark in its
 * snapshot knows exactly which rows the tables hold and reads the rest raw
 * (see summary-sql.ts). A store made before these tables existed starts at 0.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import type { Segment } from "../store/journal.js";
import { journalLinesSql } from "./sql.js";

/** The summary tables' layout; another value means: drop them and fold again from row 0. */
export const ROLLUP_VERSION = 2;
/** A query folds at most this many rows before answering (≈ 0.2 s); the rest it reads raw. */
export const QUERY_FOLD_ROWS = 250_000;
/**
 * One fold in the background takes at most this many rows (≈ 0.15 s of one
 * core), then asks again: a fold begun in a lull ends soon after the load
 * returns, as the import's slices do.
 */
export const IDLE_FOLD_ROWS = 100_000;
/**
 * A backlog this large is folded in the background even while the machine is
 * busy (as the import does past its backlog limit): otherwise every query
 * would read it raw, for seconds, and a store made before the tables existed
 * would never be folded on a box that is never idle.
 */
export const FORCE_FOLD_ROWS = 1_000_000;

export const TABLES = {
  state: "analytics_state",
  users: "analytics_users",
  pages: "analytics_pages",
  referrers: "analytics_referrers",
  narrow: "analytics_visits",
  lastSeen: "analytics_last_seen",
  minutes: "analytics_minutes",
  pageHours: "analytics_page_hours",
  referrerHours: "analytics_referrer_hours",
  journalCounts: "analytics_journal_counts",
} as const;
const T = TABLES;

const SCHEMA = [
  `CREATE TABLE IF NOT EXISTS ${T.state} (key VARCHAR PRIMARY KEY, value BIGINT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS ${T.users} (id INTEGER NOT NULL, text VARCHAR NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS ${T.pages} (id INTEGER NOT NULL, text VARCHAR NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS ${T.referrers} (id INTEGER NOT NULL, text VARCHAR NOT NULL)`,
  // ref NULL: a direct visit (referrer absent, null or "").
  `CREATE TABLE IF NOT EXISTS ${T.narrow} (ms BIGINT NOT NULL, page INTEGER NOT NULL, uid INTEGER NOT NULL, ref INTEGER, n INTEGER NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS ${T.lastSeen} (uid INTEGER PRIMARY KEY, ms BIGINT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS ${T.minutes} (minute BIGINT PRIMARY KEY, visits BIGINT NOT NULL, direct BIGINT NOT NULL)`,
  `CREATE TABLE IF NOT EXISTS ${T.pageHours} (hour BIGINT, page INTEGER, visits BIGINT NOT NULL, PRIMARY KEY (hour, page))`,
  `CREATE TABLE IF NOT EXISTS ${T.referrerHours} (hour BIGINT, ref INTEGER, visits BIGINT NOT NULL, PRIMARY KEY (hour, ref))`,
  // visit_counts of journal lines folded before their segment was imported, as runs [lo, hi] (one per fold
  // when one worker counts): skipped when they reach `visits`, forgotten once segment `seq` is imported and folded.
  `CREATE TABLE IF NOT EXISTS ${T.journalCounts} (lo BIGINT NOT NULL, hi BIGINT NOT NULL, seq BIGINT NOT NULL)`,
];

const num = (value: unknown, fallback = 0) => (value === undefined || value === null ? fallback : Number(value));

async function readOne(c: DuckDBConnection, sql: string): Promise<unknown> {
  return (await c.runAndReadAll(sql)).getRows()[0]?.[0];
}

/** Creates the tables if missing; drops and recreates them if they are of another version (they are folded again). */
export async function ensureRollupSchema(c: DuckDBConnection): Promise<void> {
  await c.run("BEGIN TRANSACTION");
  try {
    await c.run(SCHEMA[0] as string);
    const version = await readOne(c, `SELECT value FROM ${T.state} WHERE key = 'version'`);
    if (version !== undefined && num(version) !== ROLLUP_VERSION) {
      for (const table of Object.values(T)) if (table !== T.state) await c.run(`DROP TABLE IF EXISTS ${table}`);
      await c.run(`DELETE FROM ${T.state}`);
    }
    for (const statement of SCHEMA.slice(1)) await c.run(statement);
    await c.run(`INSERT OR REPLACE INTO ${T.state} VALUES ('version', ${ROLLUP_VERSION})`);
    await c.run("COMMIT");
  } catch (error) {
    await c.run("ROLLBACK").catch(() => {});
    throw error;
  }
}

/** The number of `visits` rows the tables hold (in the caller's snapshot). */
export const foldedSql = `SELECT coalesce(max(value), 0) FROM ${T.state} WHERE key = 'visits_folded'`;

/** Folded journal segments: every segment up to this sequence is in the tables or was imported before it was folded. */
export const journalFoldedSql = `SELECT coalesce(max(value), 0) FROM ${T.state} WHERE key = 'journal_folded'`;

/** SQL: `count` is a visit_count folded from the journal already. */
export const foldedFromJournal = (count: string) =>
  `EXISTS (SELECT 1 FROM ${T.journalCounts} j WHERE ${count} BETWEEN j.lo AND j.hi)`;

/** The store's mark of imported journal segments (visit-store.ts). */
const journalImportedSql =
  "SELECT coalesce(max(CAST(value AS BIGINT)), 0) FROM traffic_tracker_meta WHERE key = 'journal_imported'";

/** New texts of `column` in `source` get the next ids. */
const dictionarySql = (table: string, column: string, source: string, where = "") =>
  `INSERT INTO ${table}
     SELECT (SELECT coalesce(max(id), 0) FROM ${table}) + row_number() OVER (ORDER BY t), t
       FROM (SELECT DISTINCT ${column} AS t FROM (${source}) WHERE ${column} IS NOT NULL ${where}) n
      WHERE NOT EXISTS (SELECT 1 FROM ${table} d WHERE d.text = n.t)`;

/** The dictionary entries of the texts in `source` only: joining the whole dictionary would hash all of it per fold. */
const usedSql = (table: string, column: string, source: string) =>
  `SELECT id, text FROM ${table} WHERE text IN (SELECT ${column} FROM (${source}))`;

/**
 * Adds the rows of `source` (a SELECT of ms, user_id, page_url, referrer) to
 * every table, inside the caller's transaction. Visits of one shopper to
 * one page from one referrer in the same millisecond become one narrow row
 * with their number, `n`.
 */
async function foldRows(c: DuckDBConnection, rows: string): Promise<void> {
  // Counted first, so that the dictionary work below reads each combination once.
  await c.run(`CREATE OR REPLACE TEMP TABLE analytics_grouped AS
    SELECT ms, user_id, page_url, referrer, count(*) AS n FROM (${rows}) GROUP BY ALL`);
  const source = "SELECT * FROM analytics_grouped";
  await c.run(dictionarySql(T.users, "user_id", source));
  await c.run(dictionarySql(T.pages, "page_url", source));
  await c.run(dictionarySql(T.referrers, "referrer", source, "AND referrer <> ''"));
  const inc = "analytics_increment";
  await c.run(`CREATE OR REPLACE TEMP TABLE ${inc} AS
    SELECT v.ms, p.id AS page, u.id AS uid, r.id AS ref, v.n
      FROM analytics_grouped v
      JOIN (${usedSql(T.users, "user_id", source)}) u ON u.text = v.user_id
      JOIN (${usedSql(T.pages, "page_url", source)}) p ON p.text = v.page_url
      LEFT JOIN (${usedSql(T.referrers, "referrer", source)}) r ON r.text = v.referrer`);
  await c.run("DROP TABLE analytics_grouped");
  // In time order, so that DuckDB's zone maps skip what a window does not cover.
  await c.run(`INSERT INTO ${T.narrow} SELECT * FROM ${inc} ORDER BY ms`);
  await c.run(`INSERT INTO ${T.lastSeen} SELECT uid, max(ms) FROM ${inc} GROUP BY uid
    ON CONFLICT (uid) DO UPDATE SET ms = greatest(${T.lastSeen}.ms, excluded.ms)`);
  await c.run(`INSERT INTO ${T.minutes} SELECT ms // 60000, sum(n), coalesce(sum(n) FILTER (WHERE ref IS NULL), 0) FROM ${inc} GROUP BY 1
    ON CONFLICT (minute) DO UPDATE SET visits = ${T.minutes}.visits + excluded.visits, direct = ${T.minutes}.direct + excluded.direct`);
  await c.run(`INSERT INTO ${T.pageHours} SELECT ms // 3600000, page, sum(n) FROM ${inc} GROUP BY 1, 2
    ON CONFLICT (hour, page) DO UPDATE SET visits = ${T.pageHours}.visits + excluded.visits`);
  await c.run(`INSERT INTO ${T.referrerHours} SELECT ms // 3600000, ref, sum(n) FROM ${inc} WHERE ref IS NOT NULL GROUP BY 1, 2
    ON CONFLICT (hour, ref) DO UPDATE SET visits = ${T.referrerHours}.visits + excluded.visits`);
  await c.run(`DROP TABLE ${inc}`);
}

async function inTransaction<R>(c: DuckDBConnection, body: () => Promise<R>): Promise<R> {
  await c.run("BEGIN TRANSACTION");
  try {
    const result = await body();
    await c.run("COMMIT");
    return result;
  } catch (error) {
    await c.run("ROLLBACK").catch(() => {});
    throw error;
  }
}

/**
 * Folds up to `maxRows` more rows of `visits` into the tables, in one
 * transaction on `c`, if at least `minRows` wait; returns the rows read
 * (0: nothing, or too little). Rows whose journal line was folded already
 * are skipped (and forgotten: each count reaches `visits` once). The caller
 * serialises folds (two at once would fold the same rows twice).
 */
export function foldVisits(c: DuckDBConnection, maxRows: number, minRows = 1): Promise<number> {
  return inTransaction(c, async () => {
    const folded = num(await readOne(c, foldedSql));
    const total = num(await readOne(c, "SELECT count(*) FROM visits"));
    const upto = Math.min(total, folded + maxRows);
    if (upto <= folded || total - folded < minRows) return 0;
    const rows = `rowid BETWEEN ${folded} AND ${upto - 1}`;
    const early = num(await readOne(c, `SELECT count(*) FROM ${T.journalCounts}`)) > 0;
    await foldRows(
      c,
      `SELECT epoch_ms(ts) AS ms, user_id, page_url, referrer FROM visits v WHERE ${rows}${
        early ? ` AND NOT ${foldedFromJournal("v.visit_count")}` : ""
      }`,
    );
    if (early && upto === total) {
      // Every row of the segments imported so far is in this snapshot's `visits`, and now folded or skipped.
      await c.run(`DELETE FROM ${T.journalCounts} WHERE seq <= (${journalImportedSql})`);
    }
    await c.run(`INSERT OR REPLACE INTO ${T.state} VALUES ('visits_folded', ${upto})`);
    return upto - folded;
  });
}

/**
 * Folds closed journal segments not yet imported (their lines would
 * otherwise be parsed by every query until the import, which waits for idle
 * CPU): oldest first, at most `maxBytes` (one segment at least), in one
 * transaction. Their visit_counts are kept, so that the same visits are
 * skipped when they reach `visits`. Returns the segments folded.
 */
export function foldJournal(c: DuckDBConnection, closed: readonly Segment[], maxBytes: number): Promise<number> {
  return inTransaction(c, async () => {
    const after = Math.max(num(await readOne(c, journalFoldedSql)), num(await readOne(c, journalImportedSql)));
    const take: Segment[] = [];
    let bytes = 0;
    for (const segment of closed) {
      if (segment.seq <= after) continue;
      if (take.length > 0 && bytes + segment.bytes > maxBytes) break;
      take.push(segment);
      bytes += segment.bytes;
    }
    const last = take.at(-1);
    if (last === undefined) return 0;
    await c.run(`CREATE OR REPLACE TEMP TABLE analytics_journal_lines AS ${journalLinesSql(take.map((s) => s.path))}`);
    // Runs of consecutive counts ("gaps and islands"): a few rows per fold, not one per visit.
    await c.run(`INSERT INTO ${T.journalCounts}
      SELECT min(c), max(c), ${last.seq} FROM (SELECT c, c - row_number() OVER (ORDER BY c) AS run FROM analytics_journal_lines)
       GROUP BY run`);
    await foldRows(c, "SELECT ms, user_id, page_url, referrer FROM analytics_journal_lines");
    await c.run("DROP TABLE analytics_journal_lines");
    await c.run(`INSERT OR REPLACE INTO ${T.state} VALUES ('journal_folded', ${last.seq})`);
    return take.length;
  });
}
