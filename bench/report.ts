/**
 * @module Turns measured runs into the report: per-scenario tables, thread
 * scaling, A/B ratios, the cross-check verdicts; as text, Markdown or JSON.
 */
import type { Environment } from "./environment.js";
import type { ScenarioName } from "./options.js";
import type { RunResult } from "./run-result.js";

export interface CrossCheck {
  /** False when the target has no /stats (e.g. the bare baseline). */
  readonly checked: boolean;
  readonly exact: boolean;
  /** 2xx visit answers counted by the generator. */
  readonly counted: number;
  /** How much total_visits grew on the server. */
  readonly grew: number;
  readonly ok: boolean;
  readonly note: string;
}

export interface ScenarioRun {
  readonly scenario: ScenarioName;
  readonly description: string;
  readonly target: string;
  readonly threads: number;
  readonly round: number;
  readonly result: RunResult;
  readonly crossCheck: CrossCheck;
  /** Server process CPU (all its threads, user + system) per request, in µs; only for servers the bench started. */
  readonly serverCpuMicrosPerRequest?: number;
  /** live scenario: idle /live subscribers held open, and the updates they received in all. */
  readonly liveSubscribers?: number;
  readonly liveUpdates?: number;
  /** Cluster mode (--cluster): the instances sharing one Redis, and what Redis did meanwhile. */
  readonly instances?: number;
  readonly redis?: {
    /** Every command Redis ran (INFO commandstats), and the FCALLs the instances sent, per second. */
    readonly commandsPerSec: number;
    readonly fcallsPerSec: number;
    /** Redis's CPU, % of one core. */
    readonly cpuPercent: number;
    /**
     * How late instance 2's /stats showed instance 1's total (p99, ms), from
     * the staleness phase (wrk on instance 1 only). Absent with one instance
     * (nothing to be stale against); NaN (null in JSON) if no poll completed.
     */
    readonly stalenessP99Ms?: number;
    /** The staleness polls behind it. */
    readonly stalenessSamples?: number;
  };
}

export interface Comparison {
  readonly scenario: ScenarioName;
  readonly threads: number;
  readonly a: string;
  readonly b: string;
  /** A req/s ÷ B req/s, per round. */
  readonly roundRatios: readonly number[];
  /** Median of the per-round ratios: one noisy round (a shared 2-core box) cannot swing it. */
  readonly ratio: number;
  /** Mean A req/s ÷ mean B req/s, for reference. */
  readonly meanRatio: number;
  /** Median per round of B's server CPU per request ÷ A's: the same question, steadier on a noisy box. */
  readonly cpuRatio: number;
}

