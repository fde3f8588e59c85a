/**
 * @module A single-producer, single-consumer byte ring in a SharedArrayBuffer:
 * one per worker thread (the producer), read by the recorder thread (the
 * consumer). No lock, no message per record.
 *
 *   control Int32[8]  tail (written by the worker), head (written by the recorder)
 *   data    bytes[capacity], capacity a power of two
 *
 * Positions are byte counters that wrap at 2^32; `pos & mask` is the offset in
 * `data`. Records are journal lines back to back, with no header: what waits
 * to be stored is one stretch of the ring (two where it wraps), which the
 * recorder hands to the kernel as it is. A record never wraps: when one does
 * not fit before the end, the producer fills the rest with spaces (whitespace
 * before the next line, to a JSON-lines reader) and starts again at 0.
 *
 * `head` moves only after the recorder has *committed* the records before it,
 * so it doubles as the durability mark strict mode waits on, and space is
 * reused only once its records are safely stored.
 */

const TAIL = 0;
export const HEAD = 1;
const CONTROL_BYTES = 32;
/** What fills the stretch a record skips at the end of the ring. */
export const FILLER = 0x20;

export const MIN_RING_BYTES = 64 * 1024;
export const MAX_RING_BYTES = 1 << 30;

export interface RingViews {
  readonly buffer: SharedArrayBuffer;
  readonly control: Int32Array;
  readonly bytes: Uint8Array;
  /** The same memory as a Buffer (UTF-8 writes and reads). */
  readonly buf: Buffer;
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
    const { capacity, mask, bytes, control } = this.views;
    const offset = this.tail & mask;
    const untilEnd = capacity - offset;
    // A record that does not fit before the end skips that stretch and starts again at 0.
    const needed = untilEnd >= maxBytes ? maxBytes : untilEnd + maxBytes;
    if (distance(this.head, this.tail) + needed > capacity) {
      this.head = Atomics.load(control, HEAD) >>> 0;
      if (distance(this.head, this.tail) + needed > capacity) return -1;
    }
    if (untilEnd >= maxBytes) return offset;
    // The reader sees the filler only once the next record is published, and writes it out as it is.
    bytes.fill(FILLER, offset);
    this.tail = (this.tail + untilEnd) >>> 0;
    return 0;
  }

  /** Makes the record written at the reserved offset (`size` bytes) visible; returns its end position. */
  publish(size: number): number {
    this.tail = (this.tail + size) >>> 0;
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

/** The consumer side: takes what is pending, then marks it stored with `commit`. */
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
   * What was published and is not yet committed, as views of the ring's
   * memory, in order: one, or two where it wraps (none when nothing waits);
   * `end` is the position after them, for `commit`. Reading frees nothing, so
   * the views stay valid until the commit.
   */
  pending(): PendingRecords {
    const { mask, capacity, bytes } = this.views;
    const end = this.tail();
    const length = distance(this.head, end);
    const from = this.head & mask;
    if (length === 0) return { views: [], end };
    if (from + length <= capacity) return { views: [bytes.subarray(from, from + length)], end };
    return { views: [bytes.subarray(from), bytes.subarray(0, from + length - capacity)], end };
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

export interface PendingRecords {
  readonly views: Uint8Array[];
  readonly end: number;
}
