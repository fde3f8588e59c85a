/** Generated visits and the brute-force answer /analytics must equal. */
import type { AnalyticsNumbers } from "../../src/analytics/messages.js";
import type { AnalyticsWindow } from "../../src/analytics/window.js";

export interface GenVisit {
  c: number;
  t: number;
  user_id: string;
  page_url: string;
  /** undefined: the key is absent from the body. */
  referrer?: string | null;
}

/** Pages and referrers chosen so ties, unicode order and empty texts all occur. */
export const PAGES = [
  "https://shop.example/a",
  "https://shop.example/b",
  "https://shop.example/Ä",
  "https://shop.example/\uff01", // U+FF01: after U+FFxx's UTF-16 peers but before astral characters by code point
  "https://shop.example/😀",
  "https://shop.example/日本",
  "https://shop.example/a?x=1",
];
export const REFERRERS: Array<string | null | undefined> = [
  undefined,
  null,
  "",
  "https://news.example",
  "https://news.example/😀",
  "https://news.example/\uff01",
  "https://b.example",
];
export const USERS = ["u1", "u2", "ü3", "用户4", "😀5", "u6", "u7", "u8"];

/** A small deterministic generator (tests must be reproducible). */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let r = Math.imul(s ^ (s >>> 15), 1 | s);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
}

export function generateVisits(n: number, times: number[], seed: number, firstCount = 1): GenVisit[] {
  const random = rng(seed);
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)] as T;
  return Array.from({ length: n }, (_, i) => {
    const referrer = pick(REFERRERS);
    return {
      c: firstCount + i,
      t: times[i % times.length] as number,
      user_id: pick(USERS),
      page_url: pick(PAGES),
      ...(referrer === undefined ? {} : { referrer }),
    };
  });
}

/** A journal line as the recorder writes it (the body as a client sent it). */
export const journalLine = (v: GenVisit) =>
  `${JSON.stringify({ t: v.t, h: "test-agent", p: null, b: { user_id: v.user_id, page_url: v.page_url, ...("referrer" in v ? { referrer: v.referrer } : {}) }, c: v.c })}\n`;

/** UTF-8 byte order, which is code point order (DuckDB's default collation). */
const byText = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

export function bruteForce(visits: readonly GenVisit[], w: AnalyticsWindow, limit: number): AnalyticsNumbers {
  const inside = visits.filter((v) => v.t >= w.fromMs && v.t <= w.lastMs);
  const pages = new Map<string, { n: number; users: Set<string> }>();
  const refs = new Map<string, number>();
  const counts = new Array<number>(w.points).fill(0);
  let direct = 0;
  for (const v of inside) {
    const p = pages.get(v.page_url) ?? { n: 0, users: new Set<string>() };
    p.n++;
    p.users.add(v.user_id);
    pages.set(v.page_url, p);
    if (v.referrer === undefined || v.referrer === null || v.referrer === "") direct++;
    else refs.set(v.referrer, (refs.get(v.referrer) ?? 0) + 1);
    const step = Math.floor((v.t - w.firstStepMs) / (w.stepSeconds * 1000));
    counts[step] = (counts[step] as number) + 1;
  }
  return {
    visits: inside.length,
    unique_visitors: new Set(inside.map((v) => v.user_id)).size,
    top_pages: [...pages]
      .sort(([a, x], [b, y]) => y.n - x.n || byText(a, b))
      .slice(0, limit)
      .map(([page_url, p]) => ({ page_url, visits: p.n, unique_visitors: p.users.size })),
    top_referrers: [...refs]
      .sort(([a, x], [b, y]) => y - x || byText(a, b))
      .slice(0, limit)
      .map(([referrer, n]) => ({ referrer, visits: n })),
    direct_visits: direct,
    counts,
  };
}
