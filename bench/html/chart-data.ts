/**
 * @module What the HTML report draws, computed from the report: every chart
 * as plain data (x values, series, axes), so that the page's script only
 * draws and these numbers are tested here.
 */
import type { BenchReport, ScenarioRun } from "../report.js";

export type ChartKind = "timeline" | "sweep" | "redis" | "compare" | "cpu" | "errors";

export interface Series {
  readonly label: string;
  readonly values: ReadonlyArray<number | null>;
  /** "y" the left axis, "y2" the right one. */
  readonly axis: "y" | "y2";
  readonly style: "line" | "dashed" | "dotted" | "bars";
  /** Index into the page's palette: one colour per run or target. */
  readonly color: number;
  /** Drawn only once its legend entry is clicked (keeps a chart of many runs readable). */
  readonly hidden?: boolean;
}

export interface ChartSpec {
  readonly kind: ChartKind;
  readonly title: string;
  readonly scenario?: string;
  readonly xLabel: string;
  readonly xs: readonly number[];
  /** Category charts: the label of x = 1, 2, … */
  readonly categories?: readonly string[];
  readonly yLabel: string;
  readonly y2Label?: string;
  readonly series: readonly Series[];
  /** Vertical marks, e.g. the spike's opening. */
  readonly markers?: ReadonlyArray<{ readonly x: number; readonly label: string }>;
  /** A line under the title, e.g. a comparison's median ratio. */
  readonly note?: string;
}

/** How runs are told apart in legends: only by what varies in this report. */
export function runLabel(r: ScenarioRun, all: readonly ScenarioRun[]): string {
  const parts = [r.target];
  if (new Set(all.map((x) => x.threads)).size > 1) parts.push(`${r.threads} thr`);
  if (new Set(all.map((x) => x.instances)).size > 1) parts.push(`${r.instances} inst`);
  if (all.some((x) => x.round > 1)) parts.push(`round ${r.round}`);
  return parts.join(" · ");
}

/** One chart per scenario: req/s (left) and p50/p99 latency (right), one point per measured second. */
export function timelineCharts(report: BenchReport): ChartSpec[] {
  const charts: ChartSpec[] = [];
  for (const scenario of new Set(report.runs.map((r) => r.scenario))) {
    const runs = report.runs.filter((r) => r.scenario === scenario && r.result.samples);
    if (runs.length === 0) continue;
    const points = Math.max(...runs.map((r) => r.result.samples?.length ?? 0));
    const xs = Array.from({ length: points }, (_, i) => i + 1);
    const series: Series[] = [];
    runs.forEach((r, color) => {
      const samples = r.result.samples ?? [];
      const at = (f: (i: number) => number) => xs.map((_, i) => (i < samples.length ? finite(f(i)) : null));
      const label = runLabel(r, report.runs);
      const s = (i: number) => samples[i] as NonNullable<typeof samples>[number];
      series.push({
        label: `req/s · ${label}`,
        values: at((i) => s(i).requests / s(i).seconds),
        axis: "y",
        style: "line",
        color,
      });
      // wrk counting in one process knows only the run's percentiles: no latency line (the note says why).
      if (r.result.perSecondLatency === false) return;
      series.push(
        // With more than two runs, p50 waits for a click: req/s and p99 are what a sale's SRE reads first.
        {
          label: `p50 ms · ${label}`,
          values: at((i) => s(i).p50),
          axis: "y2",
          style: "dashed",
          color,
          ...(runs.length > 2 ? { hidden: true } : {}),
        },
        { label: `p99 ms · ${label}`, values: at((i) => s(i).p99), axis: "y2", style: "dotted", color },
      );
    });
    const first = runs[0] as ScenarioRun;
    const counted = runs.filter((r) => r.result.perSecondLatency === false);
    const latencyNote =
      counted.length === 0
        ? undefined
        : "wrk counted its answers per second in one process: latency over time needs autocannon " +
          `or --wrk-slices; the run's latency from wrk's histogram: ${counted
            .map((r) => `p50 ${r.result.latency.p50} ms, p99 ${r.result.latency.p99} ms`)
            .join("; ")}`;
    charts.push({
      kind: "timeline",
      title: `${scenario}: req/s ${counted.length === runs.length ? "" : "and latency "}per second`,
      scenario,
      xLabel: "second of the measured run",
      xs,
      yLabel: "req/s",
      ...(counted.length === runs.length ? {} : { y2Label: "latency (ms)" }),
      series,
      ...(latencyNote ? { note: latencyNote } : {}),
      ...(scenario === "spike"
        ? {
            markers: [
              {
                x: 0,
                label: `the sale opens: ${first.result.connections.toLocaleString("en-US")} connections at once`,
              },
            ],
          }
        : {}),
    });
  }
  return charts;
}

