/**
 * @module One accepted visit as bytes in a worker's ring, and back. The worker
 * writes the visit as one JSON line — the journal's format, which DuckDB
 * imports natively — around the request body copied as it came (already
 * validated): one memcpy, no re-serialisation on the request thread. The
 * record is the line and nothing else (see ring.ts):
 *
 *   {"t":<ms>,"h":<User-Agent header|null>,"p":<client address|null>,"b":<body>,"c":<visit_count>␠…}\n
 *
 * `h` and `p` are the defaults only the worker knows; the store uses them when
 * the body has no user_agent / ip_address. `c` comes last, padded with spaces
 * to a fixed width, because the count is taken only once the room is secured.
 */
import { putDigits, putSmall } from "../bytes/digits.js";
import type { VisitCounter } from "../counters/visit-counter.js";
import { FILLER, type RingViews, RingWriter } from "./ring.js";

/** Digits of the largest visit_count (2^53), the fixed width `c` is padded to. */
const COUNT_WIDTH = 16;

const ascii = (s: string) => Uint8Array.from(s, (ch) => ch.charCodeAt(0));
const QUOTE = 0x22;
const DOT = 0x2e;
/** Printable ASCII without a quote or backslash: the same bytes inside a JSON string. */
const PLAIN_TEXT = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/**
 * A fixed stretch of a line as little-endian 32-bit words, the last one
 * zero-padded. Written through a DataView it takes a quarter of the stores of
 * a byte loop, about 6 times faster here (every typed-array access is
 * bounds- and detach-checked); the padding bytes are overwritten by what follows.
 */
interface Piece {
  readonly words: readonly number[];
  readonly length: number;
}

function pieceOf(bytes: Uint8Array): Piece {
  const words: number[] = [];
  for (let i = 0; i < bytes.length; i += 4) {
    words.push(
      ((bytes[i] ?? 0) | ((bytes[i + 1] ?? 0) << 8) | ((bytes[i + 2] ?? 0) << 16) | ((bytes[i + 3] ?? 0) << 24)) >>> 0,
    );
  }
  return { words, length: bytes.length };
}

const OPEN_T = ascii('{"t":');
const KEY_H = ascii(',"h":');
const KEY_B_TEXT = ascii(',"b":');
const KEY_P = pieceOf(ascii(',"p":'));
const KEY_B = pieceOf(KEY_B_TEXT);
const NULL_THEN_P = pieceOf(ascii('null,"p":'));
const NULL_THEN_B = pieceOf(ascii('null,"b":'));
/** The end of every line: the count's key and its width in spaces (the digits go over them), then `}` and a newline. */
const COUNT_AT = 5;
const LINE_END = pieceOf(ascii(`,"c":${" ".repeat(COUNT_WIDTH)}}\n`));
/** Bytes a piece may write past its end (the padding of its last word). */
const WORD_SLACK = 3;
/** Every fixed byte of a line: the opening with the widest time, the keys, the end. */
const FIXED_BYTES = 5 + 16 + KEY_H.length + KEY_P.length + KEY_B.length + LINE_END.length + WORD_SLACK;

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
  private readonly data: DataView;
  /** Ring position just after the last record published (strict mode waits for it). */
  lastEnd = 0;
  /** `{"t":<ms>,"h":` for the time of the last record: it changes only when the worker refreshes its clock. */
  private opening: Piece = { words: [], length: 0 };
  private openingMs = -1;
  /** `"<dotted quad>","b":` for the last IPv4 peer: a keep-alive connection sends many visits from one. */
  private peer: Piece = { words: [], length: 0 };
  private peerIp = -1;
  /** Where pieces are spelled out before they are turned into words. */
  private readonly scratch = new Uint8Array(64);

  constructor(ring: SharedArrayBuffer) {
    this.ring = new RingWriter(ring);
    this.views = this.ring.views;
    this.data = new DataView(this.views.bytes.buffer, this.views.bytes.byteOffset, this.views.bytes.byteLength);
  }

  /**
   * Counts the visit and records it, or returns 0 (nothing counted) when the
   * ring is full. The count comes after the room is secured, so a refused
   * visit never changes a count.
   *
   * `oneLine`: the body holds no raw CR or LF (the scanner saw none), so it
   * needs no blanking pass. `address`: text, or an IPv4 address as an
   * unsigned 32-bit number (printed here: no string is made for it).
   */
  record(
    counter: VisitCounter,
    body: Uint8Array,
    oneLine: boolean,
    userAgent: string | undefined,
    address: string | number | undefined,
  ): number {
    // A UTF-8 byte-order mark is legal before a JSON body, not inside a JSON line.
    if (body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf) body = body.subarray(3);
    // Header values are nearly always plain ASCII: written as they are, with no escaping pass.
    const uaPlain = userAgent !== undefined && PLAIN_TEXT.test(userAgent);
    const ua = userAgent === undefined || uaPlain ? userAgent : JSON.stringify(userAgent);
    const ipPlain = typeof address === "string" && PLAIN_TEXT.test(address);
    const ip = typeof address !== "string" || ipPlain ? address : JSON.stringify(address);
    const ipMax = typeof ip === "number" ? IPV4_MAX_BYTES : textMax(ip, ipPlain);
    const max = FIXED_BYTES + body.byteLength + textMax(ua, uaPlain) + ipMax;
    const offset = this.ring.reserve(max);
    if (offset < 0) return 0;
    const bytes = this.views.bytes;
    const data = this.data;
    const tsMs = Math.floor(counter.refreshedAtMs);
    if (tsMs !== this.openingMs) this.setOpening(tsMs);
    let at = putPiece(data, offset, this.opening);
    at = ua === undefined ? putPiece(data, at, NULL_THEN_P) : putPiece(data, this.putText(at, ua, uaPlain), KEY_P);
    if (typeof ip === "number") {
      if (ip !== this.peerIp) this.setPeer(ip);
      at = putPiece(data, at, this.peer);
    } else {
      at = ip === undefined ? putPiece(data, at, NULL_THEN_B) : putPiece(data, this.putText(at, ip, ipPlain), KEY_B);
    }
    bytes.set(body, at);
    if (!oneLine) blankLineBreaks(bytes, at, at + body.byteLength);
    const countAt = at + body.byteLength + COUNT_AT;
    at = putPiece(data, at + body.byteLength, LINE_END);
    // The one step that cannot be undone comes last: nothing after it can fail before publish.
    const count = counter.record();
    putDigits(bytes, countAt, count); // over the spaces reserved for it
    this.lastEnd = this.ring.publish(at - offset);
    return count;
  }

  /** Whether more than `share` (0..1) of the ring is in use. */
  fillAbove(share: number): boolean {
    return this.ring.fillAbove(share);
  }

  /** `plain`: printable ASCII with nothing to escape; else `text` is already a quoted JSON string. */
  private putText(at: number, text: string, plain: boolean): number {
    const { bytes, buf } = this.views;
    if (!plain) return at + buf.write(text, at, "utf8");
    bytes[at++] = QUOTE;
    at += buf.write(text, at, "latin1"); // plain text: one byte per character either way, and latin1 is the quicker copy
    bytes[at++] = QUOTE;
    return at;
  }

  private setOpening(tsMs: number): void {
    const b = this.scratch;
    b.set(OPEN_T);
    const at = putDigits(b, OPEN_T.length, tsMs);
    b.set(KEY_H, at);
    this.opening = pieceOf(b.subarray(0, at + KEY_H.length));
    this.openingMs = tsMs;
  }

  private setPeer(ip: number): void {
    const b = this.scratch;
    const at = putIpv4(b, 0, ip);
    b.set(KEY_B_TEXT, at);
    this.peer = pieceOf(b.subarray(0, at + KEY_B_TEXT.length));
    this.peerIp = ip;
  }
}

