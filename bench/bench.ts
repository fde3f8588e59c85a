/**
 * @module The bench run: for each thread count, start the target(s), and for
 * each scenario warm up, snapshot total_visits, load, snapshot again and
 * cross-check; with --compare, alternate A and B round by round.
 */
import { runAutocannon } from "./autocannon-run.js";
import { coreWarnings, readEnvironment } from "./environment.js";
import { openSubscribers } from "./live-subscribers.js";
import { type BenchOptions, compareStore } from "./options.js";
import { type BenchReport, compare, crossCheck, failuresOf, runWarnings, type ScenarioRun } from "./report.js";
import type { RunResult } from "./run-result.js";
import { type Scenario, scenario as scenarioNamed } from "./scenarios.js";
import { externalTarget, startBaseline, startService, type Target, totalVisits } from "./targets.js";
import { runWrk, wrkAvailable } from "./wrk-run.js";
import { runWrkSliced } from "./wrk-slices.js";

export type Progress = (line: string, final?: boolean) => void;

/** Progress on stderr: rewritten in place on a terminal, one line per tick otherwise. */
export const stderrProgress: Progress = (line, final = true) => {
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[2K${line}${final ? "\n" : ""}`);
  else process.stderr.write(`${line}\n`);
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * total_visits once it stops moving: a generator that stops on a timer (the
 * warm-up, wrk) abandons requests the server may still be counting.
 */
async function settledTotal(url: string): Promise<number> {
  let last = await totalVisits(url);
  for (;;) {
    await sleep(150);
    const now = await totalVisits(url);
    if (now === last) return now;
    last = now;
  }
}

export async function runBench(options: BenchOptions, progress: Progress = stderrProgress): Promise<BenchReport> {
  const environment = readEnvironment();
  const wrkInstalled = await wrkAvailable();
  const warnings: string[] = [];
  let generator = options.generator;
  if (generator === "wrk" && !wrkInstalled) {
    warnings.push("wrk is not installed (apt-get install -y wrk): used autocannon instead");
    generator = "autocannon";
  }
  if (generator === "wrk")
    warnings.push(
      options.wrkSlices
        ? "wrk stops on a timer, here once per one-second slice: its cross-check is bounded by the requests in flight at each stop, not exact"
        : "wrk stops on a timer: its cross-check is bounded by the requests in flight, not exact",
    );
  const runs: ScenarioRun[] = [];
  const targets: Record<string, string> = {};
  let labels: [string, string] | undefined;

  for (const threads of options.threads) {
    const againstStore = compareStore(options.compare);
    const primary = options.url
      ? await externalTarget("target", options.url)
      : await startService(
          threads,
          options.store,
          againstStore ? `traffic-tracker (${options.store})` : undefined,
          options.serverArgs,
        );
    let secondary: Target | undefined;
    try {
      if (options.compare) {
        secondary =
          options.compare === "baseline"
            ? await startBaseline(threads)
            : againstStore
              ? await startService(threads, againstStore, `traffic-tracker (${againstStore})`, options.serverArgs)
              : await externalTarget("compare", options.compare);
      }
      labels = secondary ? [primary.label, secondary.label] : undefined;
      targets[primary.label] = `${primary.url}, ${primary.description}`;
      if (secondary) targets[secondary.label] = `${secondary.url}, ${secondary.description}`;
      if (!options.url) {
        for (const w of coreWarnings(environment.cpus, threads, generator, wrkInstalled))
          if (!warnings.includes(w)) warnings.push(w);
      }
      for (const name of options.scenarios) {
        const s = scenarioNamed(name, options.forwardedFor);
        const rounds = secondary ? options.rounds : 1;
        for (let round = 1; round <= rounds; round++) {
          for (const target of secondary ? [primary, secondary] : [primary]) {
            runs.push(await measure(target, s, threads, round, options, generator, progress));
          }
        }
      }
    } finally {
      await Promise.all([primary.stop(), secondary?.stop()]);
    }
  }
  const comparisons = labels ? compare(runs, labels[0], labels[1]) : [];
  warnings.push(...runWarnings(runs, labels !== undefined));
  return {
    environment,
    settings: {
      generator,
      ...(generator === "wrk" && options.perSecond
        ? { "per-second": options.wrkSlices ? "one-second wrk slices" : "answers counted in wrk's request hook" }
        : {}),
      connections: options.connections,
      pipelining: options.pipelining,
      duration: `${options.durationMs / 1000} s`,
      warmup: `${options.warmupMs / 1000} s`,
      threads: options.threads.join(","),
      ...(options.url ? {} : { store: options.store }),
      scenarios: options.scenarios.join(","),
      ...(options.compare ? { compare: options.compare, rounds: options.rounds } : {}),
    },
    targets,
    runs,
    comparisons,
    warnings,
    failures: failuresOf(runs, comparisons, options.minRatio),
  };
}

/** The scenario, with its /live audience connected first when it is `live`. */
async function measure(
  target: Target,
  s: Scenario,
  threads: number,
  round: number,
  o: BenchOptions,
  generator: "autocannon" | "wrk",
  progress: Progress,
): Promise<ScenarioRun> {
  if (s.name !== "live") return measureLoad(target, s, threads, round, o, generator, progress);
  progress(
    `${s.name} · ${target.label}: opening ${o.liveSubscribers.toLocaleString("en-US")} /live subscribers`,
    false,
  );
  const subscribers = await openSubscribers(target.url, o.liveSubscribers);
  try {
    const run = await measureLoad(target, s, threads, round, o, generator, progress);
    const updates = subscribers.received();
    progress(
      `${s.name} · ${target.label}: ${subscribers.count.toLocaleString("en-US")} subscribers received ${updates.toLocaleString("en-US")} updates`,
    );
    return { ...run, liveSubscribers: subscribers.count, liveUpdates: updates };
  } finally {
    await subscribers.close();
  }
}

async function measureLoad(
  target: Target,
  s: Scenario,
  threads: number,
  round: number,
  o: BenchOptions,
  generator: "autocannon" | "wrk",
  progress: Progress,
): Promise<ScenarioRun> {
  const connections = o.connections * s.connectionFactor;
  const base = {
    url: target.url,
    scenario: s,
    connections,
    pipelining: o.pipelining,
    timeoutSeconds: o.timeoutSeconds,
  };
  const what = `${s.name} · ${target.label} · ${threads} thread(s)${round > 1 || o.compare ? ` · round ${round}` : ""}`;
  // Warm up on a timer; its rate sizes the measured run.
  progress(`${what}: warming up for ${o.warmupMs / 1000} s`, false);
  const warm = await runAutocannon({ ...base, durationSeconds: Math.max(1, Math.round(o.warmupMs / 1000)) });
  const rate = Math.max(warm.reqPerSec.mean, warm.reqPerSec.p50);
  if (s.name === "spike") await sleep(1000); // idle, then every connection at once
  const before = target.hasStats ? await settledTotal(target.url) : undefined;
  const cpuBefore = target.cpuMicros();
  let result: RunResult;
  if (generator === "wrk") {
    progress(`${what}: wrk running for ${o.durationMs / 1000} s${o.wrkSlices ? " in one-second slices" : ""}`, false);
    result = o.wrkSlices
      ? await runWrkSliced(target.url, s, connections, o.durationMs / 1000, o.timeoutSeconds)
      : await runWrk(
          target.url,
          s,
          connections,
          o.durationMs / 1000,
          o.timeoutSeconds,
          o.perSecond ? "request" : undefined,
        );
  } else {
    const amount = Math.max(connections * o.pipelining * 10, Math.round((rate * o.durationMs) / 1000));
    result = await runAutocannon({
      ...base,
      amount,
      onTick: (t, rps) =>
        progress(
          `${what}: ${t.toFixed(0)} s / ~${(o.durationMs / 1000).toFixed(0)} s, ${Math.round(rps).toLocaleString("en-US")} req/s`,
          false,
        ),
    });
  }
  const cpuAfter = target.cpuMicros();
  const after = target.hasStats ? await settledTotal(target.url) : undefined;
  const serverCpuMicrosPerRequest =
    cpuBefore === undefined || cpuAfter === undefined
      ? undefined
      : (cpuAfter - cpuBefore) / Math.max(result.requests, 1);
  // Each wrk slice stops on a timer, with up to one request per connection unanswered.
  const stops = result.generator === "wrk" && o.wrkSlices ? (result.samples?.length ?? 1) : 1;
  const check = crossCheck(
    result,
    before === undefined || after === undefined ? undefined : after - before,
    connections * o.pipelining * stops,
  );
  progress(
    `${what}: ${Math.round(result.reqPerSec.mean).toLocaleString("en-US")} req/s, p99 ${result.latency.p99} ms, cross-check ${check.checked ? (check.ok ? "ok" : "FAILED") : "n/a"}`,
  );
  return {
    scenario: s.name,
    description: s.description,
    target: target.label,
    threads,
    round,
    result,
    crossCheck: check,
    ...(serverCpuMicrosPerRequest === undefined ? {} : { serverCpuMicrosPerRequest }),
  };
}
