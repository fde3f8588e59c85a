/**
 * @module This process's own metrics: prom-client's defaults, less the three
 * gauges it names `…_total` (nodejs_active_handles_total, …_requests_total,
 * …_resources_total). A `_total` suffix promises a counter, so `promtool
 * check metrics` rejects them and `rate()` over them means nothing; each is
 * the sum of the by-type gauge beside it, which stays: `sum(nodejs_active_handles)`.
 */
import { collectDefaultMetrics, Registry } from "prom-client";

export const DROPPED_TOTAL_GAUGES = [
  "nodejs_active_handles_total",
  "nodejs_active_requests_total",
  "nodejs_active_resources_total",
] as const;

export function processMetricsRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  for (const name of DROPPED_TOTAL_GAUGES) registry.removeSingleMetric(name);
  return registry;
}
