/**
 * @module Store mode's sink: a visit is counted only once its journal line
 * has room in this thread's ring to the recorder. batch durability answers at
 * once; strict holds the answer until the recorder has committed the line.
 */
import { errors } from "../contract/errors.js";
import { H_STORE_DOORBELL, H_STORE_STATE, type SharedCounters, STORE_OK } from "../counters/layout.js";
import type { VisitCounter } from "../counters/visit-counter.js";
import { type Deliver, PENDING, type Pending, type SinkOutcome, type VisitSink } from "../sink/visit-sink.js";
import { CommitWaiter } from "./commit-waiter.js";
import type { Durability } from "./messages.js";
import { VisitRecordWriter } from "./visit-record.js";

/** batch mode: wake the recorder early once a ring is this full. */
const RING_DOORBELL_FILL = 0.5;

export class StoreSink implements VisitSink {
  readonly recordsRequest = true;
  readonly answersLater: boolean;
  private readonly counter: VisitCounter;
  private readonly writer: VisitRecordWriter;
  private readonly header: Int32Array;
  /** strict durability only. */
  private readonly waiter: CommitWaiter<Pending> | undefined;

  constructor(counter: VisitCounter, counters: SharedCounters, ring: SharedArrayBuffer, durability: Durability) {
    this.counter = counter;
    this.writer = new VisitRecordWriter(ring);
    this.header = counters.header;
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
    // A plain read (an aligned Int32 never tears): a state change seen one request late is fine, and
    // Atomics.load is a builtin call on every visit.
    if (this.header[H_STORE_STATE] !== STORE_OK) return errors.storeUnavailable;
    const count = this.writer.record(this.counter, body, oneLine, userAgent, address);
    if (count === 0) return errors.storeBusy;
    if (this.waiter === undefined) {
      if (this.writer.fillAbove(RING_DOORBELL_FILL)) this.ringDoorbell();
      return count;
    }
    this.ringDoorbell();
    this.waiter.hold(this.writer.lastEnd, count, pending);
    return PENDING;
  }

  /** Wakes the recorder thread (strict: a response waits; batch: a ring is filling). */
  private ringDoorbell(): void {
    Atomics.add(this.header, H_STORE_DOORBELL, 1);
    Atomics.notify(this.header, H_STORE_DOORBELL, 1);
  }
}
