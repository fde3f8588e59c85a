/**
 * @module The 200 body of POST /visit as bytes. One template per digit count
 * holds the fixed text; the count is written into it in place. uWS copies the
 * bytes during end(), so one template serves every response of its length:
 * no string is built, flattened and UTF-8 encoded per visit, nothing is
 * allocated.
 */
import { digitCount, putDigits } from "../bytes/digits.js";

const HEAD = '{"success":true,"visit_count":';
const MIDDLE = ',"message":"Visit logged successfully. Total visits: ';
const TAIL = '"}';
/** 2^53 has 16 digits. */
const MAX_DIGITS = 16;

/** The 200 body as a string: the reference the bytes are tested against, and for non-hot paths. */
export const visitBody = (n: number) => `${HEAD}${n}${MIDDLE}${n}${TAIL}`;

/** Index d: the body with room for a d-digit count (index 0 unused). */
const templates: Uint8Array[] = Array.from({ length: MAX_DIGITS + 1 }, (_, d) =>
  new TextEncoder().encode(`${HEAD}${"0".repeat(d)}${MIDDLE}${"0".repeat(d)}${TAIL}`),
);
const FIRST = HEAD.length;

/**
 * The body for visit number `n` (a positive safe integer). The bytes stay
 * valid only until the next call on this thread: hand them to uWS at once.
 */
export function visitBodyBytes(n: number): Uint8Array {
  const digits = digitCount(n);
  if (digits > MAX_DIGITS) return new TextEncoder().encode(visitBody(n)); // past 2^53: never on a real count
  const bytes = templates[digits] as Uint8Array;
  putDigits(bytes, FIRST, n, digits);
  const second = FIRST + digits + MIDDLE.length;
  for (let i = 0; i < digits; i++) bytes[second + i] = bytes[FIRST + i] as number;
  return bytes;
}
