/**
 * @module Runs one scenario with wrk (Debian's `wrk`): lighter than autocannon
 * on 2 cores, but it stops on a timer, so requests in flight at the end are
 * answered by the server yet not counted: its visit count is a lower bound.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { RunResult } from "./run-result.js";
import { type Scenario, wrkScript } from "./scenarios.js";
import { parseSecondsLine, samplesOf, secondsHook, type WrkCounter } from "./wrk-seconds.js";

const run = promisify(execFile);

export async function wrkAvailable(): Promise<boolean> {
  try {
    await run("wrk", ["--version"]);
    return true;
  } catch (error) {
    // wrk --version exits 1 after printing its version.
    return (error as { stdout?: string }).stdout?.startsWith("wrk") ?? false;
  }
}

/** "1.23ms" → 1.23, "2.1s" → 2100, "850us" → 0.85 */
export function wrkTime(text: string): number {
  const m = /^([0-9.]+)(us|ms|s|m)$/.exec(text.trim());
  if (!m) return Number.NaN;
  const unit = { us: 0.001, ms: 1, s: 1000, m: 60_000 }[m[2] as "us" | "ms" | "s" | "m"];
  return Number(m[1]) * unit;
}

/** Parses `wrk --latency` output. */
export function parseWrkOutput(output: string, connections: number, allVisits: boolean, visitShare: number): RunResult {
  const num = (re: RegExp) => {
    const m = re.exec(output);
    return m ? Number(m[1]) : 0;
  };
  const requests = num(/(\d+) requests in/);
  const seconds = wrkTime(/requests in ([0-9.]+\w+),/.exec(output)?.[1] ?? "0s") / 1000;
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  const timeouts = socket ? Number(socket[4]) : 0;
  const errors = socket ? Number(socket[1]) + Number(socket[2]) + Number(socket[3]) + timeouts : 0;
  const non2xx = num(/Non-2xx or 3xx responses: (\d+)/);
  const pct = (p: string) => wrkTime(new RegExp(`^\\s+${p}%\\s+(\\S+)`, "m").exec(output)?.[1] ?? "NaN");
  const stdevLine = /Req\/Sec\s+(\S+)\s+(\S+)/.exec(output);
  const perThread = (s: string | undefined) => (s?.endsWith("k") ? Number(s.slice(0, -1)) * 1000 : Number(s));
  const mean = num(/Requests\/sec:\s+([0-9.]+)/);
  const twoXx = requests - non2xx;
  return {
    generator: "wrk",
    durationSeconds: seconds,
    connections,
    requests,
    reqPerSec: { mean, p50: mean, stdev: perThread(stdevLine?.[2]) },
    latency: {
      p50: pct("50"),
      p90: pct("90"),
      p99: pct("99"),
      p99_9: Number.NaN,
      max: wrkTime(/Latency\s+\S+\s+\S+\s+(\S+)/.exec(output)?.[1] ?? "NaN"),
    },
    errors,
    timeouts,
    non2xx,
    visits2xx: allVisits ? twoXx : Math.floor(twoXx * visitShare),
    visitsExact: false,
  };
}

export async function runWrk(
  url: string,
  scenario: Scenario,
  connections: number,
  durationSeconds: number,
  timeoutSeconds: number,
  /** Count answers per second in the run (bench/wrk-seconds.ts): the samples. */
  perSecond?: WrkCounter,
): Promise<RunResult> {
  const dir = mkdtempSync(join(tmpdir(), "bench-wrk-"));
  try {
    const script = join(dir, `${scenario.name}.lua`);
    writeFileSync(script, wrkScript(scenario) + (perSecond ? secondsHook(perSecond) : ""));
    const { stdout } = await run(
      "wrk",
      [
        "-t1",
        `-c${connections}`,
        `-d${Math.max(1, Math.round(durationSeconds))}s`,
        `--timeout`,
        `${timeoutSeconds}s`,
        "--latency",
        "-s",
        script,
        url,
      ],
      { maxBuffer: 1 << 20 },
    );
    const visits = scenario.requests.filter((r) => r.isVisit).length;
    const result = parseWrkOutput(
      stdout,
      connections,
      visits === scenario.requests.length,
      visits / scenario.requests.length,
    );
    if (!perSecond) return result;
    const line = parseSecondsLine(stdout);
    const { samples, warnings } = samplesOf(line, connections);
    return {
      ...result,
      latency: { ...result.latency, p99_9: line.p99_9Micros / 1000 },
      samples,
      perSecondLatency: false,
      ...(warnings.length > 0 ? { warnings } : {}),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
