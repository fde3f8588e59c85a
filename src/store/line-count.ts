/**
 * @module Recorder side of the journal line (see journal-line.ts): how many
 * visits a stretch of a ring holds, and the time of its first one.
 */
import { LINE_OPENING } from "./journal-line.js";
import { FILLER } from "./ring.js";

/**
 * Recorder side: how many visits the views hold. A raw line break is found
 * only at the end of a line (a body's own are blanked, header texts are
 * escaped), so each one is a visit. indexOf is a memchr.
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
  i += LINE_OPENING.length;
  let ms = 0;
  const start = i;
  for (; i < view.length; i++) {
    const digit = (view[i] as number) - 0x30;
    if (digit < 0 || digit > 9) break;
    ms = ms * 10 + digit;
  }
  return i > start ? ms : Number.NaN;
}
