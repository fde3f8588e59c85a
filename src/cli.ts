#!/usr/bin/env node
/**
 * @module The `traffic-tracker` command: parse options (`config/parse-args.ts`),
 * start the service, stop it gracefully on SIGINT/SIGTERM. `parseArgs` and
 * `main` are exported so tests never need to spawn the CLI.
 */
import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { exportMain } from "./analytics/export-command.js";
import type { Config } from "./config/options.js";
import { HelpRequested, parseArgs } from "./config/parse-args.js";
import { ConfigError } from "./config/parsers.js";
import { createLogger } from "./log.js";
import { watchForReload } from "./server/dev-reload.js";
import { startService } from "./server/service.js";

export { HelpRequested, parseArgs };

export async function main(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<void> {
  if (argv[0] === "export") return exportMain(argv.slice(1), env);
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
