/**
 * @module Who may use the operators' endpoints (API.md): with an admin token,
 * whoever sends it as a bearer token, compared in constant time; without one,
 * loopback clients only. The token is kept as its SHA-256 digest, so the
 * comparison is of equal lengths whatever is sent, and it is never logged.
 */
import { createHash, timingSafeEqual } from "node:crypto";

export type AccessVerdict = "ok" | "unauthenticated" | "forbidden";

const digest = (text: string) => createHash("sha256").update(text, "utf8").digest();

export class AccessPolicy {
  private readonly tokenDigest: Buffer | undefined;

  constructor(adminToken: string | null | undefined) {
    this.tokenDigest = adminToken ? digest(adminToken) : undefined;
  }

  get tokenRequired(): boolean {
    return this.tokenDigest !== undefined;
  }

  /**
   * `authorization`: the request's header ("" when absent). `peer`: what uWS's
   * getRemoteAddress() gives (4 or 16 bytes); read only when no token is set.
   */
  check(authorization: string, peer: () => ArrayBuffer): AccessVerdict {
    if (this.tokenDigest !== undefined) {
      const m = /^\s*bearer\s+(\S+)\s*$/i.exec(authorization);
      const sent = digest(m?.[1] ?? "");
      // Compared even when the header is missing or malformed: the time says nothing about the token.
      const same = timingSafeEqual(sent, this.tokenDigest);
      return same && m !== null ? "ok" : "unauthenticated";
    }
    return isLoopback(new Uint8Array(peer())) ? "ok" : "forbidden";
  }
}

/** 127.0.0.0/8, ::1, and 127.0.0.0/8 mapped into IPv6 (a dual-stack socket's IPv4 peer). */
export function isLoopback(b: Uint8Array): boolean {
  if (b.length === 4) return b[0] === 127;
  if (b.length !== 16) return false;
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  if (b[10] === 0xff && b[11] === 0xff) return b[12] === 127;
  if (b[10] !== 0 || b[11] !== 0) return false;
  return b[12] === 0 && b[13] === 0 && b[14] === 0 && b[15] === 1;
}
