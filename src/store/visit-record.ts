/**
 * @module One accepted visit as bytes in a worker's ring, and back. The worker
 * copies the request body as it came (already validated) plus the defaults it
 * alone knows (User-Agent header, client address); the recorder thread parses
 * it again. That keeps string encoding off the request thread: one memcpy.
 *
 *   0  u32 record length (8-aligned)     4  u32 body bytes
 *   8  f64 visit_count                   16 f64 server time (ms since epoch)
 *   24 u16 User-Agent header bytes       26 u16 client address bytes (NONE: absent)
 *   32 body, User-Agent, client address
 */
import type { VisitCounter } from "../counters/visit-counter.js";
import { alignUp, type RingViews, RingWriter } from "./ring.js";

const HEADER_BYTES = 32;
const NONE = 0xffff;
/** Longest header value we record (uWS itself refuses request heads over 4 KiB). */
const MAX_HEADER_BYTES = 4096;

/** What the recorder stores for one visit. */
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
    const uaMax = userAgent === undefined ? 0 : Math.min(userAgent.length * 3, MAX_HEADER_BYTES);
    const ipMax = address === undefined ? 0 : address.length * 3;
    const offset = this.ring.reserve(HEADER_BYTES + body.byteLength + uaMax + ipMax);
    if (offset < 0) return 0;
    const { bytes, buf, u16, u32, f64 } = this.views;
    let at = offset + HEADER_BYTES;
    bytes.set(body, at);
    at += body.byteLength;
    let uaBytes = NONE;
    if (userAgent !== undefined) {
      uaBytes = buf.write(userAgent, at, uaMax, "utf8");
      at += uaBytes;
    }
    let ipBytes = NONE;
    if (address !== undefined) {
      ipBytes = buf.write(address, at, ipMax, "latin1");
      at += ipBytes;
    }
    const size = at - offset;
    u32[offset >>> 2] = alignUp(size);
    u32[(offset >>> 2) + 1] = body.byteLength;
    u16[(offset >>> 1) + 12] = uaBytes;
    u16[(offset >>> 1) + 13] = ipBytes;
    // The counter's refresh time, not a clock read: same second as the bucket, so a rebuild matches /stats.
    f64[(offset >>> 3) + 2] = counter.refreshedAtMs;
    // The one step that cannot be undone comes last: nothing after it can fail before publish.
    const count = counter.record();
    f64[(offset >>> 3) + 1] = count;
    this.lastEnd = this.ring.publish(size);
    return count;
  }

  /** Fraction of the ring in use. */
  fill(): number {
    return this.ring.fill();
  }
}

/** A body field as stored: a string, or null when absent, null or not a string. */
const text = (value: unknown): string | null => (typeof value === "string" ? value : null);

/** Recorder side: the row of the record at `offset`. Throws if the bytes are not a visit. */
export function decodeVisit(views: RingViews, offset: number): VisitRow {
  const { buf, u16, u32, f64 } = views;
  const bodyBytes = u32[(offset >>> 2) + 1] as number;
  const uaBytes = u16[(offset >>> 1) + 12] as number;
  const ipBytes = u16[(offset >>> 1) + 13] as number;
  let at = offset + HEADER_BYTES;
  const body = JSON.parse(buf.toString("utf8", at, at + bodyBytes)) as Record<string, unknown>;
  at += bodyBytes;
  let headerAgent: string | null = null;
  if (uaBytes !== NONE) {
    headerAgent = buf.toString("utf8", at, at + uaBytes);
    at += uaBytes;
  }
  const address = ipBytes === NONE ? null : buf.toString("latin1", at, at + ipBytes);
  const userId = body.user_id;
  const pageUrl = body.page_url;
  if (typeof userId !== "string" || typeof pageUrl !== "string") throw new Error("record without user_id/page_url");
  return {
    visitCount: f64[(offset >>> 3) + 1] as number,
    tsMs: f64[(offset >>> 3) + 2] as number,
    userId,
    pageUrl,
    // API.md: when absent (or null), the request's User-Agent header and the client address are recorded.
    userAgent: text(body.user_agent) ?? headerAgent,
    ipAddress: text(body.ip_address) ?? address,
    referrer: text(body.referrer),
  };
}