/** Writes a piece's words; returns the position after its bytes (its padding is left for the next write). */
function putPiece(data: DataView, at: number, piece: Piece): number {
  const words = piece.words;
  for (let i = 0; i < words.length; i++) data.setUint32(at + 4 * i, words[i] as number, true);
  return at + piece.length;
}

/** Most bytes a text takes in the line: plain ones as they are between quotes, escaped ones as UTF-8. */
const textMax = (text: string | undefined, plain: boolean) =>
  text === undefined ? 4 : plain ? text.length + 2 : text.length * 3;

/** `"255.255.255.255"` */
const IPV4_MAX_BYTES = 17;

/** An IPv4 address (unsigned 32-bit) as a quoted dotted quad. */
function putIpv4(bytes: Uint8Array, at: number, ip: number): number {
  bytes[at++] = QUOTE;
  for (let shift = 24; shift >= 0; shift -= 8) {
    at = putSmall(bytes, at, (ip >>> shift) & 0xff);
    bytes[at++] = shift === 0 ? QUOTE : DOT;
  }
  return at;
}

/**
 * Raw line breaks in a valid JSON body are whitespace (inside strings they
 * must be escaped): blank them so one visit stays one line. A plain loop: the
 * typed-array indexOf builtin is a runtime call, dearer on 200 bytes.
 */
function blankLineBreaks(bytes: Uint8Array, from: number, to: number): void {
  for (let i = from; i < to; i++) {
    const b = bytes[i] as number;
    if (b < 0x0e && (b === 0x0a || b === 0x0d)) bytes[i] = 0x20;
  }
}

/**
 * Recorder side: how many visits the views hold. A raw line break is found
 * only at the end of a line (a body's own are blanked, header texts are
 * escaped), so each one is a visit. indexOf is a memchr: ≈ 45 ns a line here.
 */
export function countLines(views: readonly Uint8Array[]): number {
  let lines = 0;
  for (const view of views) {
    const b = Buffer.from(view.buffer, view.byteOffset, view.byteLength);
    for (let i = b.indexOf(0x0a); i !== -1; i = b.indexOf(0x0a, i + 1)) lines++;
  }
  return lines;
}

/** Recorder side: the server time (ms) of the first line in `view`, after any filler; NaN if it has none. */
export function firstLineTime(view: Uint8Array): number {
  let i = 0;
  while (i < view.length && view[i] === FILLER) i++;
  i += OPEN_T.length;
  let ms = 0;
  const start = i;
  for (; i < view.length; i++) {
    const digit = (view[i] as number) - 0x30;
    if (digit < 0 || digit > 9) break;
    ms = ms * 10 + digit;
  }
  return i > start ? ms : Number.NaN;
}

/** For tests: the rows of journal lines (views of a ring, or a file's bytes). */
export function decodeLines(views: readonly Uint8Array[]): VisitRow[] {
  return Buffer.concat(views)
    .toString("utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map(parseVisitLine);
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
