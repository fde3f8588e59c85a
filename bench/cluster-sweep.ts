/**
 * @module `npm run bench -- --cluster 1,2,3 [--html f] [--json f]`: the
 * cluster bench (cluster-bench.ts) once per instance count, a fresh Redis
 * each, and its full-rate phases as one report: req/s against instances
 * with the ideal linear line, and Redis commands/s and CPU per point; the
 * staleness per point comes from cluster-bench's staleness phase (wrk on
 * instance 1 only, instance 2's /stats polled), none with one instance.
 * cluster-bench.ts stays the one place that measures; this only wires its
 * results into the bench report (text, JSON, HTML).
 */
import { parseClusterArgs, renderClusterReport, runClusterBench } from "./cluster-bench.js";
import { readEnvironment } from "./environment.js";
import type { BenchReport, ScenarioRun } from "./report.js";
import type { RunResult } from "./run-result.js";
import { scenario } from "./scenarios.js";

export interface ClusterSweepArgs {
  /** Instance counts, ascending, each once. */
  readonly counts: readonly number[];
  readonly html: string | undefined;
  readonly json: string | undefined;
  /** The arguments for cluster-bench's own parser, less --cluster, --html and --json. */
  readonly rest: readonly string[];
}

/** Takes --cluster's list and the report files out of argv; cluster-bench parses the rest. */
export function parseClusterSweepArgs(argv: readonly string[]): ClusterSweepArgs {
  const rest: string[] = [];
  let list = "2";
  let html: string | undefined;
  let json: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const [flag, inline] = arg.startsWith("--") && arg.includes("=") ? arg.split(/=(.*)/s, 2) : [arg, undefined];
    if (flag !== "--cluster" && flag !== "--html" && flag !== "--json") {
      rest.push(arg);
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined || value.startsWith("--")) throw new Error(`${flag} needs a value`);
    if (flag === "--cluster") list = value;
    else if (flag === "--html") html = value;
    else json = value;
  }
  const counts = list.split(",").map((t) => {
    const n = Number(t.trim());
    if (!Number.isInteger(n) || n < 1)
      throw new Error(`--cluster takes instance counts like 2 or 1,2,3, got "${list}"`);
    return n;
  });
  return { counts: [...new Set(counts)].sort((a, b) => a - b), html, json, rest };
}

/** What one cluster-bench phase reports (cluster-bench.ts's Phase, the fields used here). */
export interface ClusterPhase {
  readonly phase: string;
  readonly requests: number;
  readonly seconds: number;
  readonly reqPerSec: number;
  readonly non2xx: number;
  readonly redisCommandsPerSec: number;
  readonly fcallsPerSec: number;
  readonly redisCpuPercent: number;
  /** Only the staleness phase probes: the others' staleness figures are NaN. */
  readonly stalenessProbed: boolean;
  readonly stalenessP50Ms: number;
  readonly stalenessP99Ms: number;
  /** Staleness polls taken. */
  readonly samples: number;
}

/** A staleness phase's figures: how late instance 2's /stats showed instance 1's total. */
export interface ClusterStaleness {
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly samples: number;
}

export interface ClusterPoint {
  readonly instances: number;
  readonly threads: number;
  readonly connectionsPerInstance: number;
  /** The full-rate phase (one wrk per instance). */
  readonly phase: ClusterPhase;
  /**
   * The staleness phase's (wrk on instance 1 only, instance 2's /stats
   * polled: the full-rate phase loads every instance and does not probe).
   * Absent with one instance: there is no other instance to be stale.
   */
  readonly staleness?: ClusterStaleness;
  /** Totals equal on every instance and in Redis after the load. */
  readonly exact: boolean;
}

/** One instance count's point from cluster-bench's result: req/s and Redis from the full-rate phase, staleness from the staleness phase. */
export function pointOf(
  instances: number,
  threads: number,
  connectionsPerInstance: number,
  r: { readonly phases: readonly ClusterPhase[]; readonly exact: boolean },
): ClusterPoint {
  const full = r.phases[0];
  if (!full) throw new Error("cluster-bench reported no phase");
  const probed = r.phases.find((p) => p.stalenessProbed);
  if (instances >= 2 && !probed)
    throw new Error(`cluster-bench reported no staleness phase for ${instances} instances`);
  return {
    instances,
    threads,
    connectionsPerInstance,
    phase: full,
    ...(probed && instances >= 2
      ? { staleness: { p50Ms: probed.stalenessP50Ms, p99Ms: probed.stalenessP99Ms, samples: probed.samples } }
      : {}),
    exact: r.exact,
  };
}

