/**
 * @module Worker side of the journal line (see journal-line.ts): each visit
 * written into this thread's ring with one copy of the body and no
 * re-serialisation on the request thread.
 */
import { putDigits, putSmall } from "../bytes/digits.js";
import type { VisitCounter } from "../counters/visit-counter.js";
import { ascii, COUNT_WIDTH, LINE_OPENING } from "./journal-line.js";
import { type RingViews, RingWriter } from "./ring.js";

const QUOTE = 0x22;
const DOT = 0x2e;
/** Printable ASCII without a quote or backslash: the same bytes inside a JSON string. */
const PLAIN_TEXT = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/**
 * A fixed stretch of a line as little-endian 32-bit words, the last one
 * zero-padded. Written through a DataView it takes a quarter of the stores of
 * a byte loop, and each store costs about the same (every typed-array access is
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

/** Writes visits as journal lines into this thread's ring, counting each once its line has room. */
export class LineWriter {
  private readonly ring: RingWriter;
  private readonly views: RingViews;
  private readonly data: DataView;
  /** Ring position just after the last line published (strict mode waits for it). */
  lastEnd = 0;
  /** `{"t":<ms>,"h":` for the time of the last line: it changes only when the worker refreshes its clock. */
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
   * Counts the visit and writes its line, or returns 0 (nothing counted) when the
   * ring is full. The count comes after the room is secured, so a refused
   * visit never changes a count.
   *
   * `oneLine`: the body holds no raw CR or LF (the scanner saw none), so it
   * needs no blanking pass. `address`: text, or an IPv4 address as an
   * unsigned 32-bit number (printed here: no string is made for it).
   */
  write(
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
    const count = counter.count();
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
    b.set(LINE_OPENING);
    const at = putDigits(b, LINE_OPENING.length, tsMs);
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
