/**
 * @module The servers a bench run measures: traffic-tracker started from its
 * build (dist/, as in production) on a free port, the bare uWS baseline, or
 * any URL. Each is ready once /health answers 200.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { StoreMode } from "./options.js";

export interface Target {
  readonly label: string;
  readonly url: string;
  /** What it runs (uWS build, threads), for the report. */
  readonly description: string;
  /** Whether it serves traffic-tracker's /stats (and so can be cross-checked). */
  readonly hasStats: boolean;
  /** CPU time the server process has used, in µs (Linux, servers we start); undefined otherwise. */
  cpuMicros(): number | undefined;
  stop(): Promise<void>;
}

const root = new URL("..", import.meta.url);

async function startProcess(label: string, args: string[], hasStats: boolean): Promise<Target> {
  const child = spawn(process.execPath, args, { cwd: fileURLToPath(root), stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (c) => (stderr += c));
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const exited = once(child, "exit").then(([code]) => {
    throw new Error(`${label} exited (${code}) before it was ready: ${stderr.trim()}`);
  });
  const ready = (async () => {
    for await (const line of lines) {
      const event = JSON.parse(line) as { port?: number; uws?: string; threads?: number };
      if (event.port) return event;
    }
    throw new Error(`${label} printed no port`);
  })();
  const event = await Promise.race([ready, exited]);
  lines.close();
  child.stdout?.resume();
  const url = `http://127.0.0.1:${event.port}`;
  await waitHealthy(url);
  return {
    label,
    url,
    description: `${event.threads} thread(s)${event.uws ? `, ${event.uws}` : ""}`,
    hasStats,
    cpuMicros: () => processCpuMicros(child.pid),
    stop: () => stopChild(child),
  };
}

let clockTicks: number | undefined;

/**
 * utime + stime of a process from /proc, in µs. CPU per request is steadier
 * than req/s on a shared, noisy box: it does not move when a neighbour steals time.
 */
export function processCpuMicros(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    clockTicks ??= Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / clockTicks;
  } catch {
    return undefined;
  }
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exit = once(child, "exit");
  child.kill("SIGTERM");
  await exit;
}

/**
 * The built service (npm run bench builds it first); from source under tsx if
 * there is no build. A persistent store gets a fresh temporary --data-dir,
 * removed when the target stops.
 */
export async function startService(
  threads: number,
  store: StoreMode,
  label = "traffic-tracker",
  extraArgs: readonly string[] = [],
): Promise<Target> {
  const built = new URL("dist/src/cli.js", root);
  const entry = existsSync(built)
    ? [fileURLToPath(built)]
    : ["--import", "tsx", fileURLToPath(new URL("src/cli.ts", root))];
  const dataDir = store === "memory" ? undefined : mkdtempSync(join(tmpdir(), "traffic-tracker-bench-"));
  const storeArgs = dataDir ? ["--data-dir", dataDir, "--durability", store] : ["--no-persist"];
  try {
    const target = await startProcess(
      label,
      [...entry, "--host", "127.0.0.1", "--port", "0", "--n-workers", String(threads), ...storeArgs, ...extraArgs],
      true,
    );
    return {
      ...target,
      description: `${target.description}, store: ${store}${dataDir ? ` in ${dataDir}` : ""}${extraArgs.length > 0 ? `, ${extraArgs.join(" ")}` : ""}`,
      stop: async () => {
        await target.stop();
        if (dataDir) rmSync(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
}

export function startBaseline(threads: number): Promise<Target> {
  const script = fileURLToPath(new URL("bench/baseline-server.ts", root));
  return startProcess("bare uWS baseline", ["--import", "tsx", script, "--threads", String(threads)], false);
}

export async function externalTarget(label: string, url: string): Promise<Target> {
  await waitHealthy(url);
  let hasStats = false;
  try {
    const body = (await (await fetch(new URL("/stats", url))).json()) as { total_visits?: unknown };
    hasStats = typeof body.total_visits === "number";
  } catch {}
  return { label, url, description: "external", hasStats, cpuMicros: () => undefined, stop: async () => {} };
}

/** Polls /health until 200 (10 s at most). */
export async function waitHealthy(url: string, timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let last = "";
  while (performance.now() < deadline) {
    try {
      const res = await fetch(new URL("/health", url));
      if (res.status === 200) return;
      last = `status ${res.status}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url}/health did not answer 200 within ${timeoutMs / 1000} s (${last})`);
}

/** total_visits from /stats. */
export async function totalVisits(url: string): Promise<number> {
  const body = (await (await fetch(new URL("/stats", url))).json()) as { total_visits: number };
  return body.total_visits;
}
