/**
 * @module The statements of one /analytics answer over the summary tables
 * (rollups.ts). Each number is the sum of two disjoint parts:
 *   folded  the `visits` rows below the mark (rowid < folded): whole minutes
 *           and hours from the rollups, the partial ones at the window's two
 *           ends from the narrow integer table;
 *   fresh   everything else, as text: `visits` rows at or past the mark
 *           (less those folded from the journal before their import) and
 *           the journal segments neither imported nor folded (sql.ts
 *           sourceCte).
 * The marks are read in the same snapshot as every table, so no row is in both.
 *
 * Exact distinct shoppers of [F, L]: among folded rows, the shoppers last
 * seen at or after F, less those whose visits from F on all come after L
 * (the "tail": at most a few seconds of rows, checked against the window's
 * rows only for those few shoppers), plus the fresh shoppers not already
 * counted.
 */
import { foldedFromJournal, TABLES as T } from "./rollups.js";
import { quote, sourceCte } from "./sql.js";

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;

export interface SummaryWindow {
  /** First ms counted (a whole second). */
  readonly fromMs: number;
  /** Last ms counted (inclusive). */
  readonly lastMs: number;
  readonly stepMs: number;
  /** Rows of `visits` the summary tables hold. */
  readonly folded: number;
  /** Journal segments that may not be imported yet, and are not folded. */
  readonly segments: readonly string[];
}

/** [F, L] cut at `unit`: the whole units inside it (first, last; none if first > last) and the raw ms ranges left at its ends. */
export function splitWindow(fromMs: number, lastMs: number, unitMs: number) {
  const first = Math.ceil(fromMs / unitMs);
  const end = Math.floor((lastMs + 1) / unitMs); // exclusive
  if (end <= first) return { first: 0, last: -1, raw: [[fromMs, lastMs]] as Array<[number, number]> };
  const raw: Array<[number, number]> = [];
  if (fromMs < first * unitMs) raw.push([fromMs, first * unitMs - 1]);
  if (end * unitMs <= lastMs) raw.push([end * unitMs, lastMs]);
  return { first, last: end - 1, raw };
}

/** Folded rows of the narrow table within the given ms ranges. */
const narrowIn = (ranges: ReadonlyArray<readonly [number, number]>) =>
  ranges.length === 0
    ? `SELECT * FROM ${T.narrow} WHERE false`
    : ranges.map(([lo, hi]) => `SELECT * FROM ${T.narrow} WHERE ms BETWEEN ${lo} AND ${hi}`).join(" UNION ALL ");

/**
 * The fresh rows of the window, made once per answer (a connection's own
 * temporary table): every statement below reads them as `fresh`.
 */
export const FRESH_TABLE = "analytics_fresh";
export const freshTableSql = (w: SummaryWindow) =>
  `CREATE OR REPLACE TEMP TABLE ${FRESH_TABLE} AS WITH ${sourceCte(w.segments, w.fromMs, w.lastMs, w.folded, foldedFromJournal)}
     SELECT ts, user_id, page_url, referrer FROM src`;
const fresh = (_w: SummaryWindow) => `fresh AS (SELECT * FROM ${FRESH_TABLE})`;

/** Per step: [step start ms, visits, direct visits]. */
export function seriesSql(w: SummaryWindow): string {
  const m = splitWindow(w.fromMs, w.lastMs, MINUTE_MS);
  const s = w.stepMs;
  return `WITH ${fresh(w)}
    SELECT step, sum(n), sum(d) FROM (
      SELECT (minute * ${MINUTE_MS}) // ${s} * ${s} AS step, visits AS n, direct AS d
        FROM ${T.minutes} WHERE minute BETWEEN ${m.first} AND ${m.last}
      UNION ALL SELECT ms // ${s} * ${s}, n, CASE WHEN ref IS NULL THEN n ELSE 0 END FROM (${narrowIn(m.raw)})
      UNION ALL SELECT epoch_ms(ts) // ${s} * ${s}, 1, CASE WHEN referrer IS NULL OR referrer = '' THEN 1 ELSE 0 END FROM fresh
    ) GROUP BY step`;
}

/**
 * The fresh rows' distinct user_ids with their dictionary id and last visit
 * among folded rows (NULL if none). The dictionary is filtered by the few
 * fresh texts first: a plain LEFT JOIN would hash all of it on every query.
 */
