/**
 * @module Starts and stops the whole service: shared counters, sealer,
 * worker threads. The CLI calls this; so do the integration tests.
 */

import { randomUUID } from "node:crypto";
import { ClusterNode, resolveNodeId } from "../cluster/cluster-node.js";
import type { Config } from "../config/options.js";
import { type Clock, systemClock } from "../counters/clock.js";
import { Sealer } from "../counters/sealer.js";
import { setServiceState } from "../counters/service-status.js";
import {
  type CounterHistory,
  createCounters,
  MAX_WINDOW_SECONDS,
  NO_HISTORY,
  type SharedCounters,
} from "../counters/shared-counters.js";
import { clientAddressSource, clientAddressWarnings } from "../http/client-address.js";
import { createLogger, type Logger } from "../log.js";
import { RecorderHost } from "../store/recorder-host.js";
import { setStoreFigure, setStoreMode, setStoreState } from "../store/store-status.js";
import { siblingModule } from "../threads/spawn.js";
import { packageVersion } from "../version.js";
import { probePort } from "./port-probe.js";
import { Supervisor } from "./supervisor.js";
import { NO_TEST_HOOKS, type TestHooks } from "./test-hooks.js";
import { loadUws, type UwsBuild } from "./uws.js";

/** How often the sealer folds finished seconds (a second is sealed within ~2.25 s). */
export const SEAL_INTERVAL_MS = 250;

export interface ServiceExtras {
  readonly log?: Logger;
  /** Tests only (see test-hooks.ts). */
  readonly testHooks?: TestHooks;
  /** Worker module to run (dev mode points it at the TypeScript source). */
  readonly workerEntry?: URL;
  /** Called when the service has to stop on its own (the visit store gave up); it is already stopping. */
  readonly onFatal?: (message: string) => void;
}

