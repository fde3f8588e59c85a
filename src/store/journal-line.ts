/**
 * @module The journal line: one accepted visit, as the worker writes it into
 * its ring and the journal keeps it — JSON lines, which DuckDB imports
 * natively — around the request body copied as it came (already validated):
 *
 *   {"t":<ms>,"h":<User-Agent header|null>,"p":<client address|null>,"b":<body>,"c":<visit_count>␠…}\n
 *
 * `h` and `p` are the defaults only the worker knows; the store uses them when
 * the body has no user_agent / ip_address. `c` comes last, padded with spaces
 * to a fixed width, because the count is taken only once the room is secured.
 * Written by `line-writer.ts` (worker), counted by `line-count.ts` (recorder),
 * read back by `journal-repair.ts` (importer).
 */

export const ascii = (s: string) => Uint8Array.from(s, (ch) => ch.charCodeAt(0));

/** Every line opens with the time's key. */
export const LINE_OPENING = ascii('{"t":');
/** Digits of the largest visit_count (2^53), the fixed width `c` is padded to. */
export const COUNT_WIDTH = 16;
