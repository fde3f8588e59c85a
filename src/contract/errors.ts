/**
 * @module Every error the API answers with, each with its HTTP status and the
 * exact FastAPI-shaped body (see shared/API.md). Bodies are built once.
 */
import type { ValidationErrorItem } from "./types.js";

export interface ApiError {
  readonly status: string;
  readonly body: string;
}

const detail = (status: string, text: string): ApiError => ({ status, body: JSON.stringify({ detail: text }) });

export const errors = {
  notFound: detail("404 Not Found", "Not Found"),
  methodNotAllowed: detail("405 Method Not Allowed", "Method Not Allowed"),
  bodyTooLarge: detail("413 Payload Too Large", "Request body too large"),
  unsupportedMediaType: detail("415 Unsupported Media Type", "Content-Type must be application/json"),
  internal: detail("500 Internal Server Error", "Internal Server Error"),
  /** The rings to the visit store are full (the disk is behind): refused, nothing counted. */
  storeBusy: detail("503 Service Unavailable", "Too many visits to store right now; retry shortly"),
  /** The visit store cannot write (see /health and the logs): refused, nothing counted. */
  storeUnavailable: detail("503 Service Unavailable", "Visits cannot be stored right now; retry shortly"),
  /** Cluster mode: every reserved visit number is used and Redis is out of reach: refused, nothing counted. */
  clusterOutOfNumbers: detail(
    "503 Service Unavailable",
    "Visits cannot be numbered right now (the cluster's Redis is unreachable); retry shortly",
  ),
  /** Operators' endpoints (/analytics, /export, /dashboard): a token is set and the request lacks it. */
  notAuthenticated: detail("401 Unauthorized", "Not authenticated"),
  /** Operators' endpoints with no token set: only loopback clients. */
  forbidden: detail("403 Forbidden", "Forbidden"),
  analyticsNoStore: detail(
    "503 Service Unavailable",
    "Analytics need the visit store; the service runs with --no-persist",
  ),
  analyticsBusy: detail("503 Service Unavailable", "Too many analytics queries at once; retry shortly"),
  analyticsTimeout: detail("503 Service Unavailable", "The analytics query took too long and was stopped"),
  analyticsFailed: detail("503 Service Unavailable", "The visit store could not answer the query; retry shortly"),
} as const satisfies Record<string, ApiError>;

/** Sent with every 503 of POST /visit: clients back off a second, then retry. */
export const RETRY_AFTER: ReadonlyArray<readonly [string, string]> = [["Retry-After", "1"]];

export const STATUS_UNPROCESSABLE = "422 Unprocessable Entity";

export function validationError(items: ValidationErrorItem[]): ApiError {
  return { status: STATUS_UNPROCESSABLE, body: JSON.stringify({ detail: items }) };
}

// The problems a request can have, in pydantic's words (what the old clients parse).
export const problem = {
  missing: (loc: Array<string | number>): ValidationErrorItem => ({ type: "missing", loc, msg: "Field required" }),
  jsonInvalid: (offset?: number): ValidationErrorItem => ({
    type: "json_invalid",
    loc: offset === undefined ? ["body"] : ["body", offset],
    msg: "JSON decode error",
  }),
  notAnObject: (): ValidationErrorItem => ({
    type: "model_attributes_type",
    loc: ["body"],
    msg: "Input should be a valid dictionary or object to extract fields from",
  }),
  stringType: (loc: Array<string | number>): ValidationErrorItem => ({
    type: "string_type",
    loc,
    msg: "Input should be a valid string",
  }),
  tooShort: (loc: Array<string | number>, min: number): ValidationErrorItem => ({
    type: "string_too_short",
    loc,
    msg: `String should have at least ${min} character${min === 1 ? "" : "s"}`,
  }),
  tooLong: (loc: Array<string | number>, max: number): ValidationErrorItem => ({
    type: "string_too_long",
    loc,
    msg: `String should have at most ${max} characters`,
  }),
  ipAddress: (loc: Array<string | number>): ValidationErrorItem => ({
    type: "ip_any_address",
    loc,
    msg: "value is not a valid IPv4 or IPv6 address",
  }),
  floatParsing: (loc: Array<string | number>): ValidationErrorItem => ({
    type: "float_parsing",
    loc,
    msg: "Input should be a valid number, unable to parse string as a number",
  }),
  finiteNumber: (loc: Array<string | number>): ValidationErrorItem => ({
    type: "finite_number",
    loc,
    msg: "Input should be a finite number",
  }),
  atLeast: (loc: Array<string | number>, min: number): ValidationErrorItem => ({
    type: "greater_than_equal",
    loc,
    msg: `Input should be greater than or equal to ${min}`,
  }),
  intParsing: (loc: Array<string | number>): ValidationErrorItem => ({
    type: "int_parsing",
    loc,
    msg: "Input should be a valid integer, unable to parse string as an integer",
  }),
  literal: (loc: Array<string | number>, allowed: readonly string[]): ValidationErrorItem => ({
    type: "literal_error",
    loc,
    msg: `Input should be ${allowed
      .map((a) => `'${a}'`)
      .join(", ")
      .replace(/, ([^,]*)$/, " or $1")}`,
  }),
  datetime: (loc: Array<string | number>): ValidationErrorItem => ({
    type: "datetime_parsing",
    loc,
    msg: "Input should be a valid datetime (ISO 8601, like 2026-12-02T09:30:00Z)",
  }),
  atMost: (loc: Array<string | number>, max: number): ValidationErrorItem => ({
    type: "less_than_equal",
    loc,
    msg: `Input should be less than or equal to ${max}`,
  }),
};
