/**
 * @module Store mode's sink: a visit is counted only once its journal line
 * has room in this thread's ring to the recorder. batch durability answers at
 * once; strict holds the answer until the recorder has committed the line.
 */
import { errors } from "../contract/errors.js";
import type { SharedCounters } from "../counters/shared-counters.js";
import type { VisitCounter } from "../counters/visit-counter.js";
import { type Deliver, PENDING, type Pending, type SinkOutcome, type VisitSink } from "../sink/visit-sink.js";
import { CommitWaiter } from "./commit-waiter.js";
import { LineWriter } from "./line-writer.js";
import type { Durability } from "./messages.js";
import { ringStoreDoorbell, storeTakesVisits } from "./store-status.js";

/** batch mode: wake the recorder early once a ring is this full. */
const RING_DOORBELL_FILL = 0.5;

export class StoreSink implements VisitSink {
  readonly recordsRequest = true;
  readonly answersLater: boolean;
  private readonly counter: VisitCounter;
  private readonly writer: LineWriter;
  private readonly counters: SharedCounters;
  /** strict durability only. */
  private readonly waiter: CommitWaiter<Pending> | undefined;

  constructor(counter: VisitCounter, counters: SharedCounters, ring: SharedArrayBuffer, durability: Durability) {
    this.counter = counter;
    this.writer = new LineWriter(ring);
    this.counters = counters;
    this.waiter = durability === "strict" ? new CommitWaiter<Pending>(ring, counters) : undefined;
    this.answersLater = this.waiter !== undefined;
  }

  answerLater(deliver: Deliver): void {
    this.waiter?.deliverWith((pending, count, stored) => deliver(pending, stored ? count : errors.storeUnavailable));
  }

  accept(
    body: Uint8Array,
    oneLine: boolean,
    userAgent: string | undefined,
    address: string | number | undefined,
    pending: Pending,
  ): SinkOutcome {
    if (!storeTakesVisits(this.counters)) return errors.storeUnavailable;
    const count = this.writer.write(this.counter, body, oneLine, userAgent, address);
    if (count === 0) return errors.storeBusy;
    if (this.waiter === undefined) {
      if (this.writer.fillAbove(RING_DOORBELL_FILL)) ringStoreDoorbell(this.counters);
      return count;
    }
    ringStoreDoorbell(this.counters);
    this.waiter.hold(this.writer.lastEnd, count, pending);
    return PENDING;
  }
}
