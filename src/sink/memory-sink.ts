/** @module In-memory mode: a visit is counted in the shared buffer and nothing else is kept. */
import type { VisitCounter } from "../counters/visit-counter.js";
import type { SinkOutcome, VisitSink } from "./visit-sink.js";

export class MemorySink implements VisitSink {
  readonly recordsRequest = false;
  readonly answersLater = false;
  private readonly counter: VisitCounter;

  constructor(counter: VisitCounter) {
    this.counter = counter;
  }

  accept(): SinkOutcome {
    return this.counter.count();
  }
}
