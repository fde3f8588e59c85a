/**
 * @module wrk in one-second slices, for per-second samples. wrk's Lua hooks
 * cannot see a response's latency (and a `response` hook makes wrk buffer
 * every header), so each second is its own wrk run; its `done` hook prints
 * the totals and a grid of latency percentiles, which merge into the run's
 * percentiles weighted by each slice's responses (wrk 4.1 gives Lua no access
 * to its histogram buckets). The price: a reconnect and a process start per
 * second, and up to one unanswered request per connection at each slice's stop.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { RunResult } from "./run-result.js";
import type { Sample } from "./samples.js";
import { type Scenario, wrkScript } from "./scenarios.js";
import { parseDoneLine, SUMMARY_LUA_ARGS, SUMMARY_LUA_FORMAT, socketErrors, type WrkSummary } from "./wrk-summary.js";

const run = promisify(execFile);

const MARK = "@bench-slice ";

/**
 * Percentiles each slice reports: every 2.5 to 95, every 1 to 99, then 99.5,
 * 99.9, 99.95, 99.99. wrk scans its histogram from the minimum for each one,
 * after the slice (between slices): a finer grid costs load time. Not 100:
 * wrk's rank for it is one past the last answer, and it answers 0 (the
 * maximum is reported apart).
 */
export const QUANTILE_GRID: readonly number[] = [
  ...Array.from({ length: 38 }, (_, i) => (i + 1) * 2.5),
  96,
  97,
  98,
  99,
  99.5,
  99.9,
  99.95,
  99.99,
];

/** Printed once by wrk at the end: totals, errors, latency percentiles in µs. */
export const SLICE_DONE_HOOK = `
local grid = { ${QUANTILE_GRID.join(", ")} }
done = function(summary, latency, requests)
  local q = {}
  if summary.requests > 0 then
    for _, p in ipairs(grid) do q[#q + 1] = p .. ":" .. latency:percentile(p) end
  end
  io.write(string.format('${MARK}{${SUMMARY_LUA_FORMAT},"max_us":%d,"q":"%s"}\\n',
    ${SUMMARY_LUA_ARGS}, latency.max, table.concat(q, ",")))
end
`;

/** One slice: wrk's summary, its latency maximum and percentile grid. */
export interface Slice extends WrkSummary {
  readonly maxMicros: number;
  /** [percentile, latency in µs], ascending. */
  readonly quantiles: ReadonlyArray<readonly [number, number]>;
}

/** The `done` hook's line in wrk's output. */
export function parseSlice(output: string): Slice {
  const { summary, raw } = parseDoneLine(output, MARK, "slice summary");
  const q = String(raw.q ?? "");
  const quantiles = (q ? q.split(",") : []).map((pair) => {
    const [p, us] = pair.split(":");
    return [Number(p), Number(us)] as const;
  });
  return { ...summary, maxMicros: Number(raw.max_us), quantiles };
}

/** A slice's own percentile (on its grid), in µs. */
export function sliceQuantile(s: Slice, p: number): number {
  return s.quantiles.find(([q]) => q >= p)?.[1] ?? Number.NaN;
}

/**
 * The p-th percentile of all slices together, in µs: the least latency at
 * which the slices' responses at or below it (each slice's share read off
 * its grid) reach p % of all. Exact to the grid's step in rank.
 */
export function mergedQuantile(slices: readonly Slice[], p: number): number {
  const total = slices.reduce((n, s) => n + (s.quantiles.length > 0 ? s.requests : 0), 0);
  if (total === 0) return Number.NaN;
  const below = (us: number) =>
    slices.reduce((n, s) => {
      let share = 0;
      for (const [q, v] of s.quantiles) if (v <= us) share = q;
      return n + (s.requests * share) / 100;
    }, 0);
  const candidates = [...new Set(slices.flatMap((s) => s.quantiles.map(([, v]) => v)))].sort((a, b) => a - b);
  return candidates.find((us) => below(us) >= (p / 100) * total - 1e-9) ?? Number.NaN;
}

