/**
 * @module Per-second samples from one wrk process: a Lua hook counts into
 * the current second (a `clock_gettime` through LuaJIT's ffi and a
 * comparison per call) and the `done` hook prints the counts.
 * Read from wrk 4.1's source (src/wrk.c, src/script.c):
 * - `response(status, headers, body)` runs in response_complete for every
 *   answer wrk counts, so its counts add up to wrk's total exactly; defining
 *   it makes wrk copy each header and the body into buffers and push them to
 *   Lua as a table and a string (its cost).
 * - `request()` runs once per request sent; the scenario scripts define it
 *   already (to vary the bodies), so counting there costs only the clock
 *   read. It counts sends, but wrk sends a connection's next request as soon
 *   as its answer completes (response_complete → socket_writeable): a
 *   second's sends are its answers, less each connection's opening request
 *   (no answer before it), plus the answers at the stop (no send after).
 * - A thread's Lua state is only reachable from `done` through
 *   `thread:get(name)`, whose table copy pops the Lua stack once too often in
 *   4.1: the finished seconds travel as a string, and the last (partial)
 *   second is what the total leaves. Per-second latency is out of reach: Lua
 *   sees neither an answer's latency nor wrk's histogram during the run.
 */
import type { Sample } from "./samples.js";
import { parseDoneLine, SUMMARY_LUA_ARGS, SUMMARY_LUA_FORMAT, socketErrors, type WrkSummary } from "./wrk-summary.js";

/** Which hook counts: `request` (what the bench uses: ≈ 0.3 % of wrk's CPU) or `response` (≈ 10 %, kept to measure it). */
export type WrkCounter = "response" | "request";

const MARK = "@bench-seconds ";

/**
 * Lua appended to a scenario's wrk script. wrk runs the file in the main
 * state (setup, done) and in each thread's state (request, response): the
 * counting runs in the thread, the printing in the main state.
 */
export function secondsHook(counter: WrkCounter): string {
  const hot =
    counter === "response"
      ? `response = function(status)
  tick(status > 399)
end`
      : `local scenario_request = request
request = function()
  tick(false)
  return scenario_request()
end`;
  return `
-- per-second counts (bench/wrk-seconds.ts)
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clock_id, bench_timespec *tp);
]]
local C = ffi.C
local ts = ffi.new("bench_timespec")
local function now_us()
  C.clock_gettime(1, ts) -- CLOCK_MONOTONIC, through the vDSO: no system call
  return tonumber(ts.tv_sec) * 1000000 + tonumber(ts.tv_nsec) / 1000
end
bench_t0 = -1
bench_last = -1
bench_seconds = ""
bench_bad = ""
local edge, n, bad = -1, 0, 0
local function tick(failed)
  local t = now_us()
  if t >= edge then
    if edge < 0 then
      bench_t0 = t
      edge = t + 1000000
    else
      repeat
        bench_seconds = bench_seconds .. n .. ","
        bench_bad = bench_bad .. bad .. ","
        n, bad = 0, 0
        edge = edge + 1000000
      until t < edge
    end
  end
  n = n + 1
  if failed then bad = bad + 1 end
  bench_last = t
end
${hot}
local bench_threads = {}
setup = function(thread)
  bench_threads[#bench_threads + 1] = thread
end
done = function(summary, latency)
  local t = bench_threads[1]
  io.write(string.format('${MARK}{"counter":"${counter}","threads":%d,${SUMMARY_LUA_FORMAT},"t0_us":%.0f,"last_us":%.0f,"seconds":"%s","bad":"%s","p99_9_us":%d}\\n',
    #bench_threads, ${SUMMARY_LUA_ARGS},
    t:get("bench_t0"), t:get("bench_last"), t:get("bench_seconds"), t:get("bench_bad"), latency:percentile(99.9)))
end
`;
}

/** The `done` hook's line, as wrk printed it: wrk's summary and the counts. */
export interface SecondsLine extends WrkSummary {
  readonly counter: WrkCounter;
  readonly threads: number;
  /** First and last counted event, µs on CLOCK_MONOTONIC (-1: none). */
  readonly t0Micros: number;
  readonly lastMicros: number;
  /** Counts of the seconds that ended before the last event. */
  readonly finished: readonly number[];
  readonly finishedBad: readonly number[];
  /** The run's p99.9 from wrk's histogram (its text output stops at p99). */
  readonly p99_9Micros: number;
}

