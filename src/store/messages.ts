/**
 * @module What the main thread and the recorder thread say to each other.
 * Records never go through messages (they go through the rings): only
 * start-up, ring hand-over, store failures and shutdown.
 */
import type { History } from "./visit-store.js";

export type Durability = "batch" | "strict";

export interface RecorderConfig {
  readonly dataDir: string;
  readonly version: string;
  readonly durability: Durability;
  /** Restore per-second counts from this wall-clock ms on. */
  readonly historySinceMs: number;
  /** batch mode: the longest a published visit waits for its commit. */
  readonly batchIntervalMs: number;
  /** A store that keeps failing this long is given up on (the service stops, exit 1). */
  readonly failGraceMs: number;
  /** Journal backlog up to which DuckDB imports wait for idle CPU (0: import at once). */
  readonly journalDeferBytes: number;
  /** Tests: sleep this long before every commit (a slow disk). */
  readonly commitDelayMs: number;
  /** BroadcastChannel name on which workers ask for analytics (see analytics/messages.ts). */
  readonly analyticsChannel?: string;
  /** Cluster mode: this instance's node id, recorded in the store (its exports carry it); null: not in cluster mode. */
  readonly nodeId: string | null;
}

export type ToRecorder =
  | { type: "start"; counters: SharedArrayBuffer }
  | { type: "add-ring"; id: number; ring: SharedArrayBuffer }
  /** Its worker has exited: store what is left in it, then forget it. */
  | { type: "retire-ring"; id: number }
  /** Every worker has exited: store everything, close the store, exit. */
  | { type: "stop" };

export type FromRecorder =
  | { type: "opened"; history: History }
  | { type: "open-failed"; message: string }
  | { type: "failing"; message: string }
  | { type: "recovered" }
  | { type: "failed"; message: string; unstoredRecords: number }
  | { type: "warning"; message: string }
  | { type: "stopped"; rows: number; unstoredRecords: number };
