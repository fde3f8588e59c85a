/**
 * @module Every route of the contract on one uWS App. Handlers copy what they
 * need from the request synchronously (uWS frees it on return), attach
 * onAborted before any asynchronous step, and never let an exception escape.
 */
import type { HttpRequest, HttpResponse, TemplatedApp } from "uWebSockets.js";
import { type ClusterView, clusterHealth, clusterMetrics, clusterNotReady } from "../cluster/cluster-report.js";
import { errors, validationError } from "../contract/errors.js";
import type { SharedCounters } from "../counters/shared-counters.js";
import type { StatsReader } from "../counters/stats-reader.js";
import { EXPOSITION_TYPE, renderMetrics } from "../metrics/exposition.js";
import { routeIndex } from "../metrics/request-metrics.js";
import type { VisitSink } from "../sink/visit-sink.js";
import type { ClientAddressSource } from "./client-address.js";
import { ALLOWED_METHODS, type CorsPolicy, PREFLIGHT_MAX_AGE_SECONDS } from "./cors.js";
import type { StaticAsset } from "./docs.js";
import { readHealth, readReadiness } from "./health.js";
import { answerInternalError, type Exchange, JSON_TYPE, type Responder } from "./respond.js";
import { buildStats } from "./stats-body.js";
import { parseStatsQuery } from "./stats-query.js";
import { visitHandler } from "./visit-route.js";

export interface RouteDeps {
  readonly counters: SharedCounters;
  readonly reader: StatsReader;
  readonly cors: CorsPolicy;
  readonly responder: Responder;
  readonly openApiJson: string;
  readonly assets: ReadonlyMap<string, StaticAsset>;
  /** Prometheus text of this process's own metrics (prom-client's defaults). */
  readonly processMetrics: () => Promise<string>;
  /** Called with anything a handler threw (it has already answered 500). */
  readonly onError: (error: unknown) => void;
  /** Tests only (see server/test-hooks.ts): GET /__fault throws inside a handler. */
  readonly faultRoute?: boolean;
  /** Where valid visits go: counted in memory, or stored as well. */
  readonly sink: VisitSink;
  /** Which address a stored visit without ip_address gets. */
  readonly clientAddress: ClientAddressSource;
  /** Cluster mode (--redis): what /health, /ready and /metrics add. */
  readonly cluster?: ClusterView;
}

/** Methods each known path answers (Allow header of a 405). */
export function allowedMethods(assets: ReadonlyMap<string, StaticAsset>): Map<string, string> {
  const allow = new Map([
    ["/visit", "POST"],
    ["/stats", "GET, HEAD"],
    ["/health", "GET, HEAD"],
    ["/openapi.json", "GET, HEAD"],
    ["/ready", "GET, HEAD"],
    ["/metrics", "GET, HEAD"],
    // A WebSocket (registered by live/live-feed.ts): only a GET can upgrade.
    ["/live", "GET"],
    // The operators' endpoints (analytics/routes.ts).
    ["/analytics", "GET, HEAD"],
    ["/export", "GET, HEAD"],
    ["/dashboard", "GET, HEAD"],
  ]);
  for (const path of assets.keys()) allow.set(path, "GET, HEAD");
  return allow;
}

