/**
 * @module Query parameters of /analytics and /export, checked the way
 * FastAPI would: every problem listed, each with its `loc`; the last value
 * of a repeated parameter wins (as in Starlette); unknown ones are ignored.
 */
import { problem } from "../contract/errors.js";
import type { ValidationErrorItem } from "../contract/types.js";
import { parseStatsQuery } from "../http/stats-query.js";
import type { ExportFormat } from "./sql.js";

export const DEFAULT_LIMIT = 10;
export const MAX_LIMIT = 100;
export const EXPORT_FORMATS: readonly ExportFormat[] = ["parquet", "csv", "ndjson"];

type Parsed<T> = ({ ok: true } & T) | { ok: false; problems: ValidationErrorItem[] };

export function parseAnalyticsQuery(rawQuery: string): Parsed<{ hours: number; limit: number }> {
  const problems: ValidationErrorItem[] = [];
  const hours = parseStatsQuery(rawQuery);
  if (!hours.ok) problems.push(...hours.problems);
  const text = new URLSearchParams(rawQuery).getAll("limit").at(-1);
  let limit = DEFAULT_LIMIT;
  if (text !== undefined) {
    const loc = ["query", "limit"];
    limit = /^\s*[+-]?[0-9]+\s*$/.test(text) ? Number(text) : Number.NaN;
    if (Number.isNaN(limit)) problems.push(problem.intParsing(loc));
    else if (limit < 1) problems.push(problem.atLeast(loc, 1));
    else if (limit > MAX_LIMIT) problems.push(problem.atMost(loc, MAX_LIMIT));
  }
  if (problems.length > 0 || !hours.ok) return { ok: false, problems };
  return { ok: true, hours: hours.hours, limit };
}

/** A date (UTC midnight) or a date-time with an optional zone (none: UTC). */
const INSTANT = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|z|[+-]\d{2}:?\d{2})?)?$/;

/** Milliseconds since the epoch, or NaN when `text` is not an ISO 8601 instant. */
export function parseInstant(text: string): number {
  const m = INSTANT.exec(text.trim());
  if (!m) return Number.NaN;
  const [, y, mo, d, h = "00", mi = "00", s = "00", frac = "", zone = "Z"] = m;
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1 || day > 31 || Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) {
    return Number.NaN;
  }
  const ms = `${frac}000`.slice(0, 3);
  const offset = zone.toUpperCase() === "Z" ? "Z" : `${zone.slice(0, 3)}:${zone.slice(-2)}`;
  const value = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s}.${ms}${offset}`);
  // Date.parse rolls 2026-02-31 over to March: a date that does not exist is refused.
  const back = new Date(Date.UTC(Number(y), month - 1, day));
  return back.getUTCDate() === day ? value : Number.NaN;
}

export function parseExportQuery(rawQuery: string): Parsed<{ format: ExportFormat; fromMs?: number; toMs?: number }> {
  const params = new URLSearchParams(rawQuery);
  const problems: ValidationErrorItem[] = [];
  const formatText = params.getAll("format").at(-1) ?? "parquet";
  const format = EXPORT_FORMATS.find((f) => f === formatText);
  if (!format) problems.push(problem.literal(["query", "format"], EXPORT_FORMATS));
  const instant = (name: "from" | "to") => {
    const text = params.getAll(name).at(-1);
    if (text === undefined) return undefined;
    const ms = parseInstant(text);
    if (Number.isNaN(ms)) problems.push(problem.datetime(["query", name]));
    return ms;
  };
  const fromMs = instant("from");
  const toMs = instant("to");
  if (!format || problems.length > 0) return { ok: false, problems };
  return {
    ok: true,
    format,
    ...(fromMs !== undefined ? { fromMs } : {}),
    ...(toMs !== undefined ? { toMs } : {}),
  };
}