export function median(xs: readonly number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export interface BenchReport {
  readonly environment: Environment;
  readonly settings: Record<string, unknown>;
  readonly targets: Record<string, string>;
  readonly runs: readonly ScenarioRun[];
  readonly comparisons: readonly Comparison[];
  readonly warnings: readonly string[];
  readonly failures: readonly string[];
}

/** Cross-check: exact equality when the generator waited for every answer, else a bounded check. */
export function crossCheck(result: RunResult, grew: number | undefined, inFlightBound: number): CrossCheck {
  if (grew === undefined) {
    return { checked: false, exact: false, counted: result.visits2xx, grew: 0, ok: true, note: "target has no /stats" };
  }
  const counted = result.visits2xx;
  if (result.visitsExact) {
    const ok = grew === counted;
    return {
      checked: true,
      exact: true,
      counted,
      grew,
      ok,
      note: ok ? "exact" : `server grew by ${grew}, generator counted ${counted}`,
    };
  }
  // wrk stops on a timer: up to one request per connection is answered but never counted.
  const ok = grew >= counted && grew - counted <= inFlightBound;
  return {
    checked: true,
    exact: false,
    counted,
    grew,
    ok,
    note: ok
      ? `within ${inFlightBound} in flight at stop`
      : `server grew by ${grew}, generator counted ${counted} (bound ${inFlightBound})`,
  };
}

/** Every reason the run must exit 1. */
export function failuresOf(
  runs: readonly ScenarioRun[],
  comparisons: readonly Comparison[],
  minRatio?: number,
): string[] {
  const failures: string[] = [];
  for (const r of runs) {
    const where = `${r.scenario} on ${r.target} (${r.threads} thread(s), round ${r.round})`;
    if (r.result.errors > 0) failures.push(`${where}: ${r.result.errors} errors (${r.result.timeouts} timeouts)`);
    if (r.result.non2xx > 0) failures.push(`${where}: ${r.result.non2xx} non-2xx responses`);
    if (!r.crossCheck.ok) failures.push(`${where}: cross-check failed: ${r.crossCheck.note}`);
  }
  if (minRatio !== undefined) {
    for (const c of comparisons) {
      if (!(c.ratio >= minRatio)) {
        failures.push(
          `${c.scenario} (${c.threads} thread(s)): ${c.a} / ${c.b} = ${c.ratio.toFixed(3)}, below --min-ratio ${minRatio}`,
        );
      }
    }
  }
  return failures;
}

export function compare(runs: readonly ScenarioRun[], a: string, b: string): Comparison[] {
  const out: Comparison[] = [];
  const keys = new Set(runs.map((r) => `${r.scenario}|${r.threads}`));
  for (const key of keys) {
    const [scenario, threads] = key.split("|") as [ScenarioName, string];
    const pick = (label: string) =>
      runs.filter((r) => r.scenario === scenario && String(r.threads) === threads && r.target === label);
    const as = pick(a);
    const bs = pick(b);
    if (as.length === 0 || bs.length === 0) continue;
    const roundRatios = as.map(
      (r, i) => r.result.reqPerSec.mean / ((bs[i] ?? bs[0])?.result.reqPerSec.mean ?? Number.NaN),
    );
    const mean = (xs: ScenarioRun[]) => xs.reduce((s, r) => s + r.result.reqPerSec.mean, 0) / xs.length;
    out.push({
      scenario,
      threads: Number(threads),
      a,
      b,
      roundRatios,
      ratio: median(roundRatios),
      meanRatio: mean(as) / mean(bs),
      cpuRatio: median(
        as.map(
          (r, i) =>
            ((bs[i] ?? bs[0])?.serverCpuMicrosPerRequest ?? Number.NaN) / (r.serverCpuMicrosPerRequest ?? Number.NaN),
        ),
      ),
    });
  }
  return out;
}

const fmt = (n: number, digits = 0) =>
  Number.isFinite(n)
    ? n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : "–";

const HEADER = [
  "target",
  "threads",
  "round",
  "srv CPU µs/req",
  "req/s mean",
  "p50",
  "stdev",
  "lat p50",
  "p90",
  "p99",
  "p99.9",
  "max",
  "errors",
  "timeouts",
  "non-2xx",
  "cross-check",
];

function rowOf(r: ScenarioRun): string[] {
  const { result: x } = r;
  return [
    r.instances === undefined ? r.target : `${r.target} (${r.instances} instance${r.instances === 1 ? "" : "s"})`,
    String(r.threads),
    String(r.round),
    fmt(r.serverCpuMicrosPerRequest ?? Number.NaN, 2),
    fmt(x.reqPerSec.mean),
    fmt(x.reqPerSec.p50),
    fmt(x.reqPerSec.stdev),
    `${fmt(x.latency.p50, 2)} ms`,
    `${fmt(x.latency.p90, 2)} ms`,
    `${fmt(x.latency.p99, 2)} ms`,
    `${fmt(x.latency.p99_9, 2)} ms`,
    `${fmt(x.latency.max, 2)} ms`,
    String(x.errors),
    String(x.timeouts),
    String(x.non2xx),
    r.crossCheck.checked ? `${r.crossCheck.ok ? "ok" : "FAILED"} (${r.crossCheck.note})` : "n/a",
  ];
}

function textTable(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length))) ?? [];
  return rows
    .map((r) =>
      r.map((c, i) => (i < 3 || i === r.length - 1 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join("  "),
    )
    .join("\n");
}

function mdTable(rows: string[][]): string {
  const [head, ...body] = rows;
  if (!head) return "";
  return [
    `| ${head.join(" | ")} |`,
    `| ${head.map(() => "---").join(" | ")} |`,
    ...body.map((r) => `| ${r.join(" | ")} |`),
  ].join("\n");
}

/** Req/s per thread count, relative to the fewest threads, per scenario and target. */
export function scaling(runs: readonly ScenarioRun[]): string[][] {
  const rows: string[][] = [["scenario", "target", "threads", "req/s", "× vs fewest"]];
  const groups = new Map<string, ScenarioRun[]>();
  for (const r of runs)
    groups.set(`${r.scenario}|${r.target}`, [...(groups.get(`${r.scenario}|${r.target}`) ?? []), r]);
  for (const [key, list] of groups) {
    const threads = [...new Set(list.map((r) => r.threads))].sort((a, b) => a - b);
    if (threads.length < 2) continue;
    const mean = (t: number) => {
      const xs = list.filter((r) => r.threads === t);
      return xs.reduce((s, r) => s + r.result.reqPerSec.mean, 0) / xs.length;
    };
    const base = mean(threads[0] as number);
    const [scenario, target] = key.split("|") as [string, string];
    for (const t of threads) rows.push([scenario, target, String(t), fmt(mean(t)), fmt(mean(t) / base, 2)]);
  }
  return rows.length > 1 ? rows : [];
}

/** Each run's own warnings (wrk's per-second counts clamped at 0), named by the run; `rounds`: name the round too. */
export function runWarnings(runs: readonly ScenarioRun[], rounds: boolean): string[] {
  return runs.flatMap((r) =>
    (r.result.warnings ?? []).map(
      (w) =>
        `${r.scenario} · ${r.target} · ${r.threads} thread(s)${rounds || r.round > 1 ? ` · round ${r.round}` : ""}: ${w}`,
    ),
  );
}

/** Cluster mode: req/s per instance count against the fewest, and Redis's load at each. */
export function instanceScaling(runs: readonly ScenarioRun[]): string[][] {
  const points = runs.filter((r) => r.instances !== undefined).sort((a, b) => (a.instances ?? 0) - (b.instances ?? 0));
  if (points.length === 0) return [];
  const first = points[0] as ScenarioRun;
  const base = first.result.reqPerSec.mean / (first.instances ?? 1);
  return [
    [
      "instances",
      "req/s",
      "× vs fewest",
      "ideal (linear)",
      "Redis cmds/s",
      "FCALL/s",
      "Redis CPU",
      "staleness p99",
      "non-2xx",
    ],
    ...points.map((r) => [
      String(r.instances),
      fmt(r.result.reqPerSec.mean),
      fmt(r.result.reqPerSec.mean / first.result.reqPerSec.mean, 2),
      fmt(base * (r.instances ?? 0)),
      fmt(r.redis?.commandsPerSec ?? Number.NaN),
      fmt(r.redis?.fcallsPerSec ?? Number.NaN, 1),
      `${fmt(r.redis?.cpuPercent ?? Number.NaN, 1)} %`,
      r.redis?.stalenessP99Ms === undefined ? "none (1 instance)" : `${fmt(r.redis.stalenessP99Ms)} ms`,
      String(r.result.non2xx),
    ]),
  ];
}

/** The instance-scaling table as text (the cluster sweep prints it after each count's own report). */
export function renderInstanceScaling(runs: readonly ScenarioRun[]): string {
  const rows = instanceScaling(runs);
  return rows.length > 0 ? `\n== Instance scaling (cluster mode, one Redis) ==\n${textTable(rows)}\n` : "";
}

function sections(report: BenchReport, table: (rows: string[][]) => string, heading: (s: string) => string): string[] {
  const out: string[] = [];
  const e = report.environment;
  out.push(heading("Environment"));
  out.push(
    table([
      ["cpus", "cpu", "node", "platform", "commit", "load avg", "date"],
      [String(e.cpus), e.cpuModel, e.node, e.platform, e.commit, e.loadAverage.join(" "), e.date],
    ]),
  );
  out.push(table([["setting", "value"], ...Object.entries(report.settings).map(([k, v]) => [k, String(v)])]));
  out.push(table([["target", "runs"], ...Object.entries(report.targets)]));
  for (const name of new Set(report.runs.map((r) => r.scenario))) {
    const runs = report.runs.filter((r) => r.scenario === name);
    out.push(heading(`Scenario ${name}: ${runs[0]?.description ?? ""}`));
    out.push(table([HEADER, ...runs.map(rowOf)]));
  }
  const scale = scaling(report.runs);
  if (scale.length > 0) out.push(heading("Thread scaling"), table(scale));
  const instances = instanceScaling(report.runs);
  if (instances.length > 0) out.push(heading("Instance scaling (cluster mode, one Redis)"), table(instances));
  if (report.comparisons.length > 0) {
    out.push(heading("Comparison (same run, interleaved)"));
    out.push(
      table([
        [
          "scenario",
          "threads",
          "A",
          "B",
          "A/B req/s (median of rounds)",
          "A/B of means",
          "per round",
          "B÷A server CPU/req",
        ],
        ...report.comparisons.map((c) => [
          c.scenario,
          String(c.threads),
          c.a,
          c.b,
          fmt(c.ratio, 3),
          fmt(c.meanRatio, 3),
          c.roundRatios.map((r) => fmt(r, 3)).join(", "),
          fmt(c.cpuRatio, 3),
        ]),
      ]),
    );
  }
  if (report.warnings.length > 0) out.push(heading("Warnings"), report.warnings.map((w) => `- ${w}`).join("\n"));
  out.push(
    heading("Verdict"),
    report.failures.length === 0
      ? "PASS: no errors, no timeouts, no non-2xx, every cross-check held."
      : report.failures.map((f) => `- FAIL: ${f}`).join("\n"),
  );
  return out;
}

export function renderText(report: BenchReport): string {
  return `${sections(report, textTable, (s) => `\n== ${s} ==`).join("\n")}\n`;
}

export function renderMarkdown(report: BenchReport): string {
  return `# traffic-tracker bench\n${sections(report, mdTable, (s) => `\n## ${s}\n`).join("\n")}\n`;
}
