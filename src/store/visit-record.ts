/**
 * @module One accepted visit as bytes in a worker's ring, and back. The worker
 * writes the visit as one JSON line — the journal's format, which DuckDB
 * imports natively — around the request body copied as it came (already
 * validated): one memcpy, no re-serialisation on the request thread.
 *
 *   0  u32 record length (8-aligned)     4  u32 line bytes
 *   8  f64 server time (ms since epoch)
 *   16 {"t":<ms>,"h":<User-Agent header|null>,"p":<client address|null>,"b":<body>,"c":<visit_count>␠…}\n
 *
 * `h` and `p` are the defaults only the worker knows; the store uses them when
 * the body has no user_agent / ip_address. `c` comes last, padded with spaces
 * to a fixed width, because the count is taken only once the room is secured.
 */
import type { VisitCounter } from "../counters/visit-counter.js";
import { alignUp, type RingViews, RingWriter } from "./ring.js";

const HEADER_BYTES = 16;
/** Digits of the largest visit_count (2^53), the fixed width `c` is padded to. */
const COUNT_WIDTH = 16;
/** JSON strings needing escapes: quote, backslash, control characters. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: JSON must escape exactly these control characters.
const NEEDS_ESCAPE = /["\\\u0000-\u001f]/;

const ascii = (s: string) => Uint8Array.from(s, (ch) => ch.charCodeAt(0));
const OPEN_T = ascii('{"t":');
const KEY_H = ascii(',"h":');
const KEY_P = ascii(',"p":');
const KEY_B = ascii(',"b":');
const KEY_C = ascii(',"c":');
const NULL = ascii("null");
const QUOTE = 0x22;
const SPACE = 0x20;
/** Every fixed byte of a line: keys, braces, newline, the widest time and count. */
const FIXED_BYTES = 5 * 5 + 2 + 16 + COUNT_WIDTH;

/** What the store holds for one visit. */
export interface VisitRow {
  visitCount: number;
  tsMs: number;
  userId: string;
  pageUrl: string;
  userAgent: string | null;
  ipAddress: string | null;
  referrer: string | null;
}

/** Worker side: writes records into this thread's ring. */
export class VisitRecordWriter {
  private readonly ring: RingWriter;
  private readonly views: RingViews;
  /** Ring position just after the last record published (strict mode waits for it). */
  lastEnd = 0;

  constructor(ring: SharedArrayBuffer) {
    this.ring = new RingWriter(ring);
    this.views = this.ring.views;
  }

  /**
   * Counts the visit and records it, or returns 0 (nothing counted) when the
   * ring is full. The count comes after the room is secured, so a refused
   * visit never changes a count.
   */
  record(counter: VisitCounter, body: Uint8Array, userAgent: string | undefined, address: string | undefined): number {
    // A UTF-8 byte-order mark is legal before a JSON body, not inside a JSON line.
    if (body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf) body = body.subarray(3);
    const ua = userAgent === undefined ? undefined : jsonText(userAgent);
    const ip = address === undefined ? undefined : jsonText(address);
    const max = HEADER_BYTES + FIXED_BYTES + body.byteLength + textMax(ua) + textMax(ip);
    const offset = this.ring.reserve(max);
    if (offset < 0) return 0;
    const { bytes, u32, f64 } = this.views;
    const tsMs = Math.floor(counter.refreshedAtMs);
    const lineStart = offset + HEADER_BYTES;
    let at = put(bytes, lineStart, OPEN_T);
    at = putDigits(bytes, at, tsMs);
    at = this.putText(put(bytes, at, KEY_H), ua);
    at = this.putText(put(bytes, at, KEY_P), ip);
    at = put(bytes, at, KEY_B);
    bytes.set(body, at);
    blankLineBreaks(bytes, at, at + body.byteLength);
    at = put(bytes, at + body.byteLength, KEY_C);
    const countAt = at;
    at += COUNT_WIDTH;
    bytes[at++] = 0x7d; // }
    bytes[at++] = 0x0a; // \n
    const size = at - offset;
    u32[offset >>> 2] = alignUp(size);
    u32[(offset >>> 2) + 1] = at - lineStart;
    f64[(offset >>> 3) + 1] = tsMs;
    // The one step that cannot be undone comes last: nothing after it can fail before publish.
    const count = counter.record();
    bytes.fill(SPACE, putDigits(bytes, countAt, count), countAt + COUNT_WIDTH);
    this.lastEnd = this.ring.publish(size);
    return count;
  }

  /** Fraction of the ring in use. */
  fill(): number {
    return this.ring.fill();
  }

  private putText(at: number, text: JsonText | undefined): number {
    const { bytes, buf } = this.views;
    if (text === undefined) return put(bytes, at, NULL);
    if (text.escaped) return at + buf.write(text.value, at, "utf8");
    bytes[at] = QUOTE;
    const n = buf.write(text.value, at + 1, "utf8");
    bytes[at + 1 + n] = QUOTE;
    return at + n + 2;
  }
}

