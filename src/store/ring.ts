/**
 * @module A single-producer, single-consumer byte ring in a SharedArrayBuffer:
 * one per worker thread (the producer), read by the recorder thread (the
 * consumer). No lock, no message per record.
 *
 *   control Int32[8]  tail (written by the worker), head (written by the recorder)
 *   data    bytes[capacity], capacity a power of two
 *
 * Positions are byte counters that wrap at 2^32; `pos & mask` is the offset in
 * `data`. Records are 8-byte aligned and never wrap: when one does not fit
 * before the end, the producer writes a WRAP marker and starts again at 0.
 *
 * `head` moves only after the recorder has *committed* the records before it,
 * so it doubles as the durability mark strict mode waits on, and space is
 * reused only once its records are safely stored.
 */

const TAIL = 0;
export const HEAD = 1;
const CONTROL_BYTES = 32;
/** Record length marking "skip to the start of the ring". */
export const WRAP = 0xffffffff;
export const ALIGN = 8;

export const MIN_RING_BYTES = 64 * 1024;
export const MAX_RING_BYTES = 1 << 30;

export interface RingViews {
  readonly buffer: SharedArrayBuffer;
  readonly control: Int32Array;
  readonly bytes: Uint8Array;
  /** The same memory as a Buffer (UTF-8 writes and reads). */
  readonly buf: Buffer;
  readonly u16: Uint16Array;
  readonly u32: Uint32Array;
  readonly f64: Float64Array;
  readonly capacity: number;
  readonly mask: number;
}

export function createRing(capacity: number): SharedArrayBuffer {
  if (!Number.isInteger(Math.log2(capacity)) || capacity < MIN_RING_BYTES || capacity > MAX_RING_BYTES) {
    throw new RangeError(`ring capacity must be a power of two from ${MIN_RING_BYTES} to ${MAX_RING_BYTES}`);
  }
  return new SharedArrayBuffer(CONTROL_BYTES + capacity);
}

export function viewRing(buffer: SharedArrayBuffer): RingViews {
  const capacity = buffer.byteLength - CONTROL_BYTES;
  return {
    buffer,
    control: new Int32Array(buffer, 0, CONTROL_BYTES / 4),
    bytes: new Uint8Array(buffer, CONTROL_BYTES, capacity),
    buf: Buffer.from(buffer, CONTROL_BYTES, capacity),
    u16: new Uint16Array(buffer, CONTROL_BYTES, capacity / 2),
    u32: new Uint32Array(buffer, CONTROL_BYTES, capacity / 4),
    f64: new Float64Array(buffer, CONTROL_BYTES, capacity / 8),
    capacity,
    mask: capacity - 1,
  };
}

/** Bytes between two wrapping positions. */
const distance = (from: number, to: number) => (to - from) >>> 0;

/** The producer side. Exactly one thread may write through a ring. */
export class RingWriter {
  readonly views: RingViews;
  /** Our own tail: only we move it, so no need to read it back. */
  private tail: number;
  /**
   * The reader's head as last read. It only ever moves forward, so a stale
   * copy understates the free space and never overstates it: it is read again
   * (an atomic load, a builtin call) only when the copy says a record does not fit.
   */
  private head: number;

  constructor(buffer: SharedArrayBuffer) {
    this.views = viewRing(buffer);
    this.tail = Atomics.load(this.views.control, TAIL) >>> 0;
    this.head = Atomics.load(this.views.control, HEAD) >>> 0;
  }

  /**
   * Room for a record of up to `maxBytes`: its byte offset in `data`, or -1
   * when the ring is full. Nothing is visible to the reader until `publish`.
   */
  reserve(maxBytes: number): number {
    const size = alignUp(maxBytes);
    const { capacity, mask, u32, control } = this.views;
    const offset = this.tail & mask;
    const untilEnd = capacity - offset;
    // A record that does not fit before the end skips that stretch and starts again at 0.
    const needed = untilEnd >= size ? size : untilEnd + size;
    if (distance(this.head, this.tail) + needed > capacity) {
      this.head = Atomics.load(control, HEAD) >>> 0;
      if (distance(this.head, this.tail) + needed > capacity) return -1;
    }
    if (untilEnd >= size) return offset;
    // Skip the short stretch at the end. The reader only sees the marker once published.
    u32[offset >>> 2] = WRAP;
    this.tail = (this.tail + untilEnd) >>> 0;
    return 0;
  }

  /** Makes the record written at the reserved offset (`size` bytes) visible; returns its end position. */
  publish(size: number): number {
    this.tail = (this.tail + alignUp(size)) >>> 0;
    // The atomic store orders every plain write of the record before it (the reader loads tail atomically).
    Atomics.store(this.views.control, TAIL, this.tail | 0);
    return this.tail;
  }

  /** Whether more than `share` (0..1) of the ring is in use; the head is read again only when it seems so. */
  fillAbove(share: number): boolean {
    const limit = share * this.views.capacity;
    if (distance(this.head, this.tail) <= limit) return false;
    this.head = Atomics.load(this.views.control, HEAD) >>> 0;
    return distance(this.head, this.tail) > limit;
  }
}

/** The consumer side: reads records, then marks them stored with `commit`. */
export class RingReader {
  readonly views: RingViews;
  /** Committed (stored) up to here; also the shared HEAD. */
  private head: number;

  constructor(buffer: SharedArrayBuffer) {
    this.views = viewRing(buffer);
    this.head = Atomics.load(this.views.control, HEAD) >>> 0;
  }

  /** Position published by the producer. */
  tail(): number {
    return Atomics.load(this.views.control, TAIL) >>> 0;
  }

  /**
   * Calls `visit(offset)` for every record from the committed head up to the
   * published tail (at most `limit` records); returns the position after the
   * last one read. Reading does not free space: `commit` does.
   */
  read(visit: (offset: number) => void, limit = Number.POSITIVE_INFINITY): number {
    const { mask, capacity, u32 } = this.views;
    const end = this.tail();
    let pos = this.head;
    let n = 0;
    while (pos !== end && n < limit) {
      const offset = pos & mask;
      const length = u32[offset >>> 2] as number;
      if (length === WRAP) {
        pos = (pos + capacity - offset) >>> 0;
        continue;
      }
      visit(offset);
      pos = (pos + length) >>> 0;
      n++;
    }
    return pos;
  }

  /** Records before `pos` are stored: free their space and wake strict-mode waiters. */
  commit(pos: number): void {
    if (pos === this.head) return;
    this.head = pos;
    Atomics.store(this.views.control, HEAD, pos | 0);
    Atomics.notify(this.views.control, HEAD);
  }

  /** Nothing published is waiting to be stored. */
  empty(): boolean {
    return this.tail() === this.head;
  }

  pendingBytes(): number {
    return distance(this.head, this.tail());
  }
}

export function alignUp(n: number): number {
  return (n + ALIGN - 1) & ~(ALIGN - 1);
}
