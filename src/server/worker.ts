/**
 * @module One worker thread: a uWS App on the shared port, counting into the
 * shared buffer.
 *
 * A uWS thread must never end while it holds a socket (the whole process
 * aborts). So a worker that has to go, on shutdown or after an uncaught
 * exception, closes its listen socket and its port to the main thread and lets
 * its loop drain: it exits by itself, code 0, once its last connection closes.
 */

import type { us_listen_socket } from "uWebSockets.js";
import { parentPort, workerData } from "node:worker_threads";
import { AccessPolicy } from "../analytics/access.js";
import { AnalyticsClient } from "../analytics/client.js";
import { registerOperatorRoutes } from "../analytics/routes.js";
import { clusterView } from "../cluster/cluster-node.js";
import { ClusterCounter, ClusterSink } from "../cluster/cluster-sink.js";
import { buildOpenApi } from "../contract/openapi.js";
import { type Clock, SharedManualClock, systemClock } from "../counters/clock.js";
import { viewCounters } from "../counters/shared-counters.js";
import { StatsReader } from "../counters/stats-reader.js";
import { SECOND_REFRESH_MS, VisitCounter } from "../counters/visit-counter.js";
import { dashboardAssets } from "../dashboard/assets.js";
import { CorsPolicy } from "../http/cors.js";
import { docsAssets } from "../http/docs.js";
import { type AccessEntry, Responder } from "../http/respond.js";
import { registerRoutes } from "../http/routes.js";
import { registerLiveFeed } from "../live/live-feed.js";
import { widgetAssets } from "../live/widget.js";
import { createLogger } from "../log.js";
import { processMetricsRegistry } from "../metrics/process-metrics.js";
import { RequestMetrics } from "../metrics/request-metrics.js";
import { MemorySink } from "../sink/memory-sink.js";
import type { VisitSink } from "../sink/visit-sink.js";
import { StoreSink } from "../store/store-sink.js";
import type { FromWorker, ToWorker, WorkerConfig } from "./messages.js";
import { loadUws } from "./uws.js";

const config = workerData as WorkerConfig;
if (!parentPort) throw new Error("worker.ts runs as a worker thread only");
const port = parentPort;
const tell = (message: FromWorker) => port.postMessage(message);

const { uws } = loadUws();
const counters = viewCounters(config.counters);
const clock: Clock = config.clock ? new SharedManualClock(config.clock) : systemClock;
const cors = new CorsPolicy(config.corsOrigins);
// Access logs report every logged request's time, so with them on, every request is timed.
const metrics = new RequestMetrics(counters, config.slot, config.accessLogRate > 0 ? 1 : undefined);
// Access logs are sampled and off by default; they go out through pino like every other line.
const accessLogger = config.accessLogRate > 0 ? createLogger(config.logFormat) : undefined;
const responder = new Responder({
  cors,
  metrics,
  accessLogRate: config.accessLogRate,
  ...(accessLogger
    ? { accessLog: (entry: AccessEntry) => accessLogger.info("request", { ...entry, worker: config.slot }) }
    : {}),
});
const processRegistry = processMetricsRegistry();
const cluster = config.cluster ? clusterView(config.cluster) : undefined;
const counter = cluster
  ? new ClusterCounter(counters, config.slot, clock)
  : new VisitCounter(counters, config.slot, clock);
// Unref'd: it must not keep a draining worker alive.
setInterval(() => counter.refreshSecond(), SECOND_REFRESH_MS).unref();
const app = uws.App();
const reader = new StatsReader(counters, clock);
// Before the HTTP routes: the catch-all fallback must not shadow the WebSocket route.
const live = registerLiveFeed(app, reader, cors, config.live);
const analytics = config.analyticsChannel ? new AnalyticsClient(config.analyticsChannel) : undefined;
registerOperatorRoutes(app, {
  responder,
  cors,
  clock,
  access: new AccessPolicy(config.adminToken),
  client: analytics,
  strict: config.durability === "strict",
  dashboard: dashboardAssets(),
  onError: (error) => tell({ type: "error", error: describe(error) }),
});
registerRoutes(app, {
  counters,
  reader,
  cors,
  responder,
  openApiJson: JSON.stringify(buildOpenApi(config.version)),
  assets: new Map([...docsAssets(), ...widgetAssets()]),
  processMetrics: () => processRegistry.metrics(),
  faultRoute: config.allowFaultInjection,
  sink: visitSink(),
  ...(cluster ? { cluster } : {}),
  clientAddress: config.clientAddress,
  onError: (error) => tell({ type: "error", error: describe(error) }),
});

/** Memory or store; in cluster mode wrapped to number visits from the cluster's blocks. */
function visitSink(): VisitSink {
  const own = config.ring ? new StoreSink(counter, counters, config.ring, config.durability) : new MemorySink(counter);
  return cluster && counter instanceof ClusterCounter ? new ClusterSink(cluster.state, counter, own) : own;
}

let listenSocket: us_listen_socket | undefined;
let draining = false;

function describe(error: unknown): string {
  return error instanceof Error ? (error.stack ?? error.message) : String(error);
}

/** Stop accepting; answer what is in flight with Connection: close; exit when idle. */
function drain(): void {
  if (draining) return;
  draining = true;
  responder.draining = true;
  live.stop();
  analytics?.close();
  if (listenSocket) uws.us_listen_socket_close(listenSocket);
  listenSocket = undefined;
  port.close();
}

// After this, an uncaught exception retires the worker instead of aborting the process.
process.on("uncaughtException", (error) => {
  if (!draining) tell({ type: "fatal", error: describe(error) });
  drain();
});

port.on("message", (message: ToWorker) => {
  if (message.type === "drain") drain();
  else if (message.type === "inject-fault" && config.allowFaultInjection) {
    setImmediate(() => {
      throw new Error("injected fault (test)");
    });
  }
});

app.listen(config.host, config.port, (token) => {
  if (!token) {
    tell({ type: "listen-failed", host: config.host, port: config.port });
    port.close();
    return;
  }
  listenSocket = token;
  tell({ type: "ready", port: uws.us_socket_local_port(token) });
});
