/**
 * `npm run bench:analytics -- <step> [options]`: the analytics bars of issue
 * #17, on a generated store. Steps (run under `flock /tmp/bench.lock`):
 *
 *   generate  --data-dir D [--visits 10000000]   stored visits over the last 7 days, by SQL (no HTTP),
 *             [--no-fold]                        then folded into the analytics summary tables as the
 *                                                service would in idle time (--no-fold: leave that to it)
 *   latency   --data-dir D [--requests 40]       GET /analytics?timeframe_hours=168: p50 / p99
 *   load      --data-dir D [--duration 10]       POST /visit req/s (wrk) with and without a dashboard
 *             [--rounds 3]                       refreshing /analytics (168 h) every 5 s, side by side
 *   export    --data-dir D [--rows-list 1000000,10000000]   GET /export (Parquet): rows/s and the
 *                                                service's peak RSS per size (must not grow with rows)
 *
 * The service runs from dist/ (npm run build) as its own process, 1 worker thread.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { DuckDBInstance } from "@duckdb/node-api";
import { Command } from "commander";
import { ensureRollupSchema, foldVisits, IDLE_FOLD_ROWS } from "../src/analytics/rollups.js";
import { STORE_FILE, VisitStore } from "../src/store/visit-store.js";

const run = promisify(execFile);
const program = new Command("bench:analytics")
  .argument("<step>", "generate | latency | load | export")
  .requiredOption("--data-dir <dir>", "store directory")
  .option("--visits <n>", "generate: visits", "10000000")
  .option("--requests <n>", "latency: requests", "40")
  .option("--duration <s>", "load: seconds per run", "10")
  .option("--rounds <n>", "load: interleaved rounds (without, with)", "3")
  .option("--rows-list <list>", "export: row counts to export", "1000000,10000000")
  .option("--port <port>", "service port", "18717")
  .option("--no-fold", "generate: leave the summary tables to the service (it folds them in idle time)")
  .parse();
const [step] = program.args as [string];
const o = program.opts<{
  dataDir: string;
  visits: string;
  requests: string;
  duration: string;
  rounds: string;
  rowsList: string;
  port: string;
  fold: boolean;
}>();
/** The machine's load, printed with every figure (the box may be shared). */
const loadAverage = () =>
  `load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(", ")}`;
const base = `http://127.0.0.1:${o.port}`;

async function generate(): Promise<void> {
  (await VisitStore.open(o.dataDir, "bench")).close(); // the service's schema
  const db = await DuckDBInstance.create(join(o.dataDir, STORE_FILE), { threads: "2" });
  const c = await db.connect();
  const n = Number(o.visits);
  const now = Date.now() - 60_000;
  const t0 = performance.now();
  // 200,000 shoppers, 2,000 pages, 300 referrers (a third direct), evenly over the last 7 days.
  await c.run(`INSERT INTO visits SELECT i + 1,
      make_timestamp(${now * 1000}::BIGINT - ((${n} - i) * ${Math.floor((7 * 86400e6 - 120e6) / n)})::BIGINT),
      'user-' || (i * 7919 % 200000), 'https://shop.example/p/' || (i * 104729 % 2000),
      'Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0', NULL,
      CASE WHEN i % 3 = 0 THEN NULL ELSE 'https://ref' || (i * 31 % 300) || '.example/' END
    FROM range(${n}) t(i)`);
  await c.run("CHECKPOINT");
  console.log(`generated ${n} visits in ${((performance.now() - t0) / 1000).toFixed(1)} s (${loadAverage()})`);
  if (o.fold) {
    // The service's own fold, in its idle-time slices: a store it had served would have these tables.
    const t1 = performance.now();
    await ensureRollupSchema(c);
    while ((await foldVisits(c, IDLE_FOLD_ROWS)) > 0) {}
    await c.run("CHECKPOINT");
    console.log(
      `folded into the analytics summary tables in ${((performance.now() - t1) / 1000).toFixed(1)} s (${loadAverage()})`,
    );
  }
  c.closeSync();
  db.closeSync();
}

