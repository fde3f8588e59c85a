#!/usr/bin/env node
/**
 * @module The `traffic-tracker` command: parse options (commander), start the
 * service, stop it gracefully on SIGINT/SIGTERM. `parseArgs` is exported so
 * tests never need to spawn the CLI.
 */
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Command, CommanderError, Option } from "commander";
import {
  type Config,
  ConfigError,
  defaults,
  IN_MEMORY,
  MAX_WORKERS,
  type RawOptions,
  resolveConfig,
} from "./config/options.js";
import { createLogger } from "./log.js";
import { watchForReload } from "./server/dev-reload.js";
import { startService } from "./server/service.js";
import { packageVersion } from "./version.js";

const EXAMPLES = `
Environment:
  PORT, HOST, N_WORKERS      defaults for --port, --host, --n-workers (flags win)
  DATA_DIR, DURABILITY       defaults for --data-dir, --durability

Examples:
  $ traffic-tracker                               # 0.0.0.0:8080, one thread per core
  $ traffic-tracker --port 9000 --n-workers 4
  $ traffic-tracker --host 127.0.0.1 --threads 2
  $ traffic-tracker --cors-origin https://shop.example,https://www.shop.example
  $ traffic-tracker --data-dir /var/lib/traffic-tracker --durability strict
  $ traffic-tracker --no-persist                  # demo: counts live in memory only
  $ PORT=9000 npm start
  $ npm run dev                                   # --dev: one thread, reloads on change
`;

/** Thrown for --help/--version: print `output`, exit 0. */
export class HelpRequested extends Error {
  readonly output: string;
  constructor(output: string) {
    super("help");
    this.output = output;
  }
}

function buildProgram(): Command {
  return new Command("traffic-tracker")
    .description("Counts shopper visits during promotions; POST /visit, GET /stats, GET /health.")
    .version(packageVersion(), "-v, --version")
    .addOption(
      new Option(
        "-n, --n-workers <n>",
        `worker threads, 1-${MAX_WORKERS} (default: ${defaults.nWorkers}, the available parallelism; 1 with --dev)`,
      ),
    )
    .addOption(new Option("-t, --threads <n>", "alias of --n-workers"))
    .addOption(new Option("-p, --port <port>", `port to listen on, 0 picks a free one (default: ${defaults.port})`))
    .addOption(new Option("-H, --host <host>", `address to listen on (default: ${defaults.host})`))
    .addOption(
      new Option("--cors-origin <origins>", 'comma-separated origins browsers may call from, or * (default: "*")'),
    )
    .addOption(new Option("--dev", "development: reload workers when src/ changes, readable logs, 1 worker"))
    .addOption(
      new Option(
        "--access-log [rate]",
        `log a sample of requests as JSON lines (default rate when given: ${defaults.accessLogSampleRate}); off by default`,
      ),
    )
    .addOption(
      new Option(
        "-d, --data-dir <dir>",
        `where visits are stored (DuckDB), ${IN_MEMORY} for memory only (default: "${defaults.dataDir}")`,
      ),
    )
    .addOption(new Option("--no-persist", `keep counts in memory only, same as --data-dir ${IN_MEMORY}`))
    .addOption(
      new Option(
        "--durability <mode>",
        "batch: answer once queued, commit every 10 ms; strict: answer once committed (default: batch)",
      ),
    )
    .addOption(new Option("--trust-proxy", "record the first X-Forwarded-For hop as the client address"))
    .addOption(
      new Option(
        "--ring-kib <KiB>",
        `per-thread queue to the store, a power of two; full: 503 (default: ${defaults.ringKiB})`,
      ),
    )
    .addOption(
      new Option(
        "--store-retry-seconds <s>",
        `how long a failing store is retried, visits refused, before the service stops (default: ${defaults.storeRetrySeconds})`,
      ),
    )
    .addOption(
      new Option(
        "--journal-defer-mib <MiB>",
        `journal backlog up to which DuckDB imports wait for idle CPU; 0: import every second (default: ${defaults.journalDeferMiB})`,
      ),
    )
    .addOption(
      new Option(
        "--live-max-connections <n>",
        `GET /live WebSocket connections per thread; more get 503 (default: ${defaults.liveMaxConnections})`,
      ),
    )
    .addOption(
      new Option(
        "--live-idle-seconds <s>",
        `close a /live connection silent this long, 8-960 (default: ${defaults.liveIdleSeconds})`,
      ),
    )
    .addOption(
      new Option(
        "--live-backpressure-kib <KiB>",
        `drop a /live client once this much waits for it (default: ${defaults.liveBackpressureKiB})`,
      ),
    )
    .addHelpText("after", EXAMPLES)
    .exitOverride()
    .configureOutput({ writeOut: () => {}, writeErr: () => {} })
    .allowExcessArguments(false);
}

