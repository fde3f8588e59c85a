/**
 * @module What /health, /ready and /metrics say about cluster mode, read from
 * the cluster's shared memory in any thread: lock-free, no Redis call.
 */
import type { ClusterHealth } from "../contract/types.js";
import { CLUSTER_NEVER, CLUSTER_OK, type ClusterState } from "./cluster-state.js";

/** What a worker knows of the cluster besides the shared memory. */
export interface ClusterView {
  readonly state: ClusterState;
  readonly nodeId: string;
  /** The Redis URL without its password. */
  readonly redis: string;
}

export function clusterHealth(view: ClusterView, nowMs: number): ClusterHealth {
  const { state } = view;
  const last = state.figure("lastSyncMs");
  return {
    state: state.state === CLUSTER_OK ? "ok" : "degraded",
    node_id: view.nodeId,
    redis: view.redis,
    last_sync_age_ms: last > 0 ? Math.max(0, Math.round(nowMs - last)) : null,
    pending_visits: state.figure("pendingVisits"),
    ids_left: state.numbersLeft(),
    nodes: state.nodes,
  };
}

/** Not ready until the first contact with Redis (no numbers to count with before it). */
export function clusterNotReady(view: ClusterView): string | undefined {
  return view.state.state === CLUSTER_NEVER ? "no contact with Redis yet (cluster mode)" : undefined;
}

export function clusterMetrics(view: ClusterView, nowMs: number): string[] {
  const { state } = view;
  const lines: string[] = [];
  const metric = (name: string, type: string, help: string, value: number) =>
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, `${name} ${value}`);
  const last = state.figure("lastSyncMs");
  metric(
    "traffic_tracker_cluster_up",
    "gauge",
    "1 while syncs with Redis succeed, 0 otherwise.",
    state.state === CLUSTER_OK ? 1 : 0,
  );
  metric(
    "traffic_tracker_cluster_last_sync_age_seconds",
    "gauge",
    "Since the last successful sync with Redis (-1: never).",
    last > 0 ? Math.max(0, nowMs - last) / 1000 : -1,
  );
  // A summary without quantiles: _sum and _count as one family (two counters so named fail `promtool check metrics`).
  lines.push(
    "# HELP traffic_tracker_cluster_flush_seconds Successful syncs with Redis and the time they took (sum / count: the mean).",
    "# TYPE traffic_tracker_cluster_flush_seconds summary",
    `traffic_tracker_cluster_flush_seconds_sum ${state.figure("flushSecondsSum")}`,
    `traffic_tracker_cluster_flush_seconds_count ${state.figure("flushes")}`,
  );
  metric(
    "traffic_tracker_cluster_pending_visits",
    "gauge",
    "Visits counted here that Redis has not acknowledged yet.",
    state.figure("pendingVisits"),
  );
  metric(
    "traffic_tracker_cluster_batches_retried_total",
    "counter",
    "Batches sent again after a failed or unanswered call (applied once: per-node sequence numbers).",
    state.figure("batchesRetried"),
  );
  metric(
    "traffic_tracker_cluster_numbers_reserved_total",
    "counter",
    "Visit numbers reserved from Redis.",
    state.figure("numbersReserved"),
  );
  metric("traffic_tracker_cluster_numbers_left", "gauge", "Reserved visit numbers not used yet.", state.numbersLeft());
  metric(
    "traffic_tracker_cluster_numbers_given_back_total",
    "counter",
    "Unused numbers returned to Redis at shutdown.",
    state.figure("numbersGivenBack"),
  );
  metric(
    "traffic_tracker_cluster_numbers_unused_total",
    "counter",
    "Unused numbers that could not be given back (another instance reserved after them): gaps in visit_count.",
    state.figure("numbersUnused"),
  );
  metric(
    "traffic_tracker_cluster_redis_errors_total",
    "counter",
    "Failed Redis calls and connection errors.",
    state.figure("redisErrors"),
  );
  metric(
    "traffic_tracker_cluster_reconciled_visits_total",
    "counter",
    "Visits found in the store at start that Redis lacked (sent once).",
    state.figure("reconciledVisits"),
  );
  metric("traffic_tracker_cluster_nodes", "gauge", "Instances Redis saw in the last 10 s.", state.nodes);
  return lines;
}
