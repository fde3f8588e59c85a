/**
 * @module The SQL behind /export, and the raw part of /analytics (the
 * summary tables are in rollups.ts and summary-sql.ts). Every query reads the
 * visits DuckDB holds plus the journal segments not yet imported (read in
 * place with DuckDB's JSON reader). A segment counts only if its sequence is
 * above the one the store's meta table marks as imported, read in the same
 * snapshot as the table: a segment imported while the query starts is
 * counted once, from the table.
 */

/** Escapes a text for a single-quoted SQL literal. */
export const quote = (text: string) => `'${text.replaceAll("'", "''")}'`;

const COLUMNS = "visit_count, ts, user_id, page_url, user_agent, ip_address, referrer";

/**
 * Every visit stored, as one relation named `src`, within [fromMs, lastMs]
 * (ms, inclusive). `segments`: journal files that may not be imported yet.
 * The file being appended to may end in a line half written: the reader
 * skips lines it cannot parse (ignore_errors), which only the newest can be.
 * `fromRowid`: only the stored rows from this rowid on (the ones before are
 * in the summary tables, see rollups.ts); `skipCounts`: the condition
 * on a visit_count that leaves its row out (folded from the journal already).
 */
export function sourceCte(
  segments: readonly string[],
  fromMs: number,
  lastMs: number,
  fromRowid = 0,
  skipCounts?: (count: string) => string,
): string {
  const tsFrom = `make_timestamp(${Math.floor(fromMs) * 1000}::BIGINT)`;
  const tsLast = `make_timestamp(${Math.floor(lastMs) * 1000}::BIGINT)`;
  let rows = fromRowid > 0 ? `rowid >= ${fromRowid} AND ` : "";
  if (skipCounts) rows += `NOT ${skipCounts("visits.visit_count")} AND `;
  const stored = `SELECT ${COLUMNS} FROM visits WHERE ${rows}ts BETWEEN ${tsFrom} AND ${tsLast}`;
  if (segments.length === 0) return `src AS (${stored})`;
  const journal = `SELECT c, make_timestamp(t * 1000), b.user_id, b.page_url,
         coalesce(b.user_agent, h), coalesce(b.ip_address, p), b.referrer
    FROM read_json([${segments.map(quote).join(", ")}], format = 'newline_delimited', ignore_errors = true,
      filename = true, columns = {
        t: 'BIGINT', h: 'VARCHAR', p: 'VARCHAR', c: 'BIGINT',
        b: 'STRUCT(user_id VARCHAR, page_url VARCHAR, user_agent VARCHAR, ip_address VARCHAR, referrer VARCHAR)'})
   WHERE t BETWEEN ${Math.floor(fromMs)} AND ${Math.floor(lastMs)}
     AND c IS NOT NULL AND b.user_id IS NOT NULL AND b.page_url IS NOT NULL
     AND CAST(regexp_extract(filename, 'journal-([0-9]{12})\\.ndjson$', 1) AS BIGINT) >
         (SELECT coalesce(max(CAST(value AS BIGINT)), 0) FROM traffic_tracker_meta WHERE key = 'journal_imported')`;
  return `src AS (${stored} UNION ALL ${journal})`;
}

/** The visits of whole (closed) journal segments: c, ms, user_id, page_url, referrer. */
export const journalLinesSql = (paths: readonly string[]) =>
  `SELECT c, t AS ms, b.user_id AS user_id, b.page_url AS page_url, b.referrer AS referrer
     FROM read_json([${paths.map(quote).join(", ")}], format = 'newline_delimited', ignore_errors = true, columns = {
       t: 'BIGINT', c: 'BIGINT', b: 'STRUCT(user_id VARCHAR, page_url VARCHAR, referrer VARCHAR)'})
    WHERE c IS NOT NULL AND t IS NOT NULL AND b.user_id IS NOT NULL AND b.page_url IS NOT NULL`;

export type ExportFormat = "parquet" | "csv" | "ndjson";

/**
 * One COPY writing the rows of [fromMs, toMs) up to lastMs, ordered by
 * visit_count, to `path`. Parquet keeps `ts` a TIMESTAMP (UTC); the text
 * formats spell it as ISO 8601 with a Z. `nodeId` (cluster mode): a last
 * column `node_id`, the same on every row (a store holds its node's visits).
 */
export function exportSql(
  segments: readonly string[],
  range: { fromMs: number; toMs: number; lastMs: number },
  format: ExportFormat,
  path: string,
  nodeId?: string,
): string {
  const last = Math.min(range.lastMs, range.toMs - 1);
  const src = sourceCte(segments, range.fromMs, last);
  const ts = format === "parquet" ? "ts" : `strftime(ts, '%Y-%m-%dT%H:%M:%S.%gZ') AS ts`;
  const select = `WITH ${src} SELECT visit_count, ${ts}, user_id, page_url, user_agent, ip_address, referrer${nodeId === undefined ? "" : `, ${quote(nodeId)} AS node_id`} FROM src ORDER BY visit_count`;
  const options =
    format === "parquet" ? "FORMAT parquet" : format === "csv" ? "FORMAT csv, HEADER true" : "FORMAT json";
  return `COPY (${select}) TO ${quote(path)} (${options})`;
}

/** Far enough to hold every stored time (DuckDB timestamps reach year 294247). */
export const ALL_TIME = { fromMs: -62_135_596_800_000, toMs: 253_402_300_800_000 } as const;
