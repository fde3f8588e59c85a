/**
 * @module The operators' endpoints on a worker's uWS App: GET /analytics,
 * GET /export, GET /dashboard and its assets. Access is checked first
 * (access.ts), then the parameters (422), then whether there is a store
 * (503 with --no-persist). The queries themselves run in the recorder thread.
 */
import type { HttpRequest, HttpResponse, TemplatedApp } from "uWebSockets.js";
import { type ApiError, errors, RETRY_AFTER, validationError } from "../contract/errors.js";
import type { Clock } from "../counters/clock.js";
import type { CorsPolicy } from "../http/cors.js";
import { answerInternalError, type Exchange, type Responder } from "../http/respond.js";
import { routeIndex } from "../metrics/request-metrics.js";
import type { AccessPolicy } from "./access.js";
import type { AnalyticsClient } from "./client.js";
import { openExportPipe } from "./export-stream.js";
import type { AnalyticsNumbers, Refusal } from "./messages.js";
import { parseAnalyticsQuery, parseExportQuery } from "./params.js";
import { ALL_TIME, type ExportFormat } from "./sql.js";
import { analyticsWindow, FRESHNESS_MS, isoSeconds } from "./window.js";

export interface OperatorRouteDeps {
  readonly responder: Responder;
  readonly cors: CorsPolicy;
  readonly clock: Clock;
  readonly access: AccessPolicy;
  /** Absent with --no-persist. */
  readonly client: AnalyticsClient | undefined;
  /** strict durability: every acknowledged visit is committed, none is left out. */
  readonly strict: boolean;
  /** GET /dashboard's page and its assets. */
  readonly dashboard: { readonly html: () => string; readonly assets: ReadonlyMap<string, Asset> };
  readonly onError: (error: unknown) => void;
}

export interface Asset {
  readonly contentType: string;
  readonly load: () => string | Uint8Array;
}

export const OPERATOR_PATHS = ["/analytics", "/export", "/dashboard"] as const;

const CONTENT_TYPES: Record<ExportFormat, string> = {
  parquet: "application/vnd.apache.parquet",
  csv: "text/csv; charset=utf-8",
  ndjson: "application/x-ndjson",
};
const EXTENSIONS: Record<ExportFormat, string> = { parquet: "parquet", csv: "csv", ndjson: "ndjson" };
const UNAUTHENTICATED_HEADERS: ReadonlyArray<readonly [string, string]> = [["WWW-Authenticate", "Bearer"]];
const NO_STORE: ReadonlyArray<readonly [string, string]> = [["Cache-Control", "no-store"]];
/** The page runs only the service's own scripts and talks only to the service. */
const PAGE_HEADERS: ReadonlyArray<readonly [string, string]> = [
  ...NO_STORE,
  [
    "Content-Security-Policy",
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self' ws: wss:; frame-ancestors 'none'",
  ],
  ["Referrer-Policy", "no-referrer"],
];

/** Cuts a response short (the client sees an unfinished body); never throws. */
function closeQuietly(res: HttpResponse): void {
  try {
    res.close();
  } catch {}
}

const refusalError = (refusal: Refusal): ApiError =>
  refusal === "busy" ? errors.analyticsBusy : refusal === "timeout" ? errors.analyticsTimeout : errors.analyticsFailed;

