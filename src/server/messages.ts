/**
 * @module What the main thread and worker threads say to each other.
 * Counting never goes through messages: only start-up, faults and shutdown.
 */

import type { ClusterWorkerData } from "../cluster/cluster-node.js";
import type { ClientAddressSource } from "../http/client-address.js";
import type { LiveLimits } from "../live/live-feed.js";
import type { Durability } from "../store/messages.js";

export interface WorkerConfig {
  readonly counters: SharedArrayBuffer;
  /** This thread's writer slot in the shared header (also its row of the request metrics). */
  readonly slot: number;
  readonly host: string;
  readonly port: number;
  readonly corsOrigins: readonly string[];
  readonly version: string;
  /** Fraction of requests to access-log (0: off). */
  readonly accessLogRate: number;
  readonly logFormat: "json" | "pretty";
  /** Lets tests kill a worker with a real uncaught exception. */
  readonly allowFaultInjection: boolean;
  /** Test hook: a shared clock instead of the system clock. */
  readonly clock?: SharedArrayBuffer;
  /** Persistent mode: this thread's ring to the recorder (absent: in memory). */
  readonly ring?: SharedArrayBuffer;
  readonly durability: Durability;
  /** Which address a stored visit without ip_address gets. */
  readonly clientAddress: ClientAddressSource;
  /** GET /live limits, per thread. */
  readonly live: LiveLimits;
  /** Cluster mode: visit numbers and the sync task's figures (absent: one instance on its own). */
  readonly cluster?: ClusterWorkerData;
  /** Bearer token of the operators' endpoints (null: loopback clients only). */
  readonly adminToken: string | null;
  /** Persistent mode: where /analytics and /export ask the recorder thread (see analytics/messages.ts). */
  readonly analyticsChannel?: string;
}

export type ToWorker = { type: "drain" } | { type: "inject-fault" };

export type FromWorker =
  | { type: "ready"; port: number }
  | { type: "listen-failed"; host: string; port: number }
  | { type: "fatal"; error: string }
  | { type: "error"; error: string };
