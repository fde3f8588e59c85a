/**
 * @module POST /visit, the hot path, kept apart from the other routes: one
 * small state object per request, no per-chunk closures, the body parsed in
 * place when it arrives in one piece (almost always).
 */
import type { HttpRequest, HttpResponse } from "uWebSockets.js";
import { nativeArg } from "../bytes/native-arg.js";
import { errors, RETRY_AFTER, validationError } from "../contract/errors.js";
import { H_STORE_DOORBELL, H_STORE_STATE, STORE_OK } from "../counters/layout.js";
import type { VisitCounter } from "../counters/visit-counter.js";
import { routeIndex } from "../metrics/request-metrics.js";
import type { CommitWaiter } from "../store/commit-waiter.js";
import type { VisitRecordWriter } from "../store/visit-record.js";
import type { CorsPolicy } from "./cors.js";
import { peerAddress } from "./peer-address.js";
import { closeQuietly, type Exchange, OK, type Responder } from "./respond.js";
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
/** batch mode: wake the recorder early once a ring is this full. */
const RING_DOORBELL_FILL = 0.5;

/** Where accepted visits go besides the counters (absent: in-memory mode). */
export interface VisitStoreLink {
  readonly writer: VisitRecordWriter;
  /** strict durability: responses wait for the commit. */
  readonly waiter: CommitWaiter | undefined;
  readonly header: Int32Array;
  /** Record the first X-Forwarded-For hop as the client address (behind a trusted proxy). */
  readonly trustProxy: boolean;
}

/** One request in flight: what onAborted/onData need, in one object. */
interface VisitExchange extends Exchange {
  res: HttpResponse;
  length: number;
  /** Earlier chunks of a body that came in several (copied: uWS reuses their memory). */
  parts: Uint8Array[] | undefined;
  /** Copied from the request while it is valid: recorded when the body has none. */
  userAgent: string;
  forwardedFor: string;
}