export function registerOperatorRoutes(app: TemplatedApp, deps: OperatorRouteDeps): void {
  const { responder, access, client } = deps;
  const route = routeIndex("other");
  const exchange = (req: HttpRequest, head = false): Exchange => ({
    origin: req.getHeader("origin"),
    head,
    aborted: false,
    done: false,
    route,
    startedAt: responder.start(),
  });

  /** Copies what the checks need from the request (synchronously); answers and returns false if access is denied. */
  const admitted = (res: HttpResponse, req: HttpRequest, ex: Exchange, page = false): boolean => {
    const verdict = access.check(req.getHeader("authorization"), () => res.getRemoteAddress());
    if (verdict === "ok") return true;
    if (verdict === "forbidden") {
      responder.error(res, ex, errors.forbidden);
    } else if (page && req.getHeader("accept").includes("text/html")) {
      // A browser cannot send a bearer token when it opens the page: the page itself asks for it.
      responder.send(res, ex, "401 Unauthorized", deps.dashboard.html(), "text/html; charset=utf-8", [
        ...UNAUTHENTICATED_HEADERS,
        ...PAGE_HEADERS,
      ]);
    } else {
      responder.error(res, ex, errors.notAuthenticated, false, UNAUTHENTICATED_HEADERS);
    }
    return false;
  };

  const guarded = (res: HttpResponse, ex: Exchange, run: () => void) => {
    try {
      run();
    } catch (error) {
      answerInternalError(responder, res, ex, error, deps.onError);
    }
  };

  // HEAD /analytics runs the query like GET (its Content-Length is the GET's), and sends no body.
  const analytics = (res: HttpResponse, req: HttpRequest, head: boolean) => {
    const ex = exchange(req, head);
    guarded(res, ex, () => {
      if (!admitted(res, req, ex)) return;
      const query = parseAnalyticsQuery(req.getQuery() ?? "");
      if (!query.ok) return responder.error(res, ex, validationError(query.problems));
      if (!client) return responder.error(res, ex, errors.analyticsNoStore);
      res.onAborted(() => {
        ex.aborted = true;
      });
      const window = analyticsWindow(query.hours, deps.clock.nowMs(), deps.strict);
      client
        .ask({
          kind: "analytics",
          id: client.newId(),
          fromMs: window.fromMs,
          lastMs: window.lastMs,
          limit: query.limit,
          stepSeconds: window.stepSeconds,
          firstStepMs: window.firstStepMs,
          points: window.points,
        })
        .then((answer) =>
          guarded(res, ex, () =>
            res.cork(() => {
              if (!answer.ok) return responder.error(res, ex, refusalError(answer.refusal), false, RETRY_AFTER);
              const n = answer.numbers as AnalyticsNumbers;
              const stepMs = window.stepSeconds * 1000;
              const body = {
                timeframe_hours: query.hours,
                from: isoSeconds(window.fromMs),
                to: isoSeconds(window.toMs),
                visits: n.visits,
                unique_visitors: n.unique_visitors,
                top_pages: n.top_pages,
                top_referrers: n.top_referrers,
                direct_visits: n.direct_visits,
                series: {
                  step_seconds: window.stepSeconds,
                  points: n.counts.map((count, i) => [isoSeconds(window.firstStepMs + i * stepMs), count]),
                },
                scope: "node",
              };
              responder.send(res, ex, "200 OK", JSON.stringify(body), undefined, NO_STORE);
            }),
          ),
        );
    });
  };
  app.get("/analytics", (res, req) => analytics(res, req, false));
  app.head("/analytics", (res, req) => analytics(res, req, true));

  /** The status line and headers of an export's 200 (the body follows in chunks). */
  const writeExportHead = (res: HttpResponse, ex: Exchange, format: ExportFormat, nowMs: number) => {
    ex.done = true;
    res.writeStatus("200 OK");
    res.writeHeader("Content-Type", CONTENT_TYPES[format]);
    const stamp = isoSeconds(nowMs).replace(/[-:]/g, "");
    res.writeHeader("Content-Disposition", `attachment; filename="visits-${stamp}.${EXTENSIONS[format]}"`);
    res.writeHeader("Cache-Control", "no-store");
    const allowOrigin = deps.cors.allowOriginFor(ex.origin);
    if (allowOrigin !== undefined) res.writeHeader("Access-Control-Allow-Origin", allowOrigin);
  };

  /**
   * GET streams the export. HEAD runs no export: it answers what a GET would
   * before its first byte — the same 401/403/422/503 (no store), or the 200's
   * headers with no Content-Length (a GET's length is unknown until its end).
   */
  const exportRoute = (res: HttpResponse, req: HttpRequest, head: boolean) => {
    const ex = exchange(req, head);
    guarded(res, ex, () => {
      if (!admitted(res, req, ex)) return;
      const query = parseExportQuery(req.getQuery() ?? "");
      if (!query.ok) return responder.error(res, ex, validationError(query.problems));
      if (!client) return responder.error(res, ex, errors.analyticsNoStore);
      if (head) {
        writeExportHead(res, ex, query.format, deps.clock.nowMs());
        return res.endWithoutBody();
      }
      const aborted = { run: () => {} };
      res.onAborted(() => {
        ex.aborted = true;
        aborted.run();
      });
      const nowMs = deps.clock.nowMs();
      const range = {
        fromMs: query.fromMs ?? ALL_TIME.fromMs,
        toMs: query.toMs ?? ALL_TIME.toMs,
        lastMs: Math.floor(deps.strict ? nowMs : nowMs - FRESHNESS_MS),
      };
      void streamExport(res, ex, aborted, query.format, range, nowMs);
    });
  };
  app.get("/export", (res, req) => exportRoute(res, req, false));
  app.head("/export", (res, req) => exportRoute(res, req, true));

  /** Answers 200 at DuckDB's first byte (or an error if it fails before any); then streams to the end. */
  async function streamExport(
    res: HttpResponse,
    ex: Exchange,
    aborted: { run: () => void },
    format: ExportFormat,
    range: { fromMs: number; toMs: number; lastMs: number },
    nowMs: number,
  ): Promise<void> {
    const c = client as AnalyticsClient;
    let pipe: Awaited<ReturnType<typeof openExportPipe>>;
    try {
      pipe = await openExportPipe();
    } catch (error) {
      return guarded(res, ex, () => {
        throw error;
      });
    }
    const id = c.newId();
    let started = false;
    const reader = pipe.reader;
    const startResponse = () => {
      started = true;
      writeExportHead(res, ex, format, nowMs);
    };
    res.onWritable(() => {
      reader.resume();
      return true;
    });
    reader.on("data", (chunk: Buffer) => {
      if (ex.aborted) return; // drained and dropped until DuckDB stops
      res.cork(() => {
        if (!started) startResponse();
        if (!res.write(chunk)) reader.pause();
      });
    });
    const ended = new Promise<boolean>((resolve) => {
      reader.on("end", () => resolve(true));
      reader.on("error", () => resolve(false));
    });
    // The client left: stop DuckDB, and keep reading (dropping) meanwhile so its writes never block.
    aborted.run = () => {
      reader.resume();
      c.cancel(id);
    };
    if (ex.aborted) aborted.run();
    const answer = await c.ask({ kind: "export", id, path: pipe.path, format, ...range }, undefined);
    // Only DuckDB's answer says the file is whole: the relay also ends when a query fails midway.
    const whole = answer.ok && (await ended);
    pipe.dispose();
    if (ex.aborted) return;
    if (whole) {
      res.cork(() => {
        if (!started) startResponse();
        res.end();
      });
      return;
    }
    if (started) return closeQuietly(res); // cut short: the client sees an unfinished chunked body
    if (!answer.ok && answer.refusal === "failed") deps.onError(new Error(`export failed: ${answer.message}`));
    res.cork(() => responder.error(res, ex, refusalError(answer.ok ? "failed" : answer.refusal), false, RETRY_AFTER));
  }

  const page = (res: HttpResponse, req: HttpRequest, head: boolean) => {
    const ex = exchange(req, head);
    guarded(res, ex, () => {
      if (!admitted(res, req, ex, true)) return;
      responder.send(res, ex, "200 OK", deps.dashboard.html(), "text/html; charset=utf-8", PAGE_HEADERS);
    });
  };
  app.get("/dashboard", (res, req) => page(res, req, false));
  app.head("/dashboard", (res, req) => page(res, req, true));
  // The page's scripts and styles hold no records: served to anyone, like /docs.
  for (const [path, asset] of deps.dashboard.assets) {
    const serve = (res: HttpResponse, req: HttpRequest, head: boolean) => {
      const ex = exchange(req, head);
      guarded(res, ex, () =>
        responder.send(res, ex, "200 OK", asset.load(), asset.contentType, [["Cache-Control", "public, max-age=3600"]]),
      );
    };
    app.get(path, (res, req) => serve(res, req, false));
    app.head(path, (res, req) => serve(res, req, true));
  }
}
