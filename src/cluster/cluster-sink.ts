/**
 * @module Cluster mode's sink: a visit gets its number from this instance's
 * reserved blocks (unique across the cluster), then is counted and kept by the
 * sink it wraps (memory or store) exactly as on one instance. No numbers left
 * (Redis away for longer than they last): 503 + Retry-After, nothing counted.
 */
import { errors } from "../contract/errors.js";
import type { Clock } from "../counters/clock.js";
import type { SharedCounters } from "../counters/shared-counters.js";
import { VisitCounter } from "../counters/visit-counter.js";
import type { Deliver, Pending, SinkOutcome, VisitSink } from "../sink/visit-sink.js";
import type { ClusterState } from "./cluster-state.js";

/**
 * Counts like VisitCounter (the shared total and this second's bucket) but
 * answers with the number taken from the cluster's blocks for this visit.
 */
export class ClusterCounter extends VisitCounter {
  /** Set by ClusterSink just before the wrapped sink counts the visit. */
  number = 0;

  constructor(counters: SharedCounters, slot: number, clock: Clock) {
    super(counters, slot, clock);
  }

  override count(): number {
    super.count();
    return this.number;
  }
}

export class ClusterSink implements VisitSink {
  readonly recordsRequest: boolean;
  readonly answersLater: boolean;
  private readonly state: ClusterState;
  private readonly counter: ClusterCounter;
  private readonly inner: VisitSink;

  /** `inner` must count through `counter`. */
  constructor(state: ClusterState, counter: ClusterCounter, inner: VisitSink) {
    this.state = state;
    this.counter = counter;
    this.inner = inner;
    this.recordsRequest = inner.recordsRequest;
    this.answersLater = inner.answersLater;
  }

  answerLater(deliver: Deliver): void {
    this.inner.answerLater?.(deliver);
  }

  accept(
    body: Uint8Array,
    oneLine: boolean,
    userAgent: string | undefined,
    address: string | number | undefined,
    pending: Pending,
  ): SinkOutcome {
    const number = this.state.takeNumber();
    if (number === 0) return errors.clusterOutOfNumbers;
    // A number taken for a visit the inner sink then refuses (store busy) is left unused: a gap, never a repeat.
    this.counter.number = number;
    return this.inner.accept(body, oneLine, userAgent, address, pending);
  }
}
