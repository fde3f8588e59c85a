/**
 * @module The one source of time. Everything that needs "now" takes a Clock,
 * so tests can move time by hand, in one thread or across many.
 */

export interface Clock {
  /** Milliseconds since the Unix epoch; never goes backwards. */
  nowMs(): number;
}

/**
 * Wall-clock anchored, monotonic: an NTP step cannot send a visit into an
 * already sealed second. Threads agree to within a millisecond, which the
 * sealer's lag absorbs.
 */
export const systemClock: Clock = {
  nowMs: () => performance.timeOrigin + performance.now(),
};

/** A clock tests move by hand. */
export class ManualClock implements Clock {
  private ms: number;
  constructor(startMs: number) {
    this.ms = startMs;
  }
  nowMs(): number {
    return this.ms;
  }
  set(ms: number): void {
    if (ms < this.ms) throw new Error("ManualClock cannot go backwards");
    this.ms = ms;
  }
  advance(ms: number): void {
    this.set(this.ms + ms);
  }
}

/** A manual clock that lives in shared memory, so worker threads in a test see the same time. */
export class SharedManualClock implements Clock {
  readonly buffer: SharedArrayBuffer;
  private readonly cell: Float64Array;
  constructor(bufferOrStartMs: SharedArrayBuffer | number) {
    if (typeof bufferOrStartMs === "number") {
      this.buffer = new SharedArrayBuffer(8);
      this.cell = new Float64Array(this.buffer);
      this.cell[0] = bufferOrStartMs;
    } else {
      this.buffer = bufferOrStartMs;
      this.cell = new Float64Array(this.buffer);
    }
  }
  nowMs(): number {
    return this.cell[0] as number;
  }
  advance(ms: number): void {
    this.cell[0] = (this.cell[0] as number) + ms;
  }
}

/** Converts clock readings to the relative seconds the buckets are indexed by. */
export function relativeSecond(nowMs: number, epochMs: number): number {
  return Math.floor((nowMs - epochMs) / 1000);
}
