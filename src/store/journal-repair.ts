/**
 * @module Importer side of the journal line (see journal-line.ts): a line
 * back to the row it stands for, and a segment DuckDB's reader refused
 * rewritten by JavaScript's JSON rules.
 */

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
