/**
 * @module The labels of the request metrics: routes, statuses, latency
 * buckets. Their counts size the metrics region of the shared buffer.
 */

/** Route labels of the request metrics, in slot order. */
export const METRIC_ROUTES = [
  "/visit",
  "/stats",
  "/health",
  "/ready",
  "/metrics",
  "/openapi.json",
  "docs",
  "other",
] as const;
/** Status codes the service answers with; anything else counts under "other". */
export const METRIC_STATUSES = ["200", "307", "400", "404", "405", "413", "415", "422", "500", "503", "other"] as const;
/** Upper bounds (ms) of the latency histogram buckets; a last one is +Inf. */
export const LATENCY_BUCKETS_MS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 1000] as const;
export const LATENCY_CELLS = LATENCY_BUCKETS_MS.length + 1;

/** Index of a request counter: [slot][route][status]. */
export const requestCell = (slot: number, route: number, status: number) =>
  (slot * METRIC_ROUTES.length + route) * METRIC_STATUSES.length + status;
/** Index of a latency bucket counter: [slot][route][bucket]. */
export const latencyCell = (slot: number, route: number, bucket: number) =>
  (slot * METRIC_ROUTES.length + route) * LATENCY_CELLS + bucket;
/** Index of a latency sum (µs): [slot][route]. */
export const latencySumCell = (slot: number, route: number) => slot * METRIC_ROUTES.length + route;