/** One run per instance count: visit at full rate, on `cluster`. Latency is not merged across the instances' wrk runs. */
export function clusterRun(p: ClusterPoint): ScenarioRun {
  const s = scenario("visit");
  const result: RunResult = {
    generator: "wrk",
    durationSeconds: p.phase.seconds,
    connections: p.connectionsPerInstance * p.instances,
    requests: p.phase.requests,
    reqPerSec: { mean: p.phase.reqPerSec, p50: p.phase.reqPerSec, stdev: Number.NaN },
    latency: { p50: Number.NaN, p90: Number.NaN, p99: Number.NaN, p99_9: Number.NaN, max: Number.NaN },
    errors: 0,
    timeouts: 0,
    // cluster-bench counts wrk's errors with the non-2xx answers.
    non2xx: p.phase.non2xx,
    visits2xx: p.phase.requests - p.phase.non2xx,
    visitsExact: false,
  };
  return {
    scenario: "visit",
    description: `${s.description}, one wrk per instance, the instances sharing one Redis`,
    target: "cluster",
    threads: p.threads,
    round: 1,
    result,
    crossCheck: {
      checked: true,
      exact: true,
      counted: p.phase.requests - p.phase.non2xx,
      grew: p.phase.requests - p.phase.non2xx,
      ok: p.exact,
      note: p.exact ? "totals equal on every instance and in Redis" : "totals DIFFER between instances and Redis",
    },
    instances: p.instances,
    redis: {
      commandsPerSec: p.phase.redisCommandsPerSec,
      fcallsPerSec: p.phase.fcallsPerSec,
      cpuPercent: p.phase.redisCpuPercent,
      ...(p.staleness ? { stalenessP99Ms: p.staleness.p99Ms, stalenessSamples: p.staleness.samples } : {}),
    },
  };
}

export function clusterReport(points: readonly ClusterPoint[]): BenchReport {
  const runs = points.map(clusterRun);
  const first = points[0];
  return {
    environment: readEnvironment(),
    settings: {
      generator: "wrk (one per instance)",
      instances: points.map((p) => p.instances).join(","),
      threads: first?.threads ?? 1,
      connections: `${first?.connectionsPerInstance ?? 0} per instance`,
      duration: `${first?.phase.seconds.toFixed(1) ?? 0} s (measured)`,
      redis: "one redis-server per instance count (AOF, everysec)",
    },
    targets: { cluster: "traffic-tracker instances in cluster mode (--redis), one Redis" },
    runs,
    comparisons: [],
    warnings: points.flatMap((p) =>
      p.staleness && !(p.staleness.samples > 0)
        ? [`${p.instances} instances: the staleness phase took no /stats sample (staleness not measured)`]
        : [],
    ),
    failures: runs.flatMap((r) => [
      ...(r.result.non2xx > 0 ? [`${r.instances} instance(s): ${r.result.non2xx} non-2xx or errors`] : []),
      ...(r.crossCheck.ok ? [] : [`${r.instances} instance(s): ${r.crossCheck.note}`]),
    ]),
  };
}

/** Runs cluster-bench once per instance count; the hot-path overhead rounds (independent of the count) only after the last. */
export async function runClusterSweep(
  args: ClusterSweepArgs,
  log: (line: string) => void,
): Promise<{ text: string; report: BenchReport }> {
  const points: ClusterPoint[] = [];
  let text = "";
  for (const [i, n] of args.counts.entries()) {
    const o = parseClusterArgs([...args.rest, "--cluster", String(n)]);
    const last = i === args.counts.length - 1;
    const r = await runClusterBench({ ...o, overheadRounds: last ? o.overheadRounds : 0 }, log);
    text += `${renderClusterReport(r)}\n`;
    points.push(pointOf(n, o.threads, o.connections, r));
  }
  return { text, report: clusterReport(points) };
}
