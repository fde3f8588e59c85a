/**
 * @module Decimal integers written straight into bytes (journal lines, the
 * 200 body of POST /visit), without String(n) and a UTF-8 encode per call.
 */

const EIGHT_DIGITS = 100_000_000;

/** How many decimal digits a non-negative integer (up to 2^53) has. */
export function digitCount(n: number): number {
  let digits = 1;
  // Powers of ten up to 1e16 are exact doubles, so this is exact for every safe integer.
  for (let p = 10; p <= n; p *= 10) digits++;
  return digits;
}

/**
 * Writes a non-negative integer (up to 2^53) in ASCII; returns the position
 * after it. `digits`: its digitCount, when the caller already has it.
 */
export function putDigits(bytes: Uint8Array, at: number, n: number, digits = digitCount(n)): number {
  // Small-integer arithmetic only: `%` on a double above 2^31 is a call to fmod, and times have 13 digits.
  if (n < EIGHT_DIGITS) return putSmall(bytes, at, n, digits);
  const high = Math.floor(n / EIGHT_DIGITS);
  at = putSmall(bytes, at, high, digits - 8);
  let low = n - high * EIGHT_DIGITS;
  for (let i = at + 7; i >= at; i--) {
    bytes[i] = 0x30 + (low % 10);
    low = (low / 10) | 0;
  }
  return at + 8;
}

/** putDigits for n < 2^31. */
export function putSmall(bytes: Uint8Array, at: number, n: number, digits = digitCount(n)): number {
  for (let i = at + digits - 1; i >= at; i--) {
    bytes[i] = 0x30 + (n % 10);
    n = (n / 10) | 0;
  }
  return at + digits;
}
