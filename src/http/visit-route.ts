/**
 * @module POST /visit, the hot path, kept apart from the other routes: one
 * small state object per request, no per-chunk closures, the body parsed in
 * place when it arrives in one piece (almost always).
 */
import type { HttpRequest, HttpResponse } from "uWebSockets.js";
import { errors, validationError } from "../contract/errors.js";
import type { VisitCounter } from "../counters/visit-counter.js";
import { routeIndex } from "../metrics/request-metrics.js";
import type { CorsPolicy } from "./cors.js";
import { closeQuietly, type Exchange, OK, type Responder } from "./respond.js";
import { declaredLength, isJsonContentType, MAX_BODY_BYTES, parseVisit } from "./visit-body.js";

/** The 200 body of POST /visit, without JSON.stringify. */
export const visitBody = (n: number) => {
  const count = String(n); // converted once, used twice
  return `{"success":true,"visit_count":${count},"message":"Visit logged successfully. Total visits: ${count}"}`;
};

const VISIT_ROUTE = routeIndex("/visit");

/** One request in flight: what onAborted/onData need, in one object. */
interface VisitExchange extends Exchange {
  res: HttpResponse;
  length: number;
  /** Earlier chunks of a body that came in several (copied: uWS reuses their memory). */
  parts: Uint8Array[] | undefined;
}

export function visitHandler(
  counter: VisitCounter,
  cors: CorsPolicy,
  responder: Responder,
  onError: (error: unknown) => void,
): (res: HttpResponse, req: HttpRequest) => void {
  /** A throw answers 500 (if nothing was sent) and is logged; it never kills the thread. */
  const fail = (ex: VisitExchange, error: unknown) => {
    onError(error);
    if (ex.aborted || ex.done) return;
    try {
      ex.res.cork(() => responder.error(ex.res, ex, errors.internal, true));
    } catch {
      closeQuietly(ex.res);
    }
  };

  const answer = (ex: VisitExchange, body: Uint8Array) => {
    const parsed = parseVisit(body);
    if (parsed.ok) responder.send(ex.res, ex, OK, visitBody(counter.record()));
    else responder.error(ex.res, ex, validationError(parsed.problems));
  };

  return (res, req) => {
    const ex: VisitExchange = {
      origin: cors.allowAll ? "" : req.getHeader("origin"),
      head: false,
      aborted: false,
      done: false,
      route: VISIT_ROUTE,
      startedAt: performance.now(),
      res,
      length: 0,
      parts: undefined,
    };
    try {
      if (!isJsonContentType(req.getHeader("content-type")))
        return responder.error(res, ex, errors.unsupportedMediaType);
      // Refuse a declared oversize body before reading it, and close: we will not read 1 GB to stay in sync.
      if (declaredLength(req.getHeader("content-length")) > MAX_BODY_BYTES) {
        return responder.error(res, ex, errors.bodyTooLarge, true);
      }
      res.onAborted(() => {
        ex.aborted = true;
      });
      res.onData((chunk, isLast) => {
        if (ex.aborted || ex.done) return;
        try {
          ex.length += chunk.byteLength;
          if (ex.length > MAX_BODY_BYTES) {
            res.cork(() => responder.error(res, ex, errors.bodyTooLarge, true));
          } else if (!isLast) {
            ex.parts ??= [];
            ex.parts.push(new Uint8Array(chunk.slice(0)));
          } else if (ex.parts === undefined) {
            // The whole body in one chunk: parse it before returning, while its memory is valid.
            const body = new Uint8Array(chunk);
            res.cork(() => answer(ex, body));
          } else {
            ex.parts.push(new Uint8Array(chunk));
            const body = Buffer.concat(ex.parts, ex.length);
            res.cork(() => answer(ex, body));
          }
        } catch (error) {
          fail(ex, error);
        }
      });
    } catch (error) {
      fail(ex, error);
    }
  };
}
