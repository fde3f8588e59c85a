/**
 * @module POST /visit input: content type, body size, bytes → validated visit.
 * Pure functions: the route feeds them, tests call them directly.
 */
import { problem } from "../contract/errors.js";
import type { ValidationErrorItem, VisitRequest } from "../contract/types.js";
import { toValidationItems } from "../contract/typia-errors.js";
import { isVisitRequest, validateVisitRequest } from "../generated/validators.js";
import { ACCEPTED, HAS_IP_ADDRESS, HAS_LINE_BREAK, HAS_USER_AGENT } from "./visit-scan.js";

/** Largest accepted body (API.md: 16 KiB). */
export const MAX_BODY_BYTES = 16 * 1024;

/**
 * `application/json`, `application/<anything>+json`, any parameters (charset),
 * any case; a missing header is parsed as JSON (as the old service did).
 */
export function isJsonContentType(header: string): boolean {
  if (header === "" || header === "application/json") return true;
  const semi = header.indexOf(";");
  const type = (semi === -1 ? header : header.slice(0, semi)).trim().toLowerCase();
  return type === "application/json" || (type.startsWith("application/") && type.endsWith("+json"));
}

/**
 * Whether a Content-Length header declares more than MAX_BODY_BYTES. uWS has
 * already rejected a malformed one. Fewer than five digits cannot (16 KiB has
 * five), so the common case skips the number conversion.
 */
export function declaresOversize(header: string): boolean {
  return header.length >= 5 && Number(header) > MAX_BODY_BYTES;
}

export type VisitParse = { ok: true; visit: VisitRequest } | { ok: false; problems: ValidationErrorItem[] };

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/** Bytes of a complete body → a valid visit, or FastAPI-shaped problems. */
export function parseVisit(body: Uint8Array): VisitParse {
  if (body.byteLength === 0) return { ok: false, problems: [problem.missing(["body"])] };
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    // The offset is optional in the contract; finding it would cost a second pass.
    return { ok: false, problems: [problem.jsonInvalid()] };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const at = /position (\d+)/.exec((error as Error).message);
    return { ok: false, problems: [problem.jsonInvalid(at ? Number(at[1]) : undefined)] };
  }
  if (value === null) return { ok: false, problems: [problem.missing(["body"])] };
  if (typeof value !== "object" || Array.isArray(value)) return { ok: false, problems: [problem.notAnObject()] };
  if (isVisitRequest(value)) return { ok: true, visit: value };
  const result = validateVisitRequest(value);
  if (result.success) return { ok: true, visit: result.data };
  return { ok: false, problems: toValidationItems(result.errors, "body") };
}

/**
 * A parsed visit as scanVisit's flags: which recorded defaults it leaves to the
 * server (null counts as absent). Line breaks were not looked for: assume some.
 */
export function scanFlags(visit: VisitRequest): number {
  const flags = ACCEPTED | HAS_LINE_BREAK;
  return flags | (visit.user_agent != null ? HAS_USER_AGENT : 0) | (visit.ip_address != null ? HAS_IP_ADDRESS : 0);
}
