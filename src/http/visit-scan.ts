/**
 * @module One pass over the bytes of a POST /visit body that accepts the
 * common case (a flat JSON object of plain ASCII strings and nulls) without
 * TextDecoder, JSON.parse or typia, and allocates nothing.
 *
 * It never rejects. Whatever it is not sure of (escapes, non-ASCII text,
 * numbers, nesting, a repeated field, a rule broken) is UNDECIDED and goes
 * the full way (parseVisit), which decides and says why. So it can only be
 * wrong by accepting what parseVisit refuses; the differential test in
 * test/unit/visit-scan.test.ts holds it to that. The limits below mirror
 * src/contract/types.ts: looser ones fail that test's boundary cases,
 * stricter ones only send more bodies the full way.
 */

/** Not decided here: run parseVisit. */
export const UNDECIDED = 0;
/** A valid visit. */
export const ACCEPTED = 1;
/** With ACCEPTED: `user_agent` is a string (absent or null: record the header). */
export const HAS_USER_AGENT = 2;
/** With ACCEPTED: `ip_address` is a string (absent or null: record the client address). */
export const HAS_IP_ADDRESS = 4;
/**
 * With ACCEPTED: the body may hold a raw line break (CR or LF) between tokens,
 * which the store must blank to keep a visit on one journal line. Without it
 * the body is one line as it is, and the store copies it without a second pass.
 */
export const HAS_LINE_BREAK = 8;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN = 0x7b;
const CLOSE = 0x7d;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;

// Field ids are bits of the `seen` mask (a repeated field is left to JSON.parse: the last one wins there).
const USER_ID = 1;
const PAGE_URL = 2;
const USER_AGENT = 4;
const IP_ADDRESS = 8;
const REFERRER = 16;
const REQUIRED = USER_ID | PAGE_URL;

interface Field {
  readonly id: number;
  /** The longest value, in code points (one byte each in plain ASCII). */
  readonly max: number;
  /** The name's length in bytes. */
  readonly length: number;
  /** The name's first and last four bytes as little-endian words: a key is matched in two comparisons. */
  readonly head: number;
  readonly tail: number;
  /** Bytes 4 and 5 (little-endian), which the two words miss in a 10-byte name. */
  readonly middle: number;
}
const word = (b: Uint8Array, i: number) =>
  (b[i] as number) | ((b[i + 1] as number) << 8) | ((b[i + 2] as number) << 16) | ((b[i + 3] as number) << 24);
const fieldSpec = (text: string, id: number, max: number): Field => {
  const name = new TextEncoder().encode(text);
  const middle = (name[4] as number) | ((name[5] as number) << 8);
  return { id, max, length: name.length, head: word(name, 0), tail: word(name, name.length - 4), middle };
};
const USER_ID_FIELD = fieldSpec("user_id", USER_ID, 256);
const PAGE_URL_FIELD = fieldSpec("page_url", PAGE_URL, 2048);
const USER_AGENT_FIELD = fieldSpec("user_agent", USER_AGENT, 1024);
const IP_ADDRESS_FIELD = fieldSpec("ip_address", IP_ADDRESS, 45); // checked as an address besides
const REFERRER_FIELD = fieldSpec("referrer", REFERRER, 2048);

/** HAS_LINE_BREAK once skipSpace has passed a CR or LF in the body being scanned. */
let lineBreak = 0;

function skipSpace(b: Uint8Array, i: number): number {
  while (i < b.length) {
    const c = b[i] as number;
    if (c === 0x20 || c === 0x09) i++;
    else if (c === 0x0a || c === 0x0d) {
      lineBreak = HAS_LINE_BREAK;
      i++;
    } else break;
  }
  return i;
}

/**
 * 1 for the bytes a plain string holds as they are: printable ASCII but the
 * quote and the backslash. A plain array of small integers, not a Uint8Array:
 * uWS detaches every body chunk's ArrayBuffer after onData, and once any
 * buffer in the thread has been detached V8 checks for it on every typed-array
 * access, which a plain array's reads do not pay.
 */
const PLAIN: readonly number[] = Array.from({ length: 256 }, (_, c) =>
  c >= 0x20 && c < 0x80 && c !== QUOTE && c !== BACKSLASH ? 1 : 0,
);

/** Index of the closing quote of a string whose text starts at `i`, or -1 if it is not plain printable ASCII. */
function plainStringEnd(b: Uint8Array, i: number): number {
  const n = b.length;
  // Eight bytes a round while they last: one branch instead of eight.
  while (
    i + 8 <= n &&
    ((PLAIN[b[i] as number] as number) &
      (PLAIN[b[i + 1] as number] as number) &
      (PLAIN[b[i + 2] as number] as number) &
      (PLAIN[b[i + 3] as number] as number) &
      (PLAIN[b[i + 4] as number] as number) &
      (PLAIN[b[i + 5] as number] as number) &
      (PLAIN[b[i + 6] as number] as number) &
      (PLAIN[b[i + 7] as number] as number)) ===
      1
  ) {
    i += 8;
  }
  while (i < n && PLAIN[b[i] as number] === 1) i++;
  return i < n && b[i] === QUOTE ? i : -1;
}

/**
 * The field whose name the key starting at `start` is (its closing quote
 * included), or undefined for any other key. Matched in place, so a known key
 * is read once; an unknown one is then skipped by plainStringEnd.
 */