const finite = (n: number) => (Number.isFinite(n) ? n : null);

/**
 * Bars grouped per category: series j of k sits at i + offset_j, null
 * elsewhere, so the charting library spaces and sizes the bars by itself.
 */
export function groupedBars(
  categories: number,
  series: ReadonlyArray<Omit<Series, "values" | "style"> & { values: readonly number[] }>,
): { xs: number[]; series: Series[] } {
  const k = series.length;
  const width = 0.8 / Math.max(k, 1);
  const xs: number[] = [];
  for (let i = 1; i <= categories; i++) for (let j = 0; j < k; j++) xs.push(i + (j - (k - 1) / 2) * width);
  return {
    xs,
    series: series.map((s, j) => ({
      ...s,
      style: "bars" as const,
      values: xs.map((_, n) => (n % k === j ? finite(s.values[Math.floor(n / k)] as number) : null)),
    })),
  };
}

/** One sweep: req/s against the number of threads or instances, with the ideal linear line. */
export interface Sweep {
  readonly dimension: "threads" | "instances";
  readonly scenario: string;
  readonly target: string;
  /** [count, mean req/s over its runs], ascending count. */
  readonly points: ReadonlyArray<readonly [number, number]>;
}

/**
 * The sweeps in a report. `countOf` picks the swept dimension from a run:
 * threads, or instances (cluster mode, `--cluster 1,2,3`).
 */
export function sweeps(
  runs: readonly ScenarioRun[],
  dimension: Sweep["dimension"] = "threads",
  countOf: (r: ScenarioRun) => number = (r) => r.threads,
): Sweep[] {
  const groups = new Map<string, ScenarioRun[]>();
  for (const r of runs)
    groups.set(`${r.scenario}|${r.target}`, [...(groups.get(`${r.scenario}|${r.target}`) ?? []), r]);
  const out: Sweep[] = [];
  for (const [key, list] of groups) {
    const counts = [...new Set(list.map(countOf))].sort((a, b) => a - b);
    if (counts.length < 2) continue;
    const [scenario, target] = key.split("|") as [string, string];
    const points = counts.map((n) => {
      const xs = list.filter((r) => countOf(r) === n);
      return [n, xs.reduce((s, r) => s + r.result.reqPerSec.mean, 0) / xs.length] as const;
    });
    out.push({ dimension, scenario, target, points });
  }
  return out;
}

/** One chart per scenario and dimension: each target measured, and its ideal (the fewest count's rate × n / fewest). */
export function sweepCharts(all: readonly Sweep[]): ChartSpec[] {
  const charts: ChartSpec[] = [];
  for (const key of new Set(all.map((s) => `${s.dimension}|${s.scenario}`))) {
    const [dimension, scenario] = key.split("|") as [Sweep["dimension"], string];
    const list = all.filter((s) => s.dimension === dimension && s.scenario === scenario);
    const xs = [...new Set(list.flatMap((s) => s.points.map(([n]) => n)))].sort((a, b) => a - b);
    const series: Series[] = [];
    list.forEach((s, color) => {
      const [n0, r0] = s.points[0] as readonly [number, number];
      const at = (n: number) => s.points.find(([m]) => m === n)?.[1] ?? null;
      series.push(
        { label: `${s.target} measured`, values: xs.map(at), axis: "y", style: "line", color },
        {
          label: `${s.target} ideal (linear)`,
          values: xs.map((n) => (r0 * n) / n0),
          axis: "y",
          style: "dashed",
          color,
        },
      );
    });
    charts.push({
      kind: "sweep",
      title: `${scenario}: req/s by ${dimension}`,
      scenario,
      xLabel: dimension,
      xs,
      yLabel: "req/s",
      series,
    });
  }
  return charts;
}