/** batch durability: a published visit waits at most this long for its commit. */
export const BATCH_INTERVAL_MS = 10;

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
  const hooks = extras.testHooks ?? NO_TEST_HOOKS;
  const clock: Clock = hooks.clock ?? systemClock;
  const version = packageVersion();
  for (const message of clientAddressWarnings(config)) log.warn(message);
  const startMs = clock.nowMs();
  // The store opens first: it holds the total and the last week's seconds to rebuild the counters from.
  let recorder: RecorderHost | undefined;
  // Per service: tests run several in one process.
  const analyticsChannel = `traffic-tracker-analytics-${process.pid}-${randomUUID()}`;
  let history: CounterHistory = NO_HISTORY;
  if (config.dataDir !== null) {
    let warnings: string[];
    ({
      host: recorder,
      history,
      warnings,
    } = await RecorderHost.open(
      {
        dataDir: config.dataDir,
        version,
        durability: config.durability,
        historySinceMs: (Math.floor(startMs / 1000) - MAX_WINDOW_SECONDS) * 1000,
        batchIntervalMs: BATCH_INTERVAL_MS,
        failGraceMs: config.storeRetryMs,
        journalDeferBytes: config.journalDeferBytes,
        commitDelayMs: hooks.commitDelayMs ?? 0,
        analyticsChannel,
        nodeId: config.cluster.redisUrl === null ? null : resolveNodeId(config.cluster.nodeId, port),
      },
      config.ringBytes,
    ));
    for (const message of warnings) log.warn(`visit store: ${message}`);
    log.info("visit store opened", {
      dir: config.dataDir,
      durability: config.durability,
      total_visits: history.total,
    });
  }
  // Cluster mode: the counters start empty and get the cluster's history at first contact with Redis.
  // Set once the service is up; a node id found taken before then stops it as soon as it is.
  let started: Service | undefined;
  let nodeTaken = false;
  const redisUrl = config.cluster.redisUrl;
  const counters = createCounters(startMs, redisUrl === null ? history : NO_HISTORY);
  const cluster =
    redisUrl === null
      ? undefined
      : new ClusterNode(
          { redisUrl, nodeId: config.cluster.nodeId, clusterKey: config.cluster.clusterKey },
          {
            counters,
            clock,
            log,
            port,
            ...(recorder ? { stored: storedVisits(history, startMs) } : {}),
            // Two processes must never write as one node id: the second one stops (the CLI exits 1).
            onNodeTaken: (message) => {
              extras.onFatal?.(message);
              nodeTaken = true;
              if (started) void started.stop();
            },
          },
        );
  cluster?.start();
  setStoreMode(counters, recorder ? config.durability : "memory");
  setStoreFigure(counters, "heartbeatMs", Date.now());
  recorder?.start(counters.buffer);
  const sealer = new Sealer(counters, clock);
  const sealTimer = setInterval(() => sealer.tick(), SEAL_INTERVAL_MS);
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
      allowFaultInjection: hooks.faults ?? false,
      accessLogRate: config.accessLogRate,
      logFormat: config.dev ? "pretty" : "json",
      durability: config.durability,
      clientAddress: clientAddressSource(config),
      live: config.live,
      ...(cluster ? { cluster: cluster.workerData } : {}),
      adminToken: config.adminToken,
      ...(recorder ? { analyticsChannel } : {}),
      ...(hooks.clock ? { clock: hooks.clock.buffer } : {}),
    },
    ...(recorder ? { rings: { open: () => recorder.openRing(), retire: (ring) => recorder.retireRing(ring) } } : {}),
  });
  try {
    await supervisor.start(port);
  } catch (error) {
    clearInterval(sealTimer);
    await supervisor.stop();
    await cluster?.stop();
    await recorder?.stop();
    throw error;
  }
  setServiceState(counters, "running");

  let stopping: Promise<void> | undefined;
  if (recorder) watchStore(recorder, counters, log, () => service.stop(), extras.onFatal);
  const displayHost = config.host === "0.0.0.0" || config.host === "::" ? "localhost" : config.host;
  const service: Service = {
    port,
    url: `http://${displayHost.includes(":") ? `[${displayHost}]` : displayHost}:${port}`,
    counters,
    supervisor,
    uwsBuild: build,
    version,
    stop() {
      stopping ??= (async () => {
        setServiceState(counters, "draining");
        await supervisor.stop();
        // Every worker has exited: the cluster's last flush sees every visit, then numbers go back.
        await cluster?.stop();
        clearInterval(sealTimer);
        sealer.tick();
        // Last: every worker has exited, so the rings hold all there will ever be.
        if (recorder) {
          const report = await recorder.stop();
          if (report.unstoredRecords > 0) {
            log.error("visit store: accepted visits could not be stored", { unstored: report.unstoredRecords });
          }
          log.info("visit store closed", { stored_this_run: report.rows });
        }
      })();
      return stopping;
    },
  };
  started = service;
  if (nodeTaken) void service.stop();
  return service;
}

/** What a restarted instance's store holds, for the cluster to take in what Redis lacks. */
function storedVisits(history: CounterHistory & { rows?: number }, startMs: number) {
  let last = 0;
  for (let i = 0; i + 1 < history.seconds.length; i += 2) last = Math.max(last, history.seconds[i] as number);
  return { visits: history.rows ?? history.total, lastUnixSecond: last > 0 ? last : Math.floor(startMs / 1000) };
}

/** Logs the store's troubles; when it gives up, stops the service (the CLI then exits 1). */
function watchStore(
  recorder: RecorderHost,
  counters: SharedCounters,
  log: Logger,
  stop: () => Promise<void>,
  onFatal: ((message: string) => void) | undefined,
): void {
  recorder.on("failing", (message: string) =>
    log.error("visit store cannot write: refusing visits (503) and retrying", { error: message }),
  );
  recorder.on("recovered", () => log.warn("visit store writes again: accepting visits"));
  recorder.on("warning", (message: string) => log.warn(`visit store: ${message}`));
  recorder.on("failed", (message: string, unstored: number) => {
    // Also when the recorder thread itself died: workers refuse visits, strict answers waiting get 503.
    setStoreState(counters, "failed");
    log.error("visit store failed for good: stopping the service", { error: message, unstored });
    onFatal?.(message);
    void stop();
  });
}