export function visitHandler(
  counter: VisitCounter,
  cors: CorsPolicy,
  responder: Responder,
  onError: (error: unknown) => void,
  store?: VisitStoreLink,
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
    // Most bodies are decided by one pass over the bytes; the rest are parsed in full.
    let scan = scanVisit(body);
    if (scan === UNDECIDED) {
      const parsed = parseVisit(body);
      if (!parsed.ok) return responder.error(ex.res, ex, validationError(parsed.problems));
      scan = scanFlags(parsed.visit);
    }
    if (store === undefined) responder.send(ex.res, ex, OK, visitBodyBytes(counter.record()));
    else storeAndAnswer(ex, body, scan, store);
  };

  /** Persistent mode: the visit is counted only once its record has room in the ring. */
  const storeAndAnswer = (ex: VisitExchange, body: Uint8Array, scan: number, link: VisitStoreLink) => {
    // A plain read (an aligned Int32 never tears): a state change seen one request late is fine, and
    // Atomics.load is a builtin call on every visit.
    if (link.header[H_STORE_STATE] !== STORE_OK) {
      return responder.error(ex.res, ex, errors.storeUnavailable, false, RETRY_AFTER);
    }
    const userAgent = (scan & HAS_USER_AGENT) === 0 && ex.userAgent !== "" ? ex.userAgent : undefined;
    const address = (scan & HAS_IP_ADDRESS) === 0 ? clientAddress(ex, link.trustProxy) : undefined;
    const count = link.writer.record(counter, body, (scan & HAS_LINE_BREAK) === 0, userAgent, address);
    if (count === 0) return responder.error(ex.res, ex, errors.storeBusy, false, RETRY_AFTER);
    const waiter = link.waiter;
    if (waiter === undefined) {
      if (link.writer.fillAbove(RING_DOORBELL_FILL)) ringDoorbell(link.header);
      return responder.send(ex.res, ex, OK, visitBodyBytes(count));
    }
    ringDoorbell(link.header);
    waiter.hold({
      end: link.writer.lastEnd,
      release: (stored) => {
        if (ex.aborted) return;
        ex.res.cork(() => {
          if (stored) responder.send(ex.res, ex, OK, visitBodyBytes(count));
          else responder.error(ex.res, ex, errors.storeUnavailable, false, RETRY_AFTER);
        });
      },
    });
  };

  /** One body chunk of the request `ex`. */
  const onChunk = (ex: VisitExchange, chunk: ArrayBuffer, isLast: boolean) => {
    if (ex.aborted || ex.done) return;
    try {
      ex.length += chunk.byteLength;
      // uWS runs onData with the socket already corked (one send per response, measured with
      // strace on 20.30), so answering here needs no res.cork(): one closure and native call less.
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
      fail(ex, error);
    }
  };

  /**
   * Reusable onData callbacks (outside strict mode). A slot goes back to the
   * pool only once its last chunk is handled: uWS never calls it again for
   * that response. One whose body never completes (an abort, an early 413) is
   * simply dropped, so a stale call can never reach another request.
   */
  const freeSlots: DataSlot[] = [];
  const takeSlot = (): DataSlot => {
    const reused = freeSlots.pop();
    if (reused !== undefined) return reused;
    const slot: DataSlot = {
      ex: undefined,
      onData: (chunk, isLast) => {
        const ex = slot.ex;
        if (ex === undefined) return; // never expected: uWS makes no call after the last chunk
        onChunk(ex, chunk, isLast);
        if (isLast) {
          slot.ex = undefined;
          if (freeSlots.length < MAX_FREE_SLOTS) freeSlots.push(slot);
        }
      },
    };
    return slot;
  };

  const strict = store?.waiter !== undefined;
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
      userAgent: store ? req.getHeader(USER_AGENT) : "",
      forwardedFor: store?.trustProxy ? req.getHeader(FORWARDED_FOR) : "",
    };
    try {
      if (!isJsonContentType(req.getHeader(CONTENT_TYPE))) return responder.error(res, ex, errors.unsupportedMediaType);
      // Refuse a declared oversize body before reading it, and close: we will not read 1 GB to stay in sync.
      if (declaresOversize(req.getHeader(CONTENT_LENGTH))) {
        return responder.error(res, ex, errors.bodyTooLarge, true);
      }
      // Only strict mode answers later (after the commit), so only it needs to learn of an abort and a
      // closure per request; elsewhere every answer is written inside onData, which uWS never calls after
      // an abort, and the callbacks are long-lived (a fresh closure for each cost 5 % of POST /visit
      // throughput for the abort handler and 2–4 % for the data handler, side by side).
      if (strict) {
        res.onAborted(() => {
          ex.aborted = true;
        });
        res.onData((chunk, isLast) => onChunk(ex, chunk, isLast));
      } else {
        res.onAborted(IGNORE_ABORT);
        const slot = takeSlot();
        slot.ex = ex;
        res.onData(slot.onData);
      }
    } catch (error) {
      fail(ex, error);
    }
  };
}

/** A pooled onData callback and the request it currently serves. */
interface DataSlot {
  ex: VisitExchange | undefined;
  readonly onData: (chunk: ArrayBuffer, isLast: boolean) => void;
}
/** Free slots kept for reuse at most (about one per request in flight); past it a finished slot is not kept. */
const MAX_FREE_SLOTS = 4096;

/** uWS requires an abort handler before the body is read; without a later answer there is nothing to do. */
const IGNORE_ABORT = () => {};

/** Wakes the recorder thread (strict: a response waits; batch: a ring is filling). */
function ringDoorbell(header: Int32Array): void {
  Atomics.add(header, H_STORE_DOORBELL, 1);
  Atomics.notify(header, H_STORE_DOORBELL, 1);
}

/**
 * The client address to record: the first X-Forwarded-For hop behind a trusted
 * proxy, else the peer (an IPv4 peer as a number the record writer prints).
 */
function clientAddress(ex: VisitExchange, trustProxy: boolean): string | number | undefined {
  if (trustProxy && ex.forwardedFor !== "") {
    const comma = ex.forwardedFor.indexOf(",");
    return (comma === -1 ? ex.forwardedFor : ex.forwardedFor.slice(0, comma)).trim();
  }
  return peerAddress(new Uint8Array(ex.res.getRemoteAddress()));
}
