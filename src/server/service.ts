/**
 * @module Starts and stops the whole service: shared counters, sealer,
 * worker threads. The CLI calls this; so do the integration tests.
 */

import type { Config } from "../config/options.js";
import { type Clock, type SharedManualClock, systemClock } from "../counters/clock.js";
import { createCounters, H_STATE, type SharedCounters, STATE_DRAINING, STATE_RUNNING } from "../counters/layout.js";
import { Sealer } from "../counters/sealer.js";
import { createLogger, type Logger } from "../log.js";
import { packageVersion } from "../version.js";
import { probePort } from "./port-probe.js";
import { siblingModule } from "./spawn-worker.js";
import { Supervisor } from "./supervisor.js";
import { loadUws, type UwsBuild } from "./uws.js";

/** How often the sealer folds finished seconds (a second is sealed within ~2.25 s). */
export const SEAL_INTERVAL_MS = 250;

export interface ServiceExtras {
  readonly log?: Logger;
  /** Tests: a clock every thread shares and the test moves. */
  readonly clock?: SharedManualClock;
  /** Tests: allow Supervisor.injectFault(). */
  readonly allowFaultInjection?: boolean;
  /** Worker module to run (dev mode points it at the TypeScript source). */
  readonly workerEntry?: URL;
}

export interface Service {
  readonly port: number;
  readonly url: string;
  readonly counters: SharedCounters;
  readonly supervisor: Supervisor;
  readonly uwsBuild: UwsBuild;
  readonly version: string;
  /** Stops accepting, finishes in-flight requests, resolves when every worker has exited. */
  stop(): Promise<void>;
}

export async function startService(config: Config, extras: ServiceExtras = {}): Promise<Service> {
  const log = extras.log ?? createLogger(config.dev ? "pretty" : "json");
  const { build } = loadUws(); // fail here, with the reason, before any thread starts
  const port = await probePort(config.host, config.port);
  const clock: Clock = extras.clock ?? systemClock;
  const counters = createCounters(clock.nowMs());
  const sealer = new Sealer(counters, clock);
  const sealTimer = setInterval(() => sealer.tick(), SEAL_INTERVAL_MS);
  const version = packageVersion();
  const supervisor = new Supervisor({
    entry: extras.workerEntry ?? siblingModule(import.meta.url, "worker"),
    counters,
    nWorkers: config.nWorkers,
    log,
    workerConfig: {
      counters: counters.buffer,
      host: config.host,
      corsOrigins: config.corsOrigins,
      version,
      allowFaultInjection: extras.allowFaultInjection ?? false,
      accessLogRate: config.accessLogRate,
      logFormat: config.dev ? "pretty" : "json",
      ...(extras.clock ? { clock: extras.clock.buffer } : {}),
    },
  });
  try {
    await supervisor.start(port);
  } catch (error) {
    clearInterval(sealTimer);
    await supervisor.stop();
    throw error;
  }
  Atomics.store(counters.header, H_STATE, STATE_RUNNING);

  let stopping: Promise<void> | undefined;
  const displayHost = config.host === "0.0.0.0" || config.host === "::" ? "localhost" : config.host;
  return {
    port,
    url: `http://${displayHost.includes(":") ? `[${displayHost}]` : displayHost}:${port}`,
    counters,
    supervisor,
    uwsBuild: build,
    version,
    stop() {
      stopping ??= (async () => {
        Atomics.store(counters.header, H_STATE, STATE_DRAINING);
        await supervisor.stop();
        clearInterval(sealTimer);
        sealer.tick();
      })();
      return stopping;
    },
  };
}
