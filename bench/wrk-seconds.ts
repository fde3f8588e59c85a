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
  local e = summary.errors
  io.write(string.format('${MARK}{"counter":"${counter}","threads":%d,"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"t0_us":%.0f,"last_us":%.0f,"seconds":"%s","bad":"%s","p99_9_us":%d}\\n',
    #bench_threads, summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    t:get("bench_t0"), t:get("bench_last"), t:get("bench_seconds"), t:get("bench_bad"), latency:percentile(99.9)))
end
`;
}

/** The `done` hook's line, as wrk printed it. */
export interface SecondsLine {
  readonly counter: WrkCounter;
  readonly threads: number;
  readonly requests: number;
  readonly durationMicros: number;
  readonly connectErrors: number;
  readonly readErrors: number;
  readonly writeErrors: number;
  /** wrk's "Non-2xx or 3xx responses" (status > 399). */
  readonly status: number;
  readonly timeouts: number;
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
  const line = output.split("\n").find((l) => l.startsWith(MARK));
  if (!line) throw new Error(`wrk printed no per-second counts: ${output.slice(0, 300)}`);
  const raw = JSON.parse(line.slice(MARK.length)) as Record<string, string | number>;
  const list = (s: string | number | undefined) =>
    String(s ?? "")
      .split(",")
      .filter(Boolean)
      .map(Number);
  return {
    counter: raw.counter as WrkCounter,
    threads: Number(raw.threads),
    requests: Number(raw.requests),
    durationMicros: Number(raw.duration_us),
    connectErrors: Number(raw.connect),
    readErrors: Number(raw.read),
    writeErrors: Number(raw.write),
    status: Number(raw.status),
    timeouts: Number(raw.timeout),
    t0Micros: Number(raw.t0_us),
    lastMicros: Number(raw.last_us),
    finished: list(raw.seconds),
    finishedBad: list(raw.bad),
    p99_9Micros: Number(raw.p99_9_us),
  };
}

/**
 * The samples: one per second from the first counted event, the last one
 * partial (ending at the last event). The last second's count is what wrk's
 * total leaves, so they add up to it exactly. With the `request` counter a
 * second's count is the requests sent in it, less one per connection in the
 * first (its opening request answers nothing); the last second then also
 * absorbs the requests still unanswered at the stop. Per-second latency is
 * NaN (wrk gives only the run's); errors are 0 when the run had none, else
 * NaN (Lua never sees a socket error).
 */
export function samplesOf(line: SecondsLine, connections: number): Sample[] {
  if (line.threads !== 1) throw new Error(`per-second counts need wrk -t1, got ${line.threads} threads`);
  if (line.t0Micros < 0) return [];
  const counts = [...line.finished];
  if (line.counter === "request" && counts.length > 0) counts[0] = (counts[0] as number) - connections;
  counts.push(line.requests - counts.reduce((a, b) => a + b, 0));
  const bad = [...line.finishedBad];
  bad.push(line.status - bad.reduce((a, b) => a + b, 0));
  const errors = line.connectErrors + line.readErrors + line.writeErrors + line.timeouts;
  const spanSeconds = Math.max(0, line.lastMicros - line.t0Micros) / 1e6;
  const last = counts.length - 1;
  return counts.map((requests, i) => ({
    t: i,
    seconds: i < last ? 1 : Math.max(0.001, Math.min(1, spanSeconds - i)),
    requests,
    non2xx: line.counter === "response" ? (bad[i] as number) : line.status === 0 ? 0 : Number.NaN,
    errors: errors === 0 ? 0 : Number.NaN,
    timeouts: line.timeouts === 0 ? 0 : Number.NaN,
    p50: Number.NaN,
    p99: Number.NaN,
  }));
}
