/**
 * @module `npm run bench -- --cluster N`: Redis plus N instances in cluster
 * mode, load spread over all of them (one wrk per instance), then the same at
 * a fixed low rate, then idle. Reports req/s next to Redis commands per second
 * (from INFO commandstats: the FCALLs instances send, and every command
 * including those run inside the functions: the figure the < 50 per instance
 * bar counts) and Redis CPU, the staleness of one instance's /stats seen from
 * another (p50/p99), and exact totals after.
 * With --overhead-rounds R: one instance with --redis against one without,
 * alternating, for the hot path's cost.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import autocannon from "autocannon";
import { Command, Option } from "commander";
import { scenario } from "./scenarios.js";
import { processCpuMicros, startService, type Target, totalVisits } from "./targets.js";
import { runWrk } from "./wrk-run.js";

interface ClusterBenchOptions {
  instances: number;
  threads: number;
  durationSeconds: number;
  connections: number;
  lowRate: number;
  overheadRounds: number;
}

export function parseClusterArgs(argv: readonly string[]): ClusterBenchOptions {
  const o = new Command()
    .name("npm run bench -- --cluster")
    .exitOverride()
    .addOption(new Option("--cluster <n>", "instances sharing one Redis").default("2"))
    .addOption(new Option("-t, --threads <n>", "worker threads per instance").default("1"))
    .addOption(new Option("-d, --duration <seconds>", "seconds per phase").default("5"))
    .addOption(new Option("-c, --connections <n>", "wrk connections per instance").default("32"))
    .addOption(new Option("--low-rate <visits/s>", "total rate of the fixed-rate phase").default("2000"))
    .addOption(
      new Option("--overhead-rounds <n>", "rounds of one instance with --redis vs without (0: skip)").default("3"),
    )
    .parse(["node", "bench", ...argv])
    .opts<Record<string, string>>();
  const whole = (name: string, min: number) => {
    const v = Number(o[name]);
    if (!Number.isInteger(v) || v < min) throw new Error(`--${name} must be a whole number ≥ ${min}`);
    return v;
  };
  return {
    instances: whole("cluster", 1),
    threads: whole("threads", 1),
    durationSeconds: whole("duration", 1),
    connections: whole("connections", 1),
    lowRate: whole("lowRate", 1),
    overheadRounds: whole("overheadRounds", 0),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function freePort(): Promise<number> {
  const server = createServer().listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  server.close();
  return typeof address === "object" && address ? address.port : 0;
}

/** A throw-away redis-server (AOF on, fsync every second), stopped by PID. */
async function startRedis() {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "bench-redis-"));
  const child: ChildProcess = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--dir", dir, "--appendonly", "yes", "--save", ""],
    { stdio: "ignore" },
  );
  const cli = async (...args: string[]) =>
    new Promise<string>((resolve, reject) => {
      const c = spawn("redis-cli", ["-p", String(port), ...args]);
      let out = "";
      c.stdout.on("data", (d) => (out += d));
      c.on("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`redis-cli ${args.join(" ")}: ${code}`))));
    });
  for (let i = 0; ; i++) {
    if ((await cli("PING").catch(() => "")).trim() === "PONG") break;
    if (i > 100) throw new Error("redis-server did not start");
    await sleep(50);
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    cli,
    cpuMicros: () => processCpuMicros(child.pid),
    async stop() {
      const exited = once(child, "exit");
      child.kill("SIGKILL");
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Calls per command from INFO commandstats. */
async function commandCalls(cli: (...args: string[]) => Promise<string>): Promise<Map<string, number>> {
  const calls = new Map<string, number>();
  for (const m of (await cli("INFO", "commandstats")).matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    calls.set(m[1] as string, Number(m[2]));
  }
  return calls;
}

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0
    ? Number.NaN
    : (sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number);
}

/**
 * How long after A shows a total B shows it too, sampled while the load runs.
 * Only meaningful with the load on A alone: visits B counts itself would
 * raise B's total past A's before A's visits arrive.
 */
async function staleness(a: Target, b: Target, running: () => boolean): Promise<number[]> {
  const samples: number[] = [];
  while (running()) {
    const t0 = performance.now();
    const seenOnA = await totalVisits(a.url);
    while ((await totalVisits(b.url)) < seenOnA && performance.now() - t0 < 5000) await sleep(5);
    samples.push(performance.now() - t0);
    await sleep(100);
  }
  return samples.sort((x, y) => x - y);
}

interface Phase {
  phase: string;
  /** Answers counted, and the phase's length in seconds (the instance sweep's report carries them). */
  requests: number;
  seconds: number;
  reqPerSec: number;
  /** Answers other than 2xx (503: an instance out of numbers). */
  non2xx: number;
  redisCommandsPerSec: number;
  fcallsPerSec: number;
  perInstance: number;
  fcallsPerInstance: number;
  redisCpuPercent: number;
  /** true in the phase that polled instance 2's /stats while wrk loaded instance 1 only (the other phases' staleness is NaN). */
  stalenessProbed: boolean;
  stalenessP50Ms: number;
  stalenessP99Ms: number;
  samples: number;
}

async function phase(
  name: string,
  instances: Target[],
  redis: Awaited<ReturnType<typeof startRedis>>,
  o: ClusterBenchOptions,
  load: () => Promise<{ requests: number; non2xx: number }>,
  probeStaleness = false,
): Promise<Phase> {
  const before = await commandCalls(redis.cli);
  const cpu0 = redis.cpuMicros() ?? 0;
  const t0 = performance.now();
  let running = true;
  const probed = probeStaleness && instances.length >= 2;
  const probe = probed ? staleness(instances[0] as Target, instances[1] as Target, () => running) : Promise.resolve([]);
  const { requests, non2xx } = await load();
  running = false;
  const elapsed = (performance.now() - t0) / 1000;
  const samples = await probe;
  const after = await commandCalls(redis.cli);
  const cpu1 = redis.cpuMicros() ?? 0;
  let all = 0;
  for (const [cmd, n] of after) if (cmd !== "info") all += n - (before.get(cmd) ?? 0);
  const fcalls = (after.get("fcall") ?? 0) - (before.get("fcall") ?? 0);
  return {
    phase: name,
    requests,
    seconds: elapsed,
    reqPerSec: requests / elapsed,
    non2xx,
    redisCommandsPerSec: all / elapsed,
    fcallsPerSec: fcalls / elapsed,
    perInstance: all / elapsed / o.instances,
    fcallsPerInstance: fcalls / elapsed / o.instances,
    redisCpuPercent: ((cpu1 - cpu0) / 1e6 / elapsed) * 100,
    stalenessProbed: probed,
    stalenessP50Ms: percentile(samples, 0.5),
    stalenessP99Ms: percentile(samples, 0.99),
    samples: samples.length,
  };
}

export async function runClusterBench(o: ClusterBenchOptions, log: (line: string) => void) {
  const redis = await startRedis();
  const instances: Target[] = [];
  const phases: Phase[] = [];
  let overhead: { withRedis: number[]; without: number[]; ratio: number } | undefined;
  let exact = true;
  try {
    for (let i = 0; i < o.instances; i++) {
      instances.push(
        await startService(o.threads, "memory", `instance ${i + 1}`, [
          "--redis",
          redis.url,
          "--node-id",
          `bench-${i + 1}`,
          "--cluster-key",
          "bench",
        ]),
      );
    }
    const visit = scenario("visit");
    log(`full rate: one wrk per instance, ${o.connections} connections each, ${o.durationSeconds} s`);
    phases.push(
      await phase("full rate (wrk)", instances, redis, o, async () => {
        const runs = await Promise.all(
          instances.map((t) => runWrk(t.url, visit, o.connections, o.durationSeconds, 10)),
        );
        return {
          requests: runs.reduce((sum, r) => sum + r.requests, 0),
          non2xx: runs.reduce((sum, r) => sum + r.non2xx + r.errors, 0),
        };
      }),
    );
    log(`fixed rate: ${o.lowRate} visits/s in total (autocannon), ${o.durationSeconds} s`);
    phases.push(
      await phase(`${o.lowRate}/s (autocannon)`, instances, redis, o, async () => {
        const runs = await Promise.all(
          instances.map((t) =>
            autocannon({
              url: `${t.url}/visit`,
              method: "POST",
              headers: { "content-type": "application/json" },
              body: JSON.stringify({ user_id: "u", page_url: "/bench" }),
              connections: 4,
              overallRate: Math.max(1, Math.round(o.lowRate / o.instances)),
              duration: o.durationSeconds,
            }),
          ),
        );
        return {
          requests: runs.reduce((sum, r) => sum + r.requests.total, 0),
          non2xx: runs.reduce((sum, r) => sum + r.non2xx + r.errors, 0),
        };
      }),
    );
    log(`staleness: wrk on instance 1 only, /stats of instance 2 polled, ${o.durationSeconds} s`);
    if (instances.length >= 2) {
      phases.push(
        await phase(
          "instance 1 only (wrk), staleness on 2",
          instances,
          redis,
          o,
          async () => {
            const run = await runWrk((instances[0] as Target).url, visit, o.connections, o.durationSeconds, 10);
            return { requests: run.requests, non2xx: run.non2xx + run.errors };
          },
          true,
        ),
      );
    }
    log(`idle: no visits, ${o.durationSeconds} s`);
    phases.push(
      await phase("idle", instances, redis, o, async () => {
        await sleep(o.durationSeconds * 1000);
        return { requests: 0, non2xx: 0 };
      }),
    );
    // Exact totals: every instance and Redis agree once the load stops.
    const totals = await Promise.all(instances.map((t) => totalVisits(t.url)));
    const inRedis = Number((await redis.cli("GET", "{bench}:total")).trim());
    exact = totals.every((t) => t === inRedis);
    log(`totals after the load: instances ${totals.join(", ")}, Redis ${inRedis}: ${exact ? "equal" : "DIFFER"}`);
  } finally {
    await Promise.all(instances.map((t) => t.stop()));
  }
  try {
    if (o.overheadRounds > 0) {
      log(`hot path: one instance with --redis vs without, ${o.overheadRounds} rounds, wrk ${o.durationSeconds} s`);
      const withRedis = await startService(o.threads, "memory", "with --redis", [
        "--redis",
        redis.url,
        "--node-id",
        "solo",
        "--cluster-key",
        "solo",
      ]);
      const without = await startService(o.threads, "memory", "without");
      try {
        const visit = scenario("visit");
        const a: number[] = [];
        const b: number[] = [];
        for (let r = 0; r < o.overheadRounds; r++) {
          a.push((await runWrk(withRedis.url, visit, o.connections, o.durationSeconds, 10)).reqPerSec.mean);
          b.push((await runWrk(without.url, visit, o.connections, o.durationSeconds, 10)).reqPerSec.mean);
          log(
            `round ${r + 1}: with --redis ${Math.round(a[r] as number)} req/s, without ${Math.round(b[r] as number)} req/s`,
          );
        }
        const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
        overhead = { withRedis: a, without: b, ratio: mean(a) / mean(b) };
      } finally {
        await Promise.all([withRedis.stop(), without.stop()]);
      }
    }
  } finally {
    await redis.stop();
  }
  return { options: o, phases, exact, overhead };
}

export function renderClusterReport(report: Awaited<ReturnType<typeof runClusterBench>>): string {
  const r = (x: number) => (Number.isNaN(x) ? "n/a" : Math.round(x).toLocaleString("en-US"));
  const lines = [
    `Cluster bench: ${report.options.instances} instance(s) × ${report.options.threads} thread(s), one Redis (AOF, everysec)`,
    "",
    "| phase | req/s | non-2xx | Redis cmds/s (all) | per instance | FCALL/s per instance | Redis CPU | staleness p50 / p99 (ms) |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...report.phases.map(
      (p) =>
        `| ${p.phase} | ${r(p.reqPerSec)} | ${r(p.non2xx)} | ${r(p.redisCommandsPerSec)} | ${r(p.perInstance)} | ${p.fcallsPerInstance.toFixed(1)} | ${p.redisCpuPercent.toFixed(1)} % | ${r(p.stalenessP50Ms)} / ${r(p.stalenessP99Ms)} (${p.samples} samples) |`,
    ),
    "",
    `Totals equal on every instance and in Redis after the load: ${report.exact ? "yes" : "NO"}`,
  ];
  if (report.overhead) {
    lines.push(
      `One instance with --redis vs without (POST /visit, wrk, alternating rounds): ${report.overhead.withRedis.map(r).join(", ")} vs ${report.overhead.without.map(r).join(", ")} req/s, ratio ${report.overhead.ratio.toFixed(3)}`,
    );
  }
  return `${lines.join("\n")}\n`;
}