/** argv without the node and script entries; env for PORT, HOST, N_WORKERS. */
export function parseArgs(argv: readonly string[], env: NodeJS.ProcessEnv = {}): Config {
  const program = buildProgram();
  let captured = "";
  program.configureOutput({ writeOut: (s) => (captured += s), writeErr: () => {} });
  try {
    program.parse([...argv], { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === "commander.helpDisplayed" || error.code === "commander.version")
        throw new HelpRequested(captured);
      throw new ConfigError(error.message.replace(/^error: /, ""));
    }
    throw error;
  }
  const o = program.opts<{
    nWorkers?: string;
    threads?: string;
    port?: string;
    host?: string;
    corsOrigin?: string;
    dev?: boolean;
    accessLog?: string | true;
    dataDir?: string;
    persist?: boolean;
    durability?: string;
    trustProxy?: boolean;
    ringKib?: string;
    storeRetrySeconds?: string;
    journalDeferMib?: string;
    liveMaxConnections?: string;
    liveIdleSeconds?: string;
    liveBackpressureKib?: string;
  }>();
  if (o.nWorkers !== undefined && o.threads !== undefined && o.nWorkers !== o.threads) {
    throw new ConfigError(`--n-workers ${o.nWorkers} and --threads ${o.threads} disagree: give one of them`);
  }
  const pick = (flag: string, value: string | undefined, envName: string) =>
    value !== undefined
      ? { text: value, from: flag }
      : env[envName] !== undefined
        ? { text: env[envName] as string, from: envName }
        : undefined;
  const flag = (name: string, value: string | undefined) =>
    value !== undefined ? { text: value, from: name } : undefined;
  const raw: RawOptions = {
    nWorkers: pick(o.threads !== undefined ? "--threads" : "--n-workers", o.nWorkers ?? o.threads, "N_WORKERS"),
    port: pick("--port", o.port, "PORT"),
    host: pick("--host", o.host, "HOST"),
    corsOrigins: o.corsOrigin !== undefined ? { text: o.corsOrigin, from: "--cors-origin" } : undefined,
    dev: o.dev === true,
    ...(o.accessLog !== undefined ? { accessLog: { text: o.accessLog, from: "--access-log" } } : {}),
    dataDir: pick("--data-dir", o.dataDir, "DATA_DIR"),
    noPersist: o.persist === false,
    durability: pick("--durability", o.durability, "DURABILITY"),
    trustProxy: o.trustProxy === true,
    ringKiB: o.ringKib !== undefined ? { text: o.ringKib, from: "--ring-kib" } : undefined,
    journalDeferMiB: flag("--journal-defer-mib", o.journalDeferMib),
    liveMaxConnections: flag("--live-max-connections", o.liveMaxConnections),
    liveIdleSeconds: flag("--live-idle-seconds", o.liveIdleSeconds),
    liveBackpressureKiB: flag("--live-backpressure-kib", o.liveBackpressureKib),
    storeRetrySeconds:
      o.storeRetrySeconds !== undefined ? { text: o.storeRetrySeconds, from: "--store-retry-seconds" } : undefined,
  };
  return resolveConfig(raw);
}

export async function main(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<void> {
  let config: Config;
  try {
    config = parseArgs(argv, env);
  } catch (error) {
    if (error instanceof HelpRequested) {
      process.stdout.write(error.output);
      return;
    }
    if (error instanceof ConfigError) {
      process.stderr.write(`traffic-tracker: ${error.message}\n(see traffic-tracker --help)\n`);
      process.exitCode = 2;
      return;
    }
    throw error;
  }
  const log = createLogger(config.dev ? "pretty" : "json");
  let service: Awaited<ReturnType<typeof startService>>;
  try {
    const workerEntry = config.dev ? new URL("./server/worker.ts", sourceDir()) : undefined;
    service = await startService(config, {
      log,
      ...(workerEntry ? { workerEntry } : {}),
      // The store gave up: the service is stopping by itself; say so in the exit status.
      onFatal: (message) => {
        process.stderr.write(`traffic-tracker: stopping: ${message}\n`);
        process.exitCode = 1;
      },
    });
  } catch (error) {
    process.stderr.write(`traffic-tracker: cannot start: ${(error as Error).message}\n`);
    process.exitCode = 1;
    return;
  }
  log.info(`traffic-tracker ${service.version} listening on ${service.url}`, {
    host: config.host,
    port: service.port,
    threads: config.nWorkers,
    uws: `${service.uwsBuild.package} (native ${service.uwsBuild.binary})`,
    docs: `${service.url}/docs`,
    node: process.version,
    dev: config.dev,
  });
  const stopWatching = config.dev ? watchForReload(sourceDir(), service.supervisor, log) : () => {};
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    if (++signals > 1) {
      log.warn(`${signal} again: still draining connections (idle keep-alive connections close within ~10 s)`);
      return;
    }
    log.info(`${signal}: shutting down, finishing in-flight requests`);
    stopWatching();
    const started = performance.now();
    service.stop().then(() => {
      log.info("stopped", {
        total_visits: Number(Atomics.load(service.counters.total, 0)),
        ms: Math.round(performance.now() - started),
      });
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      // No process.exit(): with uWS threads that can abort. Nothing is left, so Node exits 0.
    });
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
}

/** src/ of this checkout, for --dev (which runs the TypeScript source, even from a build). */
function sourceDir(): URL {
  const here = import.meta.url;
  return here.includes("/dist/src/") ? new URL(here.replace(/\/dist\/src\/.*$/, "/src/")) : new URL("./", here);
}

const invokedDirectly = (() => {
  try {
    return realpathSync(process.argv[1] ?? "") === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
})();
if (invokedDirectly) await main(process.argv.slice(2), process.env);