export function registerRoutes(app: TemplatedApp, deps: RouteDeps): void {
  const { reader, cors, responder, onError } = deps;
  const allow = allowedMethods(deps.assets);

  const exchange = (req: HttpRequest, route: number, head = false): Exchange => ({
    origin: cors.allowAll ? "" : req.getHeader("origin"),
    head,
    aborted: false,
    done: false,
    route,
    startedAt: responder.start(),
  });
  const R = {
    stats: routeIndex("/stats"),
    metrics: routeIndex("/metrics"),
    openApi: routeIndex("/openapi.json"),
    docs: routeIndex("docs"),
    other: routeIndex("other"),
  };

  /** Runs a handler; a throw becomes a 500 (if nothing was sent yet) and a log line, never a dead thread. */
  const guarded = (res: HttpResponse, ex: Exchange, run: () => void) => {
    try {
      run();
    } catch (error) {
      answerInternalError(responder, res, ex, error, onError);
    }
  };

  // POST /visit: the hot path, in its own module.
  app.post("/visit", visitHandler({ sink: deps.sink, cors, responder, onError, clientAddress: deps.clientAddress }));

  const stats = (res: HttpResponse, req: HttpRequest, head: boolean) => {
    const ex = exchange(req, R.stats, head);
    guarded(res, ex, () => {
      const query = parseStatsQuery(req.getQuery() ?? "");
      if (!query.ok) return responder.error(res, ex, validationError(query.problems));
      responder.send(res, ex, "200 OK", JSON.stringify(buildStats(reader, query.hours)));
    });
  };
  app.get("/stats", (res, req) => stats(res, req, false));
  app.head("/stats", (res, req) => stats(res, req, true));

  /** /health and /ready: 200 when `read` says `good`, else 503, same body shape either way. */
  const probe = (path: "/health" | "/ready", read: () => { status: string }, good: string) => {
    const route = routeIndex(path);
    const answer = (res: HttpResponse, req: HttpRequest, head: boolean) => {
      const ex = exchange(req, route, head);
      guarded(res, ex, () => {
        const body = read();
        responder.send(res, ex, body.status === good ? "200 OK" : "503 Service Unavailable", JSON.stringify(body));
      });
    };
    app.get(path, (res, req) => answer(res, req, false));
    app.head(path, (res, req) => answer(res, req, true));
  };
  const cluster = deps.cluster;
  probe(
    "/health",
    () => {
      const health = readHealth(deps.counters, Date.now());
      // Redis away is "degraded", not unhealthy: counting goes on from the reserved numbers.
      if (cluster) health.cluster = clusterHealth(cluster, Date.now());
      return health;
    },
    "healthy",
  );
  probe(
    "/ready",
    () => {
      const ready = readReadiness(deps.counters);
      const notReady = cluster && ready.status === "ready" ? clusterNotReady(cluster) : undefined;
      return notReady === undefined ? ready : { status: "not ready", reason: notReady };
    },
    "ready",
  );

  // /metrics: the shared counters, then this process's metrics from prom-client (asynchronous).
  const metrics = (res: HttpResponse, req: HttpRequest, head: boolean) => {
    const ex = exchange(req, R.metrics, head);
    guarded(res, ex, () => {
      res.onAborted(() => {
        ex.aborted = true;
      });
      let shared = renderMetrics(deps.counters);
      if (cluster) shared += `${clusterMetrics(cluster, Date.now()).join("\n")}\n`;
      deps.processMetrics().then(
        (text) => res.cork(() => responder.send(res, ex, "200 OK", shared + text, EXPOSITION_TYPE)),
        (error: unknown) =>
          guarded(res, ex, () => {
            throw error;
          }),
      );
    });
  };
  app.get("/metrics", (res, req) => metrics(res, req, false));
  app.head("/metrics", (res, req) => metrics(res, req, true));

  const openApi = (res: HttpResponse, req: HttpRequest, head: boolean) => {
    const ex = exchange(req, R.openApi, head);
    guarded(res, ex, () => responder.send(res, ex, "200 OK", deps.openApiJson));
  };
  app.get("/openapi.json", (res, req) => openApi(res, req, false));
  app.head("/openapi.json", (res, req) => openApi(res, req, true));

  for (const [path, asset] of deps.assets) {
    const serve = (res: HttpResponse, req: HttpRequest, head: boolean) => {
      const ex = exchange(req, R.docs, head);
      guarded(res, ex, () => responder.send(res, ex, "200 OK", asset.load(), asset.contentType, CACHE_HEADERS));
    };
    app.get(path, (res, req) => serve(res, req, false));
    app.head(path, (res, req) => serve(res, req, true));
  }

  if (deps.faultRoute) {
    app.get("/__fault", (res, req) => {
      const ex = exchange(req, R.other);
      guarded(res, ex, () => {
        throw new Error("handler fault (test)");
      });
    });
  }

  // CORS preflight on any path (Starlette answers it before routing); a plain OPTIONS falls through.
  app.options("/*", (res, req) => {
    const ex = exchange(req, R.other);
    const requestedMethod = req.getHeader("access-control-request-method");
    const origin = req.getHeader("origin");
    if (requestedMethod === "" || origin === "") return fallback(res, req, ex);
    guarded(res, ex, () => {
      ex.origin = origin;
      if (cors.allowOriginFor(origin) === undefined) {
        return responder.send(res, ex, "400 Bad Request", "Disallowed CORS origin", "text/plain; charset=utf-8");
      }
      const requestedHeaders = req.getHeader("access-control-request-headers");
      const headers: Array<[string, string]> = [
        ["Access-Control-Allow-Methods", ALLOWED_METHODS],
        ["Access-Control-Max-Age", PREFLIGHT_MAX_AGE_SECONDS],
      ];
      if (requestedHeaders !== "") headers.push(["Access-Control-Allow-Headers", requestedHeaders]);
      responder.send(res, ex, "200 OK", "OK", "text/plain; charset=utf-8", headers);
    });
  });

  /**
   * Unknown path: 404. Known path, wrong method: 405 with Allow. `/stats/`: redirect like FastAPI.
   * A HEAD gets the same answer without its body: a body the client does not expect would be read
   * as the start of the next response on a keep-alive connection.
   */
  const fallback = (res: HttpResponse, req: HttpRequest, ex = exchange(req, R.other, req.getMethod() === "head")) => {
    guarded(res, ex, () => {
      const url = req.getUrl();
      const methods = allow.get(url);
      if (methods !== undefined) return responder.error(res, ex, errors.methodNotAllowed, false, [["Allow", methods]]);
      const trimmed = url.length > 1 && url.endsWith("/") ? url.slice(0, -1) : "";
      if (trimmed !== "" && allow.has(trimmed)) {
        const query = req.getQuery();
        const location = query ? `${trimmed}?${query}` : trimmed;
        return responder.send(res, ex, "307 Temporary Redirect", "", JSON_TYPE, [["Location", location]]);
      }
      responder.error(res, ex, errors.notFound);
    });
  };
  app.any("/*", (res, req) => fallback(res, req));
}

const CACHE_HEADERS: ReadonlyArray<readonly [string, string]> = [["Cache-Control", "public, max-age=3600"]];
