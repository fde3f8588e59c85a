/**
 * @module The run's totals as a wrk `done` hook prints them, shared by the
 * per-second counts of one wrk process (wrk-seconds.ts) and the one-second
 * slices (wrk-slices.ts): one Lua format for the fields, one parser. Each
 * hook prints one line, its mark then a JSON object: these fields and its own.
 */

/** wrk's summary of a run (its `done` hook's `summary` table). */
export interface WrkSummary {
  readonly requests: number;
  /** wrk's measured run time (summary.duration), µs. */
  readonly durationMicros: number;
  readonly connectErrors: number;
  readonly readErrors: number;
  readonly writeErrors: number;
  /** wrk's "Non-2xx or 3xx responses" (status > 399). */
  readonly status: number;
  readonly timeouts: number;
}

/** The summary's JSON fields for a `done` hook's `string.format` (one `%d` each, in SUMMARY_LUA_ARGS' order). */
export const SUMMARY_LUA_FORMAT =
  '"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d';

/** The Lua values for SUMMARY_LUA_FORMAT, inside `done = function(summary, …)`. */
export const SUMMARY_LUA_ARGS =
  "summary.requests, summary.duration, summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.status, summary.errors.timeout";

/**
 * The line a `done` hook printed after `mark` in wrk's output: its JSON object
 * and the summary's fields read from it. `what` names the line in the error
 * when wrk printed none.
 */
export function parseDoneLine(
  output: string,
  mark: string,
  what: string,
): { summary: WrkSummary; raw: Record<string, unknown> } {
  const line = output.split("\n").find((l) => l.startsWith(mark));
  if (!line) throw new Error(`wrk printed no ${what}: ${output.slice(0, 300)}`);
  const raw = JSON.parse(line.slice(mark.length)) as Record<string, unknown>;
  return {
    raw,
    summary: {
      requests: Number(raw.requests),
      durationMicros: Number(raw.duration_us),
      connectErrors: Number(raw.connect),
      readErrors: Number(raw.read),
      writeErrors: Number(raw.write),
      status: Number(raw.status),
      timeouts: Number(raw.timeout),
    },
  };
}

/** Socket errors and timeouts together (what wrk's "Socket errors" line lists). */
export const socketErrors = (s: WrkSummary): number => s.connectErrors + s.readErrors + s.writeErrors + s.timeouts;