function knownKeyAt(b: Uint8Array, start: number): Field | undefined {
  // The names differ in their first letter, user_id and user_agent in their sixth: one or two loads pick the candidate.
  let field: Field;
  switch (b[start]) {
    case 0x75: // u
      field = b[start + 5] === 0x69 ? USER_ID_FIELD : USER_AGENT_FIELD;
      break;
    case 0x70: // p
      field = PAGE_URL_FIELD;
      break;
    case 0x72: // r
      field = REFERRER_FIELD;
      break;
    case 0x69: // i
      field = IP_ADDRESS_FIELD;
      break;
    default:
      return undefined;
  }
  const end = start + field.length;
  // Two words cover a name of up to 8 bytes (they overlap for 7); the 10-byte ones add bytes 4 and 5.
  if (b[end] !== QUOTE || word(b, start) !== field.head || word(b, end - 4) !== field.tail) return undefined;
  if (field.length === 10 && ((b[start + 4] as number) | ((b[start + 5] as number) << 8)) !== field.middle) {
    return undefined;
  }
  return field;
}

/** Dotted-quad IPv4 as typia's `ipv4` format takes it: four 0–255 parts, no leading zeros. */
export function isIpv4At(b: Uint8Array, start: number, end: number): boolean {
  let i = start;
  for (let part = 0; part < 4; part++) {
    if (part > 0) {
      if (i >= end || b[i] !== DOT) return false;
      i++;
    }
    const first = i;
    let value = 0;
    while (i < end && i - first < 3 && isDigit(b[i] as number)) {
      value = value * 10 + (b[i] as number) - ZERO;
      i++;
    }
    const digits = i - first;
    if (digits === 0 || value > 255 || (digits > 1 && b[first] === ZERO)) return false;
  }
  return i === end;
}

const isDigit = (c: number) => c >= ZERO && c <= NINE;
const isHex = (c: number) => isDigit(c) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x66);

/**
 * IPv6 text as typia's `ipv6` format takes it (RFC 4291 forms, no zone):
 * groups of 1–4 hex digits, the last two may be written as IPv4, and one `::`
 * may stand for one or more zero groups.
 */
export function isIpv6At(b: Uint8Array, start: number, end: number): boolean {
  let groups = 0;
  let compressed = false;
  let i = start;
  if (end - start >= 2 && b[i] === COLON && b[i + 1] === COLON) {
    compressed = true;
    i += 2;
    if (i === end) return true;
  }
  for (;;) {
    const first = i;
    while (i < end && i - first < 4 && isHex(b[i] as number)) i++;
    if (i < end && b[i] === DOT) {
      // An IPv4 tail: the last 32 bits, after at least one colon.
      if (first === start || !isIpv4At(b, first, end)) return false;
      groups += 2;
      break;
    }
    if (i === first) return false;
    groups++;
    if (i === end) break;
    if (b[i] !== COLON) return false;
    i++;
    if (b[i] === COLON) {
      if (compressed) return false;
      compressed = true;
      i++;
      if (i === end) break;
    } else if (i === end) {
      return false; // a single trailing colon
    }
  }
  return compressed ? groups <= 7 : groups === 8;
}

/** ACCEPTED with HAS_* flags when the body is surely a valid visit, else UNDECIDED. */
export function scanVisit(b: Uint8Array): number {
  lineBreak = 0;
  let i = skipSpace(b, 0);
  if (b[i] !== OPEN) return UNDECIDED;
  let seen = 0;
  let flags = ACCEPTED;
  for (;;) {
    // Whitespace between tokens is rare: test one byte here and call skipSpace only when it may be some.
    // Out of line, skipSpace leaves V8 the inlining budget for plainStringEnd.
    if ((b[++i] as number) <= 0x20) i = skipSpace(b, i);
    if (b[i] !== QUOTE) return UNDECIDED; // also `{}`: fields are missing
    const field = knownKeyAt(b, i + 1);
    const keyEnd = field !== undefined ? i + 1 + field.length : plainStringEnd(b, i + 1);
    if (keyEnd === -1) return UNDECIDED;
    i = keyEnd + 1;
    if ((b[i] as number) <= 0x20) i = skipSpace(b, i);
    if (b[i] !== COLON) return UNDECIDED;
    if ((b[++i] as number) <= 0x20) i = skipSpace(b, i);
    if (b[i] === QUOTE) {
      const valueEnd = plainStringEnd(b, i + 1);
      if (valueEnd === -1) return UNDECIDED;
      if (field !== undefined) {
        const length = valueEnd - i - 1;
        if (length > field.max || (length === 0 && (field.id & REQUIRED) !== 0)) return UNDECIDED;
        if (field.id === IP_ADDRESS && !isIpv4At(b, i + 1, valueEnd) && !isIpv6At(b, i + 1, valueEnd)) {
          return UNDECIDED;
        }
        if (field.id === USER_AGENT) flags |= HAS_USER_AGENT;
        if (field.id === IP_ADDRESS) flags |= HAS_IP_ADDRESS;
      }
      i = valueEnd + 1;
    } else if (b[i] === 0x6e && b[i + 1] === 0x75 && b[i + 2] === 0x6c && b[i + 3] === 0x6c) {
      // null: fine for an optional field or an unknown one, never for a required one.
      if (field !== undefined && (field.id & REQUIRED) !== 0) return UNDECIDED;
      i += 4;
    } else {
      return UNDECIDED;
    }
    if (field !== undefined) {
      if ((seen & field.id) !== 0) return UNDECIDED;
      seen |= field.id;
    }
    if ((b[i] as number) <= 0x20) i = skipSpace(b, i);
    if (b[i] === COMMA) continue;
    if (b[i] !== CLOSE) return UNDECIDED;
    break;
  }
  if (skipSpace(b, i + 1) !== b.length || (seen & REQUIRED) !== REQUIRED) return UNDECIDED;
  // Strings here are printable ASCII: a line break can only be whitespace between tokens.
  return flags | lineBreak;
}
