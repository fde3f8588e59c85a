/**
 * @module Prometheus text exposition of the shared counters. The cost is a
 * fixed walk over the slots ever used, whatever the traffic.
 */
import { slotsUsed, workerRestarts, workersAlive, workersExpected } from "../counters/service-status.js";
import type { SharedCounters } from "../counters/shared-counters.js";
import { type StoreFigure, storeFigure, storeMode, storeState } from "../store/store-status.js";
import {
  LATENCY_BUCKETS_MS,
  LATENCY_CELLS,
  latencyCell,
  latencySumCell,
  METRIC_ROUTES,
  METRIC_STATUSES,
  requestCell,
} from "./metric-labels.js";

export const EXPOSITION_TYPE = "text/plain; version=0.0.4; charset=utf-8";

export function renderMetrics(counters: SharedCounters): string {
  const { requests, latency, latencySums } = counters;
  const slots = slotsUsed(counters);
  const lines: string[] = [];
  const family = (name: string, type: string, help: string) =>
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);

  family("traffic_tracker_visits_total", "counter", "Visits accepted (POST /visit answered 200).");
  lines.push(`traffic_tracker_visits_total ${Number(Atomics.load(counters.total, 0))}`);

  family("traffic_tracker_requests_total", "counter", "HTTP requests answered, by route and status.");
  for (let r = 0; r < METRIC_ROUTES.length; r++) {
    for (let s = 0; s < METRIC_STATUSES.length; s++) {
      let n = 0;
      for (let slot = 0; slot < slots; slot++) n += Atomics.load(requests, requestCell(slot, r, s));
      if (n > 0)
        lines.push(`traffic_tracker_requests_total{route="${METRIC_ROUTES[r]}",status="${METRIC_STATUSES[s]}"} ${n}`);
    }
  }

  family("traffic_tracker_request_duration_seconds", "histogram", "Time from request to answer, by route.");
  for (let r = 0; r < METRIC_ROUTES.length; r++) {
    const buckets = new Array<number>(LATENCY_CELLS).fill(0);
    let sumMicros = 0;
    for (let slot = 0; slot < slots; slot++) {
      for (let b = 0; b < LATENCY_CELLS; b++)
        buckets[b] = (buckets[b] as number) + Atomics.load(latency, latencyCell(slot, r, b));
      sumMicros += latencySums[latencySumCell(slot, r)] as number;
    }
    const count = buckets.reduce((a, b) => a + b, 0);
    if (count === 0) continue;
    const route = METRIC_ROUTES[r];
    let cumulative = 0;
    for (let b = 0; b < LATENCY_CELLS; b++) {
      cumulative += buckets[b] as number;
      const le = b < LATENCY_BUCKETS_MS.length ? String((LATENCY_BUCKETS_MS[b] as number) / 1000) : "+Inf";
      lines.push(`traffic_tracker_request_duration_seconds_bucket{route="${route}",le="${le}"} ${cumulative}`);
    }
    lines.push(`traffic_tracker_request_duration_seconds_sum{route="${route}"} ${sumMicros / 1e6}`);
    lines.push(`traffic_tracker_request_duration_seconds_count{route="${route}"} ${cumulative}`);
  }

  family("traffic_tracker_workers", "gauge", "Worker threads, expected and serving.");
  lines.push(`traffic_tracker_workers{state="expected"} ${workersExpected(counters)}`);
  lines.push(`traffic_tracker_workers{state="alive"} ${workersAlive(counters)}`);
  family("traffic_tracker_worker_restarts_total", "counter", "Worker threads that died and were replaced.");
  lines.push(`traffic_tracker_worker_restarts_total ${workerRestarts(counters)}`);
  if (storeMode(counters) !== "memory") storeMetrics(counters, family, lines);
  return `${lines.join("\n")}\n`;
}

/** The visit store's recorder: what it committed, how far behind it is. */
function storeMetrics(
  counters: SharedCounters,
  family: (name: string, type: string, help: string) => void,
  lines: string[],
): void {
  const t = (name: StoreFigure) => storeFigure(counters, name);
  const metric = (name: string, type: string, help: string, value: number) => {
    family(name, type, help);
    lines.push(`${name} ${value}`);
  };
  metric("traffic_tracker_store_commits_total", "counter", "Batches committed to the visit store.", t("commits"));
  metric("traffic_tracker_store_rows_total", "counter", "Visits committed to the visit store.", t("rows"));
  metric(
    "traffic_tracker_store_commit_seconds_total",
    "counter",
    "Time spent committing (divide by commits for the mean).",
    t("commitMs") / 1000,
  );
  metric("traffic_tracker_store_last_batch_rows", "gauge", "Visits in the last committed batch.", t("lastBatchRows"));
  metric(
    "traffic_tracker_store_lag_seconds",
    "gauge",
    "Age of the oldest visit of the last batch when it was committed.",
    t("lagMs") / 1000,
  );
  metric(
    "traffic_tracker_store_pending_bytes",
    "gauge",
    "Accepted visits waiting in the rings for their commit, in bytes.",
    t("pendingBytes"),
  );
  metric(
    "traffic_tracker_store_journal_bytes",
    "gauge",
    "Committed visits in the journal not yet moved into DuckDB, in bytes.",
    t("journalBytes"),
  );
  metric("traffic_tracker_store_failures_total", "counter", "Commits that failed (and were retried).", t("failures"));
  metric(
    "traffic_tracker_store_up",
    "gauge",
    "1 while the visit store commits, 0 while it fails.",
    storeState(counters) === "ok" ? 1 : 0,
  );
}