export function parseSecondsLine(output: string): SecondsLine {
  const { summary, raw } = parseDoneLine(output, MARK, "per-second counts");
  const list = (s: unknown) =>
    String(s ?? "")
      .split(",")
      .filter(Boolean)
      .map(Number);
  return {
    ...summary,
    counter: raw.counter as WrkCounter,
    threads: Number(raw.threads),
    t0Micros: Number(raw.t0_us),
    lastMicros: Number(raw.last_us),
    finished: list(raw.seconds),
    finishedBad: list(raw.bad),
    p99_9Micros: Number(raw.p99_9_us),
  };
}

/**
 * wrk looks at its stop flag every 100 ms (RECORD_INTERVAL_MS): a run's
 * measured duration ends up to that long after its last event, without any
 * stall. A trailing piece of a second shorter than this is no silent second.
 */
const STOP_SLACK_SECONDS = 0.1;

/** The samples of one wrk run, and what makes them less than exact. */
export interface WrkSeconds {
  readonly samples: Sample[];
  /** For the report's warnings (empty when the samples are as exact as the hook allows). */
  readonly warnings: string[];
}

/**
 * The samples: one per second from the first counted event to the end of
 * wrk's measured duration. A second closes only at the next event, so the
 * counts stop at the last one; the seconds after it, up to the duration, are
 * silent (the server answered nothing, so wrk sent nothing): zero-request
 * samples, the last one partial. The second in progress at the last event
 * gets what wrk's total leaves, so they add up to it exactly. With the
 * `request` counter a second's count is the requests sent in it, less one
 * per connection in the first (its opening request answers nothing); the
 * second of the last event then also absorbs the requests still unanswered
 * at the stop. Sends can exceed answers (a reconnect after a socket error
 * sends again): a count that would go negative is 0, and a warning says the
 * samples overstate. Per-second latency is NaN (wrk gives only the run's);
 * errors are 0 when the run had none, else NaN (Lua never sees a socket error).
 */
export function samplesOf(line: SecondsLine, connections: number): WrkSeconds {
  if (line.threads !== 1) throw new Error(`per-second counts need wrk -t1, got ${line.threads} threads`);
  if (line.t0Micros < 0) return { samples: [], warnings: [] };
  const counts = [...line.finished];
  if (line.counter === "request" && counts.length > 0) counts[0] = (counts[0] as number) - connections;
  counts.push(line.requests - counts.reduce((a, b) => a + b, 0));
  const bad = [...line.finishedBad];
  bad.push(line.status - bad.reduce((a, b) => a + b, 0));
  // From the first event to the end of wrk's measured run (or the last event, if later).
  const spanSeconds = Math.max(0, line.lastMicros - line.t0Micros, line.durationMicros) / 1e6;
  const silent = Math.max(0, Math.ceil(spanSeconds - STOP_SLACK_SECONDS) - counts.length);
  for (let i = 0; i < silent; i++) {
    counts.push(0);
    bad.push(0);
  }
  const excess = counts.reduce((sum, c) => sum + Math.max(0, -c), 0);
  const warnings =
    excess > 0
      ? [
          `wrk's ${line.counter} hook counted ${excess.toLocaleString("en-US")} more than wrk's ${line.requests.toLocaleString("en-US")} answers (requests sent again after socket errors): a second's count below 0 is shown as 0, and the per-second counts overstate by that much`,
        ]
      : [];
  const errors = socketErrors(line);
  const last = counts.length - 1;
  const samples = counts.map((requests, i) => ({
    t: i,
    seconds: i < last ? 1 : Math.max(0.001, Math.min(1, spanSeconds - i)),
    requests: Math.max(0, requests),
    non2xx: line.counter === "response" ? Math.max(0, bad[i] as number) : line.status === 0 ? 0 : Number.NaN,
    errors: errors === 0 ? 0 : Number.NaN,
    timeouts: line.timeouts === 0 ? 0 : Number.NaN,
    p50: Number.NaN,
    p99: Number.NaN,
  }));
  return { samples, warnings };
}
