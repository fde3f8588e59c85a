/**
 * @module The HTTP contract as TypeScript types. typia turns these into the
 * request validators and the OpenAPI schemas, so both always agree.
 */
import type { tags } from "typia";

/**
 * At most N Unicode code points. The contract (like the Python service) counts
 * code points; JavaScript's `length` counts UTF-16 units, where an astral
 * character (emoji) is two. A string of at most N units is always fine; up to
 * 2N units it may still be N code points, so only then do we count them.
 * JSON Schema's `maxLength` already counts code points, so the schema is plain.
 */
export type MaxCodePoints<N extends number> = tags.TagBase<{
  target: "string";
  kind: "maxCodePoints";
  value: N;
  validate: `($input.length <= ${N} || ($input.length <= ${N} * 2 && $input.replace(/[\\uD800-\\uDBFF][\\uDC00-\\uDFFF]/g, "_").length <= ${N}))`;
  exclusive: ["maxLength"];
  schema: { maxLength: N };
}>;

/** An IPv4 or IPv6 address, as Python's `ipaddress.ip_address` accepts. */
export type IpAddress = (string & tags.Format<"ipv4">) | (string & tags.Format<"ipv6">);

/** Body of POST /visit. Unknown fields are ignored. */
export interface VisitRequest {
  /** The shopper's id. */
  user_id: string & tags.MinLength<1> & MaxCodePoints<256>;
  /** The page visited. */
  page_url: string & tags.MinLength<1> & MaxCodePoints<2048>;
  /** When absent, the request's User-Agent header is recorded. */
  user_agent?: (string & MaxCodePoints<1024>) | null;
  /** When absent, the client address is recorded. */
  ip_address?: IpAddress | null;
  referrer?: (string & MaxCodePoints<2048>) | null;
}

export interface VisitResponse {
  success: true;
  /** Total visits including this one: 1, 2, 3, … across all threads, no gap, no repeat. */
  visit_count: number & tags.Type<"uint64">;
  message: string;
}

/** Query of GET /stats. */
export interface StatsQuery {
  /** Window for `recent_visits`, in hours. */
  timeframe_hours?: number & tags.Minimum<0.1> & tags.Maximum<168> & tags.Default<1>;
}

export interface StatsResponse {
  uptime_seconds: number;
  /** `{h}h {m}m {s}s`, hours not wrapped at 24. */
  uptime_formatted: string & tags.Pattern<"^[0-9]+h [0-9]+m [0-9]+s$">;
  total_visits: number & tags.Type<"uint64">;
  /** UTC, ISO 8601, ending in Z. */
  current_time: string & tags.Format<"date-time">;
  server_status: "running";
  /** Visits accepted during the last ceil(timeframe_hours × 3600) seconds. */
  recent_visits: number & tags.Type<"uint64">;
  timeframe_hours: number;
}

export interface HealthResponse {
  status: "healthy" | "unhealthy";
  /** Why the service is unhealthy; absent when healthy. */
  reason?: string;
  workers_alive: number & tags.Type<"uint32">;
  workers_expected: number & tags.Type<"uint32">;
  total_visits: number & tags.Type<"uint64">;
  store: StoreHealth;
  /** Cluster mode only (--redis). */
  cluster?: ClusterHealth;
}

/** This instance's view of the cluster (cluster mode). */
export interface ClusterHealth {
  /** ok: the last sync with Redis succeeded; degraded: Redis is unreachable (counting goes on from reserved numbers). */
  state: "ok" | "degraded";
  node_id: string;
  /** The Redis URL, without its password. */
  redis: string;
  /** Since the last successful sync, ms; null before the first. */
  last_sync_age_ms: (number & tags.Type<"uint64">) | null;
  /** Visits counted here that Redis has not acknowledged yet. */
  pending_visits: number & tags.Type<"uint64">;
  /** Reserved visit numbers left (0: POST /visit answers 503 until Redis is back). */
  ids_left: number & tags.Type<"uint64">;
  /** Instances Redis saw in the last 10 s. */
  nodes: number & tags.Type<"uint32">;
}

/** The visit store as /health sees it. */
export interface StoreHealth {
  /** memory: nothing is persisted; batch or strict: the --durability in force. */
  mode: "memory" | "batch" | "strict";
  /** ok; failing (commits fail, retrying, visits refused with 503); failed (given up, stopping). */
  state?: "ok" | "failing" | "failed";
  /** Recorder lag: age of the oldest visit of the last committed batch when it was committed, ms. */
  lag_ms?: number;
  /** Bytes of accepted visits waiting in the rings for their commit. */
  pending_bytes?: number & tags.Type<"uint64">;
  /** Bytes of committed visits in the journal, not yet moved into DuckDB (normally under a second's worth). */
  journal_bytes?: number & tags.Type<"uint64">;
  /** Since the recorder thread last ran, ms (over 5000: stuck, and unhealthy). */
  heartbeat_age_ms?: number;
}

export interface ReadyResponse {
  status: "ready" | "not ready";
  /** Why not; absent when ready. */
  reason?: string;
}

/** One validation problem, shaped like FastAPI's. */
export interface ValidationErrorItem {
  type: string;
  loc: Array<string | number>;
  msg: string;
}

/** 422 body. */
export interface HTTPValidationError {
  detail: ValidationErrorItem[];
}

/** Every other error body (404, 405, 413, 415, 500, 503). */
export interface HTTPError {
  detail: string;
}

/** GET /analytics: what the campaign drew in the window (operators only). */
export interface AnalyticsResponse {
  timeframe_hours: number;
  /** Start of the window's first second (UTC, whole seconds, Z). */
  from: string & tags.Format<"date-time">;
  /** End of the window: the end of the request's second. */
  to: string & tags.Format<"date-time">;
  /** Visits in the window, acknowledged at least 2 s before the request (all of them in strict mode). */
  visits: number & tags.Type<"uint64">;
  /** Distinct user_id values, exact. */
  unique_visitors: number & tags.Type<"uint64">;
  /** At most `limit`, by visits descending, then page_url ascending (code point order). */
  top_pages: AnalyticsPage[];
  /** At most `limit`, by visits descending, then referrer ascending; visits with no referrer are direct_visits. */
  top_referrers: AnalyticsReferrer[];
  /** Visits whose referrer was absent, null or empty. */
  direct_visits: number & tags.Type<"uint64">;
  series: AnalyticsSeries;
  /** node: this instance's records; cluster: every instance's. */
  scope: "node" | "cluster";
}

export interface AnalyticsPage {
  page_url: string;
  visits: number & tags.Type<"uint64">;
  unique_visitors: number & tags.Type<"uint64">;
}

export interface AnalyticsReferrer {
  referrer: string;
  visits: number & tags.Type<"uint64">;
}

/** Visits per step over the whole window, oldest first, zeros included; the points add up to `visits`. */
export interface AnalyticsSeries {
  /** 60 × ceil(W / 21600), W the window in seconds. */
  step_seconds: number & tags.Type<"uint32">;
  /** [start of the step (UTC, Z), visits in it]. */
  points: [string & tags.Format<"date-time">, number & tags.Type<"uint64">][];
}
