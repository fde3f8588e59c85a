/**
 * @module POST /visit, the hot path, kept apart from the other routes. HTTP
 * only: headers, body chunks, limits, validation and the answer; the valid
 * visit goes to a `VisitSink`, which counts (and stores) it. One small state
 * object per request, no per-chunk closures, the body parsed in place when it
 * arrives in one piece (almost always).
 */
import type { HttpRequest, HttpResponse } from "uWebSockets.js";
import { nativeArg } from "../bytes/native-arg.js";
import { errors, RETRY_AFTER, validationError } from "../contract/errors.js";
import { routeIndex } from "../metrics/request-metrics.js";
import { PENDING, type SinkOutcome, type VisitSink } from "../sink/visit-sink.js";
import type { ClientAddressSource } from "./client-address.js";
import type { CorsPolicy } from "./cors.js";
import { peerAddress } from "./peer-address.js";
import { answerInternalError, type Exchange, OK, type Responder } from "./respond.js";
import { declaresOversize, isJsonContentType, MAX_BODY_BYTES, parseVisit, scanFlags } from "./visit-body.js";
import { visitBodyBytes } from "./visit-ok.js";
import { HAS_IP_ADDRESS, HAS_LINE_BREAK, HAS_USER_AGENT, scanVisit, UNDECIDED } from "./visit-scan.js";

const VISIT_ROUTE = routeIndex("/visit");
// Header names read on every request, encoded once (see nativeArg).
const ORIGIN = nativeArg("origin");
const USER_AGENT = nativeArg("user-agent");
const FORWARDED_FOR = nativeArg("x-forwarded-for");
const CONTENT_TYPE = nativeArg("content-type");
const CONTENT_LENGTH = nativeArg("content-length");

export interface VisitRouteOptions {
  /** Where valid visits go. */
  readonly sink: VisitSink;
  readonly cors: CorsPolicy;
  readonly responder: Responder;
  /** Called with anything the handler threw (it has already answered 500). */
  readonly onError: (error: unknown) => void;
  /** Which address a stored visit without ip_address gets (the sink must record the request, too). */
  readonly clientAddress: ClientAddressSource;
}

/** One request in flight: what onAborted/onData need, in one object (also the sink's Pending). */
interface VisitExchange extends Exchange {
  res: HttpResponse;
  length: number;
  /** Earlier chunks of a body that came in several (copied: uWS reuses their memory). */
  parts: Uint8Array[] | undefined;
  /** Copied from the request while it is valid, for a sink that records it when the body has none. */
  userAgent: string;
  forwardedFor: string;
}

