/**
 * @module strict durability, worker side: responses held until the recorder
 * has committed the records before them. One Atomics.waitAsync on the ring's
 * head per commit (not per visit) releases every response it covers, in order.
 */
import type { SharedCounters } from "../counters/shared-counters.js";
import { HEAD, viewRing } from "./ring.js";
import { storeState } from "./store-status.js";

/** How often a waiter also looks at the store's state (a store that failed releases nobody). */
const STATE_CHECK_MS = 500;

/** Answers one held visit: stored (with its count), or not (the store gave up). */
export type Release<P> = (pending: P, count: number, stored: boolean) => void;

export class CommitWaiter<P = unknown> {
  private readonly control: Int32Array;
  private readonly counters: SharedCounters;
  /** Held visits in order, as parallel arrays (no object per visit): ring end, count, pending answer. */
  private readonly ends: number[] = [];
  private readonly counts: number[] = [];
  private readonly pendings: P[] = [];
  private first = 0;
  private waiting = false;
  private release: Release<P> = () => {};

  constructor(ring: SharedArrayBuffer, counters: SharedCounters) {
    this.control = viewRing(ring).control;
    this.counters = counters;
  }

  /** How held visits are answered; set once before the first `hold`. */
  deliverWith(release: Release<P>): void {
    this.release = release;
  }

  /** Holds the answer of visit `count` until the commit covering ring position `end`. */
  hold(end: number, count: number, pending: P): void {
    this.ends.push(end);
    this.counts.push(count);
    this.pendings.push(pending);
    if (!this.waiting) this.check();
  }

  private check = (): void => {
    this.waiting = false;
    const head = Atomics.load(this.control, HEAD);
    const failed = storeState(this.counters) === "failed";
    while (this.first < this.ends.length) {
      const i = this.first;
      // Positions wrap at 2^32: compare by signed distance.
      const stored = ((head - (this.ends[i] as number)) | 0) >= 0;
      if (!stored && !failed) break;
      this.first++;
      this.release(this.pendings[i] as P, this.counts[i] as number, stored);
    }
    if (this.first === this.ends.length) {
      this.ends.length = 0;
      this.counts.length = 0;
      this.pendings.length = 0;
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
