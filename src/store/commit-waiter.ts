/**
 * @module strict durability, worker side: responses held until the recorder
 * has committed the records before them. One Atomics.waitAsync on the ring's
 * head per commit (not per visit) releases every response it covers, in order.
 */
import { H_STORE_STATE, type SharedCounters, STORE_FAILED } from "../counters/layout.js";
import { HEAD, viewRing } from "./ring.js";

/** How often a waiter also looks at the store's state (a store that failed releases nobody). */
const STATE_CHECK_MS = 500;

export interface Held {
  /** Ring position after this visit's record. */
  end: number;
  /** Answer now: stored, or (false) the store gave up and the visit is not stored. */
  release(stored: boolean): void;
}

export class CommitWaiter {
  private readonly control: Int32Array;
  private readonly header: Int32Array;
  private readonly held: Held[] = [];
  private first = 0;
  private waiting = false;

  constructor(ring: SharedArrayBuffer, counters: SharedCounters) {
    this.control = viewRing(ring).control;
    this.header = counters.header;
  }

  /** Holds a response until the commit covering `held.end`. */
  hold(held: Held): void {
    this.held.push(held);
    if (!this.waiting) this.check();
  }

  get size(): number {
    return this.held.length - this.first;
  }

  private check = (): void => {
    this.waiting = false;
    const head = Atomics.load(this.control, HEAD);
    const failed = Atomics.load(this.header, H_STORE_STATE) === STORE_FAILED;
    while (this.first < this.held.length) {
      const h = this.held[this.first] as Held;
      // Positions wrap at 2^32: compare by signed distance.
      const stored = ((head - h.end) | 0) >= 0;
      if (!stored && !failed) break;
      this.first++;
      h.release(stored);
    }
    if (this.first === this.held.length) {
      this.held.length = 0;
      this.first = 0;
      return;
    }
    // Race avoided: a commit landing between our load and the wait. waitAsync
    // compares against the head we read, so it returns at once if it moved.
    this.waiting = true;
    const wait = Atomics.waitAsync(this.control, HEAD, head, STATE_CHECK_MS);
    if (wait.async) wait.value.then(this.check);
    else queueMicrotask(this.check);
  };
}