export function visitHandler(options: VisitRouteOptions): (res: HttpResponse, req: HttpRequest) => void {
  const { sink, cors, responder, onError } = options;
  const recordsRequest = sink.recordsRequest;
  // Decided once per thread: by default the route never reads the peer nor X-Forwarded-For.
  const recordsAddress = recordsRequest && options.clientAddress !== "none";
  const readsForwardedFor = recordsRequest && options.clientAddress === "forwarded-for";

  /** The sink's outcome as the answer: the count (200) or its refusal (503, Retry-After). */
  const answerWith = (ex: VisitExchange, outcome: SinkOutcome) => {
    if (typeof outcome === "number") responder.send(ex.res, ex, OK, visitBodyBytes(outcome));
    else responder.error(ex.res, ex, outcome, false, RETRY_AFTER);
  };

  /** A valid body's visit goes to the sink; most bodies are decided by one pass over the bytes, the rest parsed in full. */
  const answer = (ex: VisitExchange, body: Uint8Array) => {
    let scan = scanVisit(body);
    if (scan === UNDECIDED) {
      const parsed = parseVisit(body);
      if (!parsed.ok) return responder.error(ex.res, ex, validationError(parsed.problems));
      scan = scanFlags(parsed.visit);
    }
    const userAgent = recordsRequest && (scan & HAS_USER_AGENT) === 0 && ex.userAgent !== "" ? ex.userAgent : undefined;
    const address = recordsAddress && (scan & HAS_IP_ADDRESS) === 0 ? clientAddress(ex, readsForwardedFor) : undefined;
    const outcome = sink.accept(body, (scan & HAS_LINE_BREAK) === 0, userAgent, address, ex);
    if (outcome !== PENDING) answerWith(ex, outcome);
  };

  if (sink.answersLater) {
    sink.answerLater?.((pending, outcome) => {
      const ex = pending as VisitExchange;
      if (ex.aborted) return;
      try {
        ex.res.cork(() => answerWith(ex, outcome));
      } catch (error) {
        answerInternalError(responder, ex.res, ex, error, onError);
      }
    });
  }

  /** One body chunk of the request `ex`. */
  const onChunk = (ex: VisitExchange, chunk: ArrayBuffer, isLast: boolean) => {
    if (ex.aborted || ex.done) return;
    try {
      ex.length += chunk.byteLength;
      // uWS 20.30 runs onData with the socket already corked (one send per response), so answering
      // here needs no res.cork(): one closure and native call less.
      if (ex.length > MAX_BODY_BYTES) {
        responder.error(ex.res, ex, errors.bodyTooLarge, true);
      } else if (!isLast) {
        ex.parts ??= [];
        ex.parts.push(new Uint8Array(chunk.slice(0)));
      } else if (ex.parts === undefined) {
        // The whole body in one chunk: parse it before returning, while its memory is valid.
        answer(ex, new Uint8Array(chunk));
      } else {
        ex.parts.push(new Uint8Array(chunk));
        answer(ex, Buffer.concat(ex.parts, ex.length));
      }
    } catch (error) {
      answerInternalError(responder, ex.res, ex, error, onError);
    }
  };

  /**
   * Reusable onData callbacks (outside strict mode). A handler goes back to the
   * pool only once its last chunk is handled: uWS never calls it again for
   * that response. One whose body never completes (an abort, an early 413) is
   * simply dropped, so a stale call can never reach another request.
   */
  const freeHandlers: DataHandler[] = [];
  const takeHandler = (): DataHandler => {
    const reused = freeHandlers.pop();
    if (reused !== undefined) return reused;
    const handler: DataHandler = {
      ex: undefined,
      onData: (chunk, isLast) => {
        const ex = handler.ex;
        if (ex === undefined) return; // never expected: uWS makes no call after the last chunk
        onChunk(ex, chunk, isLast);
        if (isLast) {
          handler.ex = undefined;
          if (freeHandlers.length < MAX_FREE_HANDLERS) freeHandlers.push(handler);
        }
      },
    };
    return handler;
  };

  const strict = sink.answersLater;
  return (res, req) => {
    const ex: VisitExchange = {
      origin: cors.allowAll ? "" : req.getHeader(ORIGIN),
      head: false,
      aborted: false,
      done: false,
      route: VISIT_ROUTE,
      startedAt: responder.start(),
      res,
      length: 0,
      parts: undefined,
      userAgent: recordsRequest ? req.getHeader(USER_AGENT) : "",
      forwardedFor: readsForwardedFor ? req.getHeader(FORWARDED_FOR) : "",
    };
    try {
      if (!isJsonContentType(req.getHeader(CONTENT_TYPE))) return responder.error(res, ex, errors.unsupportedMediaType);
      // Refuse a declared oversize body before reading it, and close: we will not read 1 GB to stay in sync.
      if (declaresOversize(req.getHeader(CONTENT_LENGTH))) {
        return responder.error(res, ex, errors.bodyTooLarge, true);
      }
      // Only a sink that answers later (strict: after the commit) needs to learn of an abort, and so a
      // closure per request; elsewhere every answer is written inside onData, which uWS never calls after
      // an abort, and the callbacks are long-lived: a fresh closure per request is measurably slower.
      if (strict) {
        res.onAborted(() => {
          ex.aborted = true;
        });
        res.onData((chunk, isLast) => onChunk(ex, chunk, isLast));
      } else {
        res.onAborted(IGNORE_ABORT);
        const handler = takeHandler();
        handler.ex = ex;
        res.onData(handler.onData);
      }
    } catch (error) {
      answerInternalError(responder, ex.res, ex, error, onError);
    }
  };
}

/** A pooled onData callback and the request it currently serves. */
interface DataHandler {
  ex: VisitExchange | undefined;
  readonly onData: (chunk: ArrayBuffer, isLast: boolean) => void;
}
/** Free handlers kept for reuse at most (about one per request in flight); past it a finished one is not kept. */
const MAX_FREE_HANDLERS = 4096;

/** uWS requires an abort handler before the body is read; without a later answer there is nothing to do. */
const IGNORE_ABORT = () => {};

/**
 * The client address to record (only with --record-client-address): the first
 * X-Forwarded-For hop behind a trusted proxy, else the peer (an IPv4 peer as a
 * number the record writer prints).
 */
function clientAddress(ex: VisitExchange, forwardedFor: boolean): string | number | undefined {
  if (forwardedFor && ex.forwardedFor !== "") {
    const comma = ex.forwardedFor.indexOf(",");
    return (comma === -1 ? ex.forwardedFor : ex.forwardedFor.slice(0, comma)).trim();
  }
  return peerAddress(new Uint8Array(ex.res.getRemoteAddress()));
}