/** The run's result from its slices; `startsMs` are each slice's start since the first began, `wallMs` the load's span. */
export function combineSlices(
  slices: readonly Slice[],
  startsMs: readonly number[],
  wallMs: number,
  connections: number,
  visitShare: number,
): RunResult {
  const ms = (us: number) => us / 1000;
  const samples: Sample[] = slices.map((s, i) => ({
    t: (startsMs[i] ?? 0) / 1000,
    seconds: s.durationMicros / 1e6,
    requests: s.requests,
    non2xx: s.status,
    errors: socketErrors(s),
    timeouts: s.timeouts,
    p50: ms(sliceQuantile(s, 50)),
    p99: ms(sliceQuantile(s, 99)),
  }));
  const requests = slices.reduce((n, s) => n + s.requests, 0);
  const non2xx = slices.reduce((n, s) => n + s.status, 0);
  const rates = samples.map((s) => s.requests / s.seconds).sort((a, b) => a - b);
  const meanRate = rates.reduce((a, b) => a + b, 0) / Math.max(rates.length, 1);
  const twoXx = requests - non2xx;
  return {
    generator: "wrk",
    durationSeconds: wallMs / 1000,
    connections,
    requests,
    // Over the wall time, gaps between slices included: what the generator delivered.
    reqPerSec: {
      mean: requests / Math.max(wallMs / 1000, 0.001),
      p50: rates[rates.length >> 1] ?? 0,
      stdev: Math.sqrt(rates.reduce((v, r) => v + (r - meanRate) ** 2, 0) / Math.max(rates.length, 1)),
    },
    latency: {
      p50: ms(mergedQuantile(slices, 50)),
      p90: ms(mergedQuantile(slices, 90)),
      p99: ms(mergedQuantile(slices, 99)),
      p99_9: ms(mergedQuantile(slices, 99.9)),
      max: ms(Math.max(0, ...slices.map((s) => s.maxMicros))),
    },
    errors: slices.reduce((n, s) => n + socketErrors(s), 0),
    timeouts: slices.reduce((n, s) => n + s.timeouts, 0),
    non2xx,
    visits2xx: visitShare === 1 ? twoXx : Math.floor(twoXx * visitShare),
    visitsExact: false,
    samples,
  };
}

/**
 * One bash loop runs the slices back to back, so that no round trip through
 * this process (and no fork of it) sits between two slices; bash stamps each
 * slice's start with $EPOCHREALTIME (no extra process).
 */
const LOOP = 'for ((i = 0; i < $0; i++)); do echo "@bench-start $EPOCHREALTIME"; wrk "$@" || exit $?; done';

/** The slices in a loop's output, each with its start in ms since the first. */
export function parseSlices(output: string): { slices: Slice[]; startsMs: number[] } {
  const parts = output.split("@bench-start ").slice(1);
  const epochs = parts.map((p) => Number(p.slice(0, p.indexOf("\n"))) * 1000);
  return { slices: parts.map(parseSlice), startsMs: epochs.map((e) => e - (epochs[0] ?? e)) };
}

/** `seconds` one-second wrk runs back to back. */
export async function runWrkSliced(
  url: string,
  scenario: Scenario,
  connections: number,
  seconds: number,
  timeoutSeconds: number,
): Promise<RunResult> {
  const dir = mkdtempSync(join(tmpdir(), "bench-wrk-"));
  try {
    const script = join(dir, `${scenario.name}.lua`);
    writeFileSync(script, wrkScript(scenario) + SLICE_DONE_HOOK);
    const count = Math.max(1, Math.round(seconds));
    const args = ["-t1", `-c${connections}`, "-d1s", "--timeout", `${timeoutSeconds}s`, "-s", script, url];
    const { stdout } = await run("bash", ["-c", LOOP, String(count), ...args], {
      maxBuffer: 64 << 20,
      env: { ...process.env, LC_ALL: "C" }, // $EPOCHREALTIME's decimal point
    });
    const { slices, startsMs } = parseSlices(stdout);
    if (slices.length !== count) throw new Error(`wrk ran ${slices.length} of ${count} slices`);
    // The load's span: from the first slice's start to the last one's end.
    const last = slices.length - 1;
    const spanMs = (startsMs[last] ?? 0) + (slices[last]?.durationMicros ?? 0) / 1000;
    const visits = scenario.requests.filter((r) => r.isVisit).length;
    return combineSlices(slices, startsMs, spanMs, connections, visits / scenario.requests.length);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