/** A header value as JSON: most need no escaping, so most are written as they are between quotes. */
interface JsonText {
  value: string;
  /** `value` is already a quoted JSON string. */
  escaped: boolean;
}

const jsonText = (s: string): JsonText =>
  NEEDS_ESCAPE.test(s) ? { value: JSON.stringify(s), escaped: true } : { value: s, escaped: false };

/** Most bytes the text can take as UTF-8 between its quotes. */
const textMax = (t: JsonText | undefined) => (t === undefined ? NULL.length : t.value.length * 3 + 2);

function put(bytes: Uint8Array, at: number, piece: Uint8Array): number {
  for (let i = 0; i < piece.length; i++) bytes[at + i] = piece[i] as number;
  return at + piece.length;
}

/** Writes a non-negative integer in ASCII; returns the position after it. */
function putDigits(bytes: Uint8Array, at: number, n: number): number {
  let digits = 1;
  for (let p = 10; p <= n; p *= 10) digits++;
  for (let i = digits - 1; i >= 0; i--) {
    bytes[at + i] = 0x30 + (n % 10);
    n = Math.floor(n / 10);
  }
  return at + digits;
}

/**
 * Raw line breaks in a valid JSON body are whitespace (inside strings they
 * must be escaped): blank them so one visit stays one line. A plain loop: the
 * typed-array indexOf builtin is a runtime call, dearer on 200 bytes.
 */
function blankLineBreaks(bytes: Uint8Array, from: number, to: number): void {
  for (let i = from; i < to; i++) {
    const b = bytes[i] as number;
    if (b < 0x0e && (b === 0x0a || b === 0x0d)) bytes[i] = SPACE;
  }
}

/** Recorder side: bytes of the journal line of the record at `offset`. */
export const lineBytes = (views: RingViews, offset: number) => views.u32[(offset >>> 2) + 1] as number;

/** Recorder side: the record's server time (ms). */
export const recordTime = (views: RingViews, offset: number) => views.f64[(offset >>> 3) + 1] as number;

/** Recorder side: copies the record's journal line to `target` at `at`; returns the position after it. */
export function copyLine(views: RingViews, offset: number, target: Buffer, at: number): number {
  const start = offset + HEADER_BYTES;
  return at + views.buf.copy(target, at, start, start + lineBytes(views, offset));
}

/** A body field as stored: a string, or null when absent, null or not a string. */
const text = (value: unknown): string | null => (typeof value === "string" ? value : null);

/**
 * A journal line back to the row it stands for, by JavaScript's JSON rules —
 * the ones the body was validated by. Throws if the line is not a visit.
 */
export function parseVisitLine(line: string): VisitRow {
  const record = JSON.parse(line) as {
    t?: unknown;
    h?: unknown;
    p?: unknown;
    b?: Record<string, unknown>;
    c?: unknown;
  };
  const body = record.b;
  const userId = body?.user_id;
  const pageUrl = body?.page_url;
  if (typeof record.c !== "number" || typeof record.t !== "number" || typeof userId !== "string") {
    throw new Error("not a visit record");
  }
  if (typeof pageUrl !== "string") throw new Error("not a visit record");
  return {
    visitCount: record.c,
    tsMs: record.t,
    userId,
    pageUrl,
    // API.md: when absent (or null), the request's User-Agent header and the client address are recorded.
    userAgent: text(body?.user_agent) ?? text(record.h),
    ipAddress: text(body?.ip_address) ?? text(record.p),
    referrer: text(body?.referrer),
  };
}

/** For tests: the row of the record at `offset` in a ring. */
export function decodeVisit(views: RingViews, offset: number): VisitRow {
  const start = offset + HEADER_BYTES;
  return parseVisitLine(views.buf.toString("utf8", start, start + lineBytes(views, offset)));
}

/** Lone UTF-16 surrogates (JSON.parse accepts "\ud800"; UTF-8 text cannot hold one). */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const wellFormed = (s: string | null) => (s === null ? null : s.replace(LONE_SURROGATE, "\ufffd"));

/**
 * A journal segment rewritten by JavaScript's JSON rules, for the lines
 * DuckDB's reader refuses: each line becomes the row it stands for, lone
 * surrogates become U+FFFD (as the Appender did), and lines that are not
 * visits — the torn tail of a crash — are dropped and counted.
 */
export function cleanJournal(text: string): { lines: string; dropped: number } {
  const out: string[] = [];
  let dropped = 0;
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    let row: VisitRow;
    try {
      row = parseVisitLine(line);
    } catch {
      dropped++;
      continue;
    }
    const b = {
      user_id: wellFormed(row.userId),
      page_url: wellFormed(row.pageUrl),
      user_agent: wellFormed(row.userAgent),
      ip_address: wellFormed(row.ipAddress),
      referrer: wellFormed(row.referrer),
    };
    out.push(`${JSON.stringify({ t: row.tsMs, h: null, p: null, b, c: row.visitCount })}\n`);
  }
  return { lines: out.join(""), dropped };
}