const freshUsers = () => `fresh_users AS (SELECT DISTINCT user_id FROM fresh),
    fresh_known AS (SELECT u.text, u.id, l.ms FROM ${T.users} u JOIN ${T.lastSeen} l ON l.uid = u.id
                     WHERE u.text IN (SELECT user_id FROM fresh_users)),
    fresh_ids AS (SELECT f.user_id, k.id, k.ms FROM fresh_users f LEFT JOIN fresh_known k ON k.text = f.user_id)`;

/** Distinct user_ids (see the module comment). */
export function uniqueVisitorsSql(w: SummaryWindow): string {
  const { fromMs: F, lastMs: L } = w;
  return `WITH ${fresh(w)}, ${freshUsers()},
    tail AS (SELECT DISTINCT uid FROM ${T.narrow} WHERE ms > ${L}),
    tail_in AS (SELECT DISTINCT uid FROM ${T.narrow} WHERE ms BETWEEN ${F} AND ${L} AND uid IN (SELECT uid FROM tail)),
    tail_out AS (SELECT uid FROM tail EXCEPT SELECT uid FROM tail_in)
    SELECT (SELECT count(*) FROM ${T.lastSeen} WHERE ms >= ${F})
         - (SELECT count(*) FROM tail_out)
         + (SELECT count(*) FROM fresh_ids WHERE id IS NULL OR ms < ${F} OR id IN (SELECT uid FROM tail_out))`;
}

/**
 * [text, visits, dictionary id (NULL: only in fresh rows)] of a dimension,
 * folded and fresh, by visits then text, at most `limit`.
 */
function topSql(
  w: SummaryWindow,
  limit: number,
  d: { hours: string; column: string; dictionary: string; freshText: string; freshWhere: string; narrowWhere: string },
): string {
  const h = splitWindow(w.fromMs, w.lastMs, HOUR_MS);
  return `WITH ${fresh(w)},
    folded AS (
      SELECT ${d.column} AS id, sum(n) AS n FROM (
        SELECT ${d.column}, visits AS n FROM ${d.hours} WHERE hour BETWEEN ${h.first} AND ${h.last}
        UNION ALL SELECT ${d.column}, n FROM (${narrowIn(h.raw)}) WHERE ${d.narrowWhere}
      ) GROUP BY ${d.column})
    SELECT text, sum(n) AS n, max(id) FROM (
      SELECT t.text, f.n, f.id FROM folded f JOIN ${d.dictionary} t ON t.id = f.id
      UNION ALL SELECT ${d.freshText}, 1, NULL FROM fresh WHERE ${d.freshWhere}
    ) GROUP BY text ORDER BY n DESC, text ASC LIMIT ${limit}`;
}

export const topPagesSql = (w: SummaryWindow, limit: number) =>
  topSql(w, limit, {
    hours: T.pageHours,
    column: "page",
    dictionary: T.pages,
    freshText: "page_url",
    freshWhere: "true",
    narrowWhere: "true",
  });

export const topReferrersSql = (w: SummaryWindow, limit: number) =>
  topSql(w, limit, {
    hours: T.referrerHours,
    column: "ref",
    dictionary: T.referrers,
    freshText: "referrer",
    freshWhere: "referrer <> ''",
    narrowWhere: "ref IS NOT NULL",
  });

/**
 * Distinct user_ids of each of the given pages (text, dictionary id or
 * undefined). Folded shoppers are keyed by their integer id, fresh ones by
 * it too when the dictionary has them, else by their text (`~` + text never
 * equals an integer's digits). The ids go in as literals: DuckDB then tests
 * them in the scan, and reads `uid` only for the rows that match.
 */
export function pageUniquesSql(
  w: SummaryWindow,
  pages: ReadonlyArray<{ text: string; id: number | undefined }>,
): string {
  const texts = pages.map((p) => quote(p.text)).join(", ");
  const ids = pages.flatMap((p) => (p.id === undefined ? [] : [p.id]));
  const folded =
    ids.length === 0
      ? ""
      : `SELECT t.text, CAST(n.uid AS VARCHAR) AS k
           FROM (SELECT page, uid FROM ${T.narrow} WHERE ms BETWEEN ${w.fromMs} AND ${w.lastMs} AND page IN (${ids.join(", ")})) n
           JOIN ${T.pages} t ON t.id = n.page
         UNION ALL `;
  return `WITH ${fresh(w)}, ${freshUsers()}
    SELECT text, count(DISTINCT k) FROM (
      ${folded}SELECT f.page_url AS text, coalesce(CAST(i.id AS VARCHAR), '~' || f.user_id) AS k
        FROM fresh f JOIN fresh_ids i ON i.user_id = f.user_id
       WHERE f.page_url IN (${texts})
    ) GROUP BY text`;
}
