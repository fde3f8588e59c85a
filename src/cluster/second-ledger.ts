/**
 * @module Which part of each unsealed second's bucket is this instance's own.
 * In cluster mode a bucket holds this instance's visits (added by workers) and
 * the other instances' visits (added by the sync task from Redis). The sync
 * task finds new local visits as "bucket − remote − already captured", and
 * holds a writer slot a few seconds back so the sealer leaves it room to add
 * late remote visits. Main thread only, like the sealer, so the two never
 * interleave.
 */
import { relativeSecond } from "../counters/clock.js";
import {
  BUCKET_MASK,
  epochMs,
  IDLE,
  publishWriterSecond,
  type SharedCounters,
  SYNC_TASK_SLOT,
  sealedUpTo,
  writerSlotIndex,
} from "../counters/shared-counters.js";

/** Remote visits are added into a second up to this long after it (later ones go into the oldest held second). */
export const HOLD_SECONDS = 3;

interface SecondLedger {
  /** Local visits already captured into a batch. */
  captured: number;
  /** Remote visits the sync task added to the bucket. */
  remote: number;
}

export class SecondLedgers {
  private readonly counters: SharedCounters;
  /** Header index of the writer slot this task holds (SYNC_TASK_SLOT, never a worker's). */
  private readonly writerSlot = writerSlotIndex(SYNC_TASK_SLOT);
  readonly epochSecond: number;
  private readonly seconds = new Map<number, SecondLedger>();
  /** Oldest second not yet final (sealed seconds are final once scanned). */
  private scanFrom: number;
  /** The oldest second the sync task may still add remote visits to (published in its writer slot). */
  held = 0;

  constructor(counters: SharedCounters) {
    this.counters = counters;
    this.epochSecond = epochMs(counters) / 1000;
    this.scanFrom = sealedUpTo(counters) + 1;
  }

  /** Moves the held second to `nowMs`'s second − HOLD_SECONDS (never back). */
  hold(nowMs: number): number {
    const now = relativeSecond(nowMs, this.epochSecond * 1000);
    const held = Math.max(this.held, now - HOLD_SECONDS, sealedUpTo(this.counters) + 1);
    this.held = held;
    publishWriterSecond(this.counters, this.writerSlot, held);
    return now;
  }

  /**
   * Calls `found(unixSecond, visits)` for each second's local visits not
   * captured before, up to second `now`; forgets seconds once sealed.
   */
  capture(now: number, found: (unixSecond: number, visits: number) => void): void {
    const sealed = sealedUpTo(this.counters);
    for (let s = this.scanFrom; s <= now; s++) {
      const ledger = this.ledger(s);
      const local = Atomics.load(this.counters.buckets, s & BUCKET_MASK) - ledger.remote - ledger.captured;
      if (local > 0) {
        ledger.captured += local;
        found(this.epochSecond + s, local);
      }
      if (s <= sealed && s === this.scanFrom) {
        this.seconds.delete(s);
        this.scanFrom = s + 1;
      }
    }
  }

  /**
   * Adds `visits` remote visits to relative second `s` (must be ≥ held).
   * The caller has already added them to the total (recent ≤ total).
   */
  addRemote(s: number, visits: number): void {
    if (s < this.held) throw new RangeError(`second ${s} is before the held second ${this.held}`);
    this.ledger(s).remote += visits;
    Atomics.add(this.counters.buckets, s & BUCKET_MASK, visits);
  }

  /** Remote visits added to second `s` so far (0 for a second no longer tracked). */
  remoteIn(s: number): number {
    return this.seconds.get(s)?.remote ?? 0;
  }

  release(): void {
    publishWriterSecond(this.counters, this.writerSlot, IDLE);
  }

  private ledger(s: number): SecondLedger {
    let ledger = this.seconds.get(s);
    if (ledger === undefined) {
      ledger = { captured: 0, remote: 0 };
      this.seconds.set(s, ledger);
    }
    return ledger;
  }
}
