/**
 * @module GET /stats query: `timeframe_hours` as a plain decimal number within
 * the range the StatsQuery type declares (typia checks the range).
 */
import { problem } from "../contract/errors.js";
import type { ValidationErrorItem } from "../contract/types.js";
import { toValidationItems } from "../contract/typia-errors.js";
import { validateStatsQuery } from "../generated/validators.js";

export const DEFAULT_TIMEFRAME_HOURS = 1;
const LOC = ["query", "timeframe_hours"];
/** Decimal only: no hex, no `Infinity`, no empty string, no underscores. */
const DECIMAL = /^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;
const NON_FINITE = /^[+-]?(?:inf|infinity|nan)$/i;

export type StatsQueryParse = { ok: true; hours: number } | { ok: false; problems: ValidationErrorItem[] };

/** `rawQuery` is everything after `?`. The last `timeframe_hours` wins, as in Starlette. */
export function parseStatsQuery(rawQuery: string): StatsQueryParse {
  if (rawQuery === "") return { ok: true, hours: DEFAULT_TIMEFRAME_HOURS };
  const values = new URLSearchParams(rawQuery).getAll("timeframe_hours");
  const text = values.at(-1);
  if (text === undefined) return { ok: true, hours: DEFAULT_TIMEFRAME_HOURS };
  if (NON_FINITE.test(text)) return { ok: false, problems: [problem.finiteNumber([...LOC])] };
  if (!DECIMAL.test(text)) return { ok: false, problems: [problem.floatParsing([...LOC])] };
  const hours = Number(text);
  const result = validateStatsQuery({ timeframe_hours: hours });
  if (!result.success) return { ok: false, problems: toValidationItems(result.errors, "query") };
  return { ok: true, hours };
}
