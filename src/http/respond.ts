/**
 * @module Writing responses: status, JSON type, CORS header, and closing the
 * connection while the worker drains. Every route answers through here.
 */
import type { HttpResponse } from "uWebSockets.js";
import { nativeArg } from "../bytes/native-arg.js";
import { type ApiError, errors } from "../contract/errors.js";
import { METRIC_ROUTES } from "../metrics/metric-labels.js";
import { NOT_TIMED, type RequestMetrics } from "../metrics/request-metrics.js";
import type { CorsPolicy } from "./cors.js";

export const JSON_TYPE = "application/json";
const CONTENT_TYPE = nativeArg("Content-Type");
export const OK = "200 OK";

/** What a route copied out of the request before anything asynchronous. */
export interface Exchange {
  /** The request's Origin header ("" when CORS allows every origin: we never need it then). */
  origin: string;
  /** HEAD: headers only. */
  head: boolean;
  /** Set by onAborted: the response must not be touched. */
  aborted: boolean;
  /** Set once a response was sent: nothing more may be written. */
  done: boolean;
  /** Route label index for the metrics (see METRIC_ROUTES). */
  route: number;
  /** From Responder.start(): when the request arrived, or NOT_TIMED (latency is sampled). */
  startedAt: number;
}

/** One sampled access-log entry. */
export interface AccessEntry {
  route: string;
  status: string;
  ms: number;
}

export interface ResponderOptions {
  readonly cors: CorsPolicy;
  readonly metrics?: RequestMetrics;
  /** Fraction of requests to access-log, 0 (off) to 1. */
  readonly accessLogRate?: number;
  readonly accessLog?: (entry: AccessEntry) => void;
}

export class Responder {
  /** Set while the worker drains: every response closes its connection. */
  draining = false;

  private readonly cors: CorsPolicy;
  private readonly metrics: RequestMetrics | undefined;
  private readonly accessLogRate: number;
  private readonly accessLog: ((entry: AccessEntry) => void) | undefined;
  /**
   * When every origin is allowed, a JSON answer's Content-Type and CORS header
   * go out in one native call, encoded once (see nativeArg): uWS writes what it
   * is given (`HTTP/1.1 <status>\r\n`, `<name>: <value>\r\n`), and each call and
   * argument costs on the hot path.
   * For a 200 the status line carries both headers: one argument less.
   */
  private readonly anyOriginJson: { readonly okStatus: ArrayBuffer; readonly contentType: ArrayBuffer } | undefined;

  /** When a request arrives: the value for Exchange.startedAt (timed for a sample of requests). */
  start(): number {
    return this.metrics ? this.metrics.start() : NOT_TIMED;
  }

  constructor(options: ResponderOptions) {
    this.cors = options.cors;
    this.metrics = options.metrics;
    this.accessLogRate = options.accessLog ? (options.accessLogRate ?? 0) : 0;
    this.accessLog = options.accessLog;
    const jsonAnyOrigin = `${JSON_TYPE}\r\nAccess-Control-Allow-Origin: *`;
    this.anyOriginJson = this.cors.allowAll
      ? { okStatus: nativeArg(`${OK}\r\nContent-Type: ${jsonAnyOrigin}`), contentType: nativeArg(jsonAnyOrigin) }
      : undefined;
  }

  send(
    res: HttpResponse,
    ex: Exchange,
    status: string,
    body: string | Uint8Array,
    contentType = JSON_TYPE,
    headers?: ReadonlyArray<readonly [string, string]>,
    closeConnection = false,
  ): void {
    if (ex.aborted || ex.done) return;
    ex.done = true;
    this.metrics?.observe(ex.route, status, ex.startedAt);
    // Sampled, and off by default: nothing is logged per request unless the operator asks.
    if (this.accessLogRate > 0 && ex.startedAt >= 0 && Math.random() < this.accessLogRate) {
      this.accessLog?.({
        route: METRIC_ROUTES[ex.route] ?? "other",
        status: status.slice(0, 3),
        ms: Math.round((performance.now() - ex.startedAt) * 1000) / 1000,
      });
    }
    const anyOriginJson = contentType === JSON_TYPE ? this.anyOriginJson : undefined;
    if (anyOriginJson !== undefined && status === OK) {
      res.writeStatus(anyOriginJson.okStatus);
    } else if (anyOriginJson !== undefined) {
      res.writeStatus(status);
      res.writeHeader(CONTENT_TYPE, anyOriginJson.contentType);
    } else {
      // uWS answers 200 OK unless told otherwise.
      if (status !== OK) res.writeStatus(status);
      res.writeHeader("Content-Type", contentType);
      const allowOrigin = this.cors.allowOriginFor(ex.origin);
      if (allowOrigin !== undefined) {
        res.writeHeader("Access-Control-Allow-Origin", allowOrigin);
        if (!this.cors.allowAll) res.writeHeader("Vary", "Origin");
      }
    }
    if (headers) for (const [name, value] of headers) res.writeHeader(name, value);
    const close = closeConnection || this.draining;
    if (ex.head) {
      // uWS 20.30 cannot close after endWithoutBody (any argument leaves the response unsent, which
      // aborts the process): the header alone asks the client to close. The length is the GET's.
      if (close) res.writeHeader("Connection", "close");
      res.writeHeader("Content-Length", String(Buffer.byteLength(body)));
      res.endWithoutBody();
    } else {
      // Closing, uWS writes `Connection: close` itself: writing it too would send it twice.
      res.end(body, close);
    }
  }

  error(
    res: HttpResponse,
    ex: Exchange,
    error: ApiError,
    closeConnection = false,
    headers?: ReadonlyArray<readonly [string, string]>,
  ): void {
    this.send(res, ex, error.status, error.body, JSON_TYPE, headers, closeConnection);
  }
}

/**
 * A handler threw: report it, answer 500 and close (if nothing was sent yet),
 * never let it escape (it would end the thread). Safe outside uWS's own cork.
 */
export function answerInternalError(
  responder: Responder,
  res: HttpResponse,
  ex: Exchange,
  error: unknown,
  onError: (error: unknown) => void,
): void {
  onError(error);
  if (ex.aborted || ex.done) return;
  try {
    res.cork(() => responder.error(res, ex, errors.internal, true));
  } catch {
    // Returning from a uWS handler without answering aborts the process: close instead.
    try {
      res.close();
    } catch {}
  }
}