/** Cluster mode: what Redis did at each instance count (commands/s and FCALL/s left, its CPU right). */
export function redisChart(report: BenchReport): ChartSpec | undefined {
  const runs = report.runs
    .filter((r) => r.instances !== undefined && r.redis)
    .sort((a, b) => (a.instances ?? 0) - (b.instances ?? 0));
  if (runs.length === 0) return undefined;
  const redis = (f: (x: NonNullable<ScenarioRun["redis"]>) => number) =>
    runs.map((r) => finite(f(r.redis as NonNullable<ScenarioRun["redis"]>)));
  return {
    kind: "redis",
    title: "Redis at each instance count (the full-rate phase)",
    xLabel: "instances",
    xs: runs.map((r) => r.instances as number),
    yLabel: "Redis commands/s",
    y2Label: "Redis CPU (% of a core)",
    series: [
      { label: "Redis commands/s (all)", values: redis((x) => x.commandsPerSec), axis: "y", style: "line", color: 0 },
      { label: "FCALL/s sent", values: redis((x) => x.fcallsPerSec), axis: "y", style: "dashed", color: 1 },
      { label: "Redis CPU %", values: redis((x) => x.cpuPercent), axis: "y2", style: "dotted", color: 3 },
    ],
  };
}

/** --compare: A and B req/s side by side per round, the median ratio in the note. */
export function compareCharts(report: BenchReport): ChartSpec[] {
  return report.comparisons.map((c) => {
    const pick = (label: string) =>
      report.runs
        .filter((r) => r.scenario === c.scenario && r.threads === c.threads && r.target === label)
        .sort((x, y) => x.round - y.round);
    const as = pick(c.a);
    const bs = pick(c.b);
    const rounds = Math.max(as.length, bs.length);
    const bars = groupedBars(rounds, [
      { label: `A: ${c.a}`, values: as.map((r) => r.result.reqPerSec.mean), axis: "y", color: 0 },
      { label: `B: ${c.b}`, values: bs.map((r) => r.result.reqPerSec.mean), axis: "y", color: 1 },
    ]);
    return {
      kind: "compare" as const,
      title: `${c.scenario}, ${c.threads} thread(s): A against B, round by round`,
      scenario: c.scenario,
      xLabel: "round",
      ...bars,
      categories: Array.from({ length: rounds }, (_, i) => `round ${i + 1}`),
      yLabel: "req/s",
      note: `A/B req/s: median of rounds ${c.ratio.toFixed(3)} (rounds ${c.roundRatios.map((r) => r.toFixed(3)).join(", ")}); B÷A server CPU per request ${c.cpuRatio.toFixed(3)}`,
    };
  });
}

const runCategory = (r: ScenarioRun, all: readonly ScenarioRun[]) => `${r.scenario} · ${runLabel(r, all)}`;

/** Server CPU per request, one bar per run (servers the bench started). */
export function cpuChart(report: BenchReport): ChartSpec | undefined {
  const runs = report.runs.filter((r) => r.serverCpuMicrosPerRequest !== undefined);
  if (runs.length === 0) return undefined;
  const bars = groupedBars(runs.length, [
    {
      label: "server CPU µs per request",
      values: runs.map((r) => r.serverCpuMicrosPerRequest as number),
      axis: "y",
      color: 0,
    },
  ]);
  return {
    kind: "cpu",
    title: "Server CPU per request (all its threads, user + system)",
    xLabel: "run",
    ...bars,
    categories: runs.map((r) => runCategory(r, report.runs)),
    yLabel: "µs per request",
  };
}

/** Errors (timeouts included), timeouts and non-2xx answers, three bars per run. */
export function errorsChart(report: BenchReport): ChartSpec {
  const runs = report.runs;
  const bars = groupedBars(runs.length, [
    { label: "errors (timeouts included)", values: runs.map((r) => r.result.errors), axis: "y", color: 3 },
    { label: "timeouts", values: runs.map((r) => r.result.timeouts), axis: "y", color: 4 },
    { label: "non-2xx", values: runs.map((r) => r.result.non2xx), axis: "y", color: 5 },
  ]);
  const total = runs.reduce((n, r) => n + r.result.errors + r.result.non2xx, 0);
  return {
    kind: "errors",
    title: "Errors, timeouts and non-2xx answers",
    xLabel: "run",
    ...bars,
    categories: runs.map((r) => runCategory(r, runs)),
    yLabel: "count",
    note: total === 0 ? "none in any run" : `${total.toLocaleString("en-US")} in all`,
  };
}

/** Every chart of the page, in page order. */
export function chartsOf(report: BenchReport): ChartSpec[] {
  const cpu = cpuChart(report);
  const redis = redisChart(report);
  return [
    ...timelineCharts(report),
    ...sweepCharts([
      ...sweeps(report.runs),
      ...sweeps(
        report.runs.filter((r) => r.instances !== undefined),
        "instances",
        (r) => r.instances as number,
      ),
    ]),
    ...(redis ? [redis] : []),
    ...compareCharts(report),
    ...(cpu ? [cpu] : []),
    errorsChart(report),
  ];
}
