/**
 * @module Where a valid visit goes once the route has done the HTTP part
 * (headers, body, limits, validation). A sink counts it and answers with its
 * visit_count, refuses it (503 with Retry-After, nothing counted), or says the
 * answer comes later (strict durability: after the commit). In-memory counting
 * and the visit store are sinks; a new way of counting is a new sink, not a
 * change to the route.
 *
 * The interface is shaped for the hot path: one call per visit, plain
 * arguments, a number or a prebuilt error back; nothing is allocated for it.
 */
import type { ApiError } from "../contract/errors.js";

/** What `accept` returns: a visit_count (≥ 1), PENDING, or the refusal to answer with (a 503). */
export type SinkOutcome = number | ApiError;

/** `accept`'s answer comes later, through the `Deliver` the route gave `answerLater`. */
export const PENDING = 0;

/** A visit whose answer waits: the route's own per-request object, handed back as it was given. */
export interface Pending {
  /** The client went away: nothing may be written to it. */
  readonly aborted: boolean;
}

/** How a sink answers a pending visit: its count, or the refusal. */
export type Deliver = (pending: Pending, outcome: SinkOutcome) => void;

export interface VisitSink {
  /**
   * The sink records the request's User-Agent header and client address for
   * a body without user_agent / ip_address: the route copies them (reading the
   * peer address has a cost, so only a sink that keeps it asks).
   */
  readonly recordsRequest: boolean;
  /** Some answers come after `accept` returns: the route must learn of aborts. */
  readonly answersLater: boolean;
  /** Called once by the route before any visit, when `answersLater`. */
  answerLater?(deliver: Deliver): void;
  /**
   * One valid visit. `body` is the request body as it came (valid only during
   * this call); `oneLine`: it holds no raw line break. `userAgent` and
   * `address` (text, or an IPv4 address as an unsigned 32-bit number) are set
   * only when the sink records the request and the body lacks the field.
   */
  accept(
    body: Uint8Array,
    oneLine: boolean,
    userAgent: string | undefined,
    address: string | number | undefined,
    pending: Pending,
  ): SinkOutcome;
}
