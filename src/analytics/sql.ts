/**
 * @module The SQL behind /analytics and /export. Every query reads the
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
 */
export function sourceCte(segments: readonly string[], fromMs: number, lastMs: number): string {
  const tsFrom = `make_timestamp(${Math.floor(fromMs) * 1000}::BIGINT)`;
  const tsLast = `make_timestamp(${Math.floor(lastMs) * 1000}::BIGINT)`;
  const stored = `SELECT ${COLUMNS} FROM visits WHERE ts BETWEEN ${tsFrom} AND ${tsLast}`;
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

/** Numbers of the window: visits, distinct user_ids, visits with no referrer. */
export const totalsSql = (src: string) =>
  `WITH ${src} SELECT count(*), count(DISTINCT user_id), count(*) FILTER (WHERE referrer IS NULL OR referrer = '') FROM src`;

/** Pages by visits, then by text (byte order of UTF-8: code point order). */
export const topPagesSql = (src: string, limit: number) =>
  `WITH ${src} SELECT page_url, count(*) AS n, count(DISTINCT user_id) FROM src
     GROUP BY page_url ORDER BY n DESC, page_url ASC LIMIT ${limit}`;

export const topReferrersSql = (src: string, limit: number) =>
  `WITH ${src} SELECT referrer, count(*) AS n FROM src WHERE referrer <> ''
     GROUP BY referrer ORDER BY n DESC, referrer ASC LIMIT ${limit}`;

/** Visits per step (the step's start, in ms since the epoch). */
export const seriesSql = (src: string, stepMs: number) =>
  `WITH ${src} SELECT (epoch_ms(ts) // ${stepMs}) * ${stepMs} AS step, count(*) FROM src GROUP BY step`;

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