async function startService(): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    ["dist/src/cli.js", "--data-dir", o.dataDir, "--port", o.port, "--host", "127.0.0.1", "--n-workers", "1"],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      if ((await fetch(`${base}/ready`)).status === 200) return child;
    } catch {}
    if (Date.now() > deadline) throw new Error("service did not become ready");
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function stopService(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await exited;
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;

async function timedAnalytics(): Promise<number> {
  const t0 = performance.now();
  const reply = await fetch(`${base}/analytics?timeframe_hours=168`);
  const body = (await reply.json()) as { visits?: number };
  if (reply.status !== 200) throw new Error(`/analytics answered ${reply.status}: ${JSON.stringify(body)}`);
  return performance.now() - t0;
}

async function latency(): Promise<void> {
  const child = await startService();
  try {
    // Warm-up: the first query reads the file; after a big import (a `load` run's journal) the service
    // folds the new rows in the background first. Measured once the answers are quick, at most 60 s on.
    const first = await timedAnalytics();
    const warmStart = performance.now();
    let warm = first;
    while (warm > 1000 && performance.now() - warmStart < 60_000) warm = await timedAnalytics();
    console.log(
      `first /analytics 168 h after the start: ${first.toFixed(0)} ms; warm (< 1 s) after ${((performance.now() - warmStart) / 1000).toFixed(1)} s more`,
    );
    const times: number[] = [];
    for (let i = 0; i < Number(o.requests); i++) times.push(await timedAnalytics());
    times.sort((a, b) => a - b);
    const [p50, p99] = [percentile(times, 50), percentile(times, 99)];
    console.log(
      `/analytics 168 h, ${times.length} sequential requests: p50 ${p50.toFixed(0)} ms, p99 ${p99.toFixed(0)} ms, max ${(times.at(-1) as number).toFixed(0)} ms (${loadAverage()})`,
    );
    console.log(`bar p50 ≤ 500 ms, p99 ≤ 2000 ms: ${p50 <= 500 && p99 <= 2000 ? "met" : "NOT met"}`);
  } finally {
    await stopService(child);
  }
}

async function wrk(seconds: number): Promise<number> {
  const script = join(tmpdir(), "bench-analytics-visit.lua");
  writeFileSync(
    script,
    `wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\nwrk.body = '{"user_id":"bench","page_url":"https://shop.example/p/1","referrer":"https://ref.example/"}'\n`,
  );
  const { stdout } = await run("wrk", ["-t1", "-c64", `-d${seconds}s`, "-s", script, `${base}/visit`]);
  const rps = /Requests\/sec:\s+([0-9.]+)/.exec(stdout)?.[1];
  if (/Non-2xx/.test(stdout)) throw new Error(`non-2xx answers:\n${stdout}`);
  return Number(rps);
}

async function load(): Promise<void> {
  const child = await startService();
  try {
    const seconds = Number(o.duration);
    await wrk(3); // warm-up
    const rounds: Array<{ without: number; with: number; queries: number[] }> = [];
    for (let round = 0; round < Number(o.rounds); round++) {
      const without = await wrk(seconds);
      const queries: number[] = [];
      let stop = false;
      const dashboard = (async () => {
        while (!stop) {
          queries.push(await timedAnalytics());
          for (let waited = 0; waited < 5000 && !stop; waited += 100) await new Promise((r) => setTimeout(r, 100));
        }
      })();
      const withDashboard = await wrk(seconds);
      stop = true;
      await dashboard;
      rounds.push({ without, with: withDashboard, queries });
      console.log(
        `round ${round + 1}: POST /visit ${without.toFixed(0)} req/s without, ${withDashboard.toFixed(0)} with the dashboard (ratio ${(withDashboard / without).toFixed(3)}; its /analytics took ${queries.map((q) => q.toFixed(0)).join(", ")} ms) (${loadAverage()})`,
      );
    }
    const sum = (k: "without" | "with") => rounds.reduce((n, r) => n + r[k], 0);
    const ratio = sum("with") / sum("without");
    const ratios = rounds.map((r) => r.with / r.without).sort((a, b) => a - b);
    const median = ratios[Math.floor(ratios.length / 2)] as number;
    console.log(
      `overall ratio ${ratio.toFixed(3)}, median of rounds ${median.toFixed(3)} (bar ≥ 0.9: ${ratio >= 0.9 ? "met" : "NOT met"})`,
    );
  } finally {
    await stopService(child);
  }
}

function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) : 0;
}

async function exportRun(): Promise<void> {
  const sizes = o.rowsList.split(",").map(Number);
  const bounds = await timesOf(sizes.map((rows) => rows + 1)); // `to`: the time of the first visit left out
  // A fresh service per size: the peak is then this export's, not an earlier one's.
  for (const [i, rows] of sizes.entries()) {
    const to = bounds[i];
    const child = await startService();
    try {
      const pid = child.pid as number;
      const baseline = rssKiB(pid);
      let peak = baseline;
      const sampler = setInterval(() => {
        peak = Math.max(peak, rssKiB(pid));
      }, 50);
      const t0 = performance.now();
      const reply = await fetch(`${base}/export?format=parquet${to ? `&to=${encodeURIComponent(to)}` : ""}`);
      if (reply.status !== 200) throw new Error(`/export answered ${reply.status}`);
      let bytes = 0;
      for await (const chunk of reply.body as unknown as AsyncIterable<Uint8Array>) bytes += chunk.byteLength;
      const seconds = (performance.now() - t0) / 1000;
      clearInterval(sampler);
      console.log(
        `export ${rows} rows to Parquet: ${seconds.toFixed(1)} s, ${(rows / seconds).toFixed(0)} rows/s, ${(bytes / 1e6).toFixed(0)} MB; service RSS ${(baseline / 1024).toFixed(0)} MiB before, peak ${(peak / 1024).toFixed(0)} MiB`,
      );
    } finally {
      await stopService(child);
    }
  }
}

/** ISO times of the given visit_counts (undefined past the last), read before the service holds the store. */
async function timesOf(counts: number[]): Promise<Array<string | undefined>> {
  const db = await DuckDBInstance.create(join(o.dataDir, STORE_FILE), { access_mode: "READ_ONLY" });
  const c = await db.connect();
  const out: Array<string | undefined> = [];
  for (const count of counts) {
    const row = (
      await c.runAndReadAll(`SELECT strftime(ts, '%Y-%m-%dT%H:%M:%S.%gZ') FROM visits WHERE visit_count = ${count}`)
    ).getRowsJS()[0];
    out.push(row ? String(row[0]) : undefined);
  }
  c.closeSync();
  db.closeSync();
  return out;
}

if (step === "generate") await generate();
else if (step === "latency") await latency();
else if (step === "load") await load();
else if (step === "export") await exportRun();
else throw new Error(`unknown step ${step}`);
