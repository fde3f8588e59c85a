/**
 * @module Cluster mode in the main thread: the Redis connection, the shared
 * cluster state and the sync task, started with the service and stopped after
 * its workers (final flush, unused numbers given back).
 */
import { hostname } from "node:os";
import type { Clock } from "../counters/clock.js";
import type { SharedCounters } from "../counters/shared-counters.js";
import type { Logger } from "../log.js";
import type { ClusterView } from "./cluster-report.js";
import { ClusterState } from "./cluster-state.js";
import { ClusterSync } from "./cluster-sync.js";
import { RedisLink } from "./redis-link.js";

/** A stopping instance tries this long to hand its last visits to Redis. */
export const FINAL_FLUSH_MS = 5000;

export interface ClusterOptions {
  readonly redisUrl: string;
  /** null: `<hostname>:<port>`. */
  readonly nodeId: string | null;
  readonly clusterKey: string;
}

/** What workers get to report on the cluster (structured-cloneable). */
export interface ClusterWorkerData {
  readonly buffer: SharedArrayBuffer;
  readonly nodeId: string;
  readonly redis: string;
}

/** The node id an instance runs under: `--node-id`, else `<hostname>:<port>`. */
export function resolveNodeId(nodeId: string | null, port: number): string {
  return nodeId ?? `${hostname()}:${port}`;
}

export function clusterView(data: ClusterWorkerData): ClusterView {
  return { state: new ClusterState(data.buffer), nodeId: data.nodeId, redis: data.redis };
}

export class ClusterNode {
  readonly state = new ClusterState();
  readonly nodeId: string;
  private readonly link: RedisLink;
  private readonly sync: ClusterSync;

  constructor(
    options: ClusterOptions,
    context: {
      counters: SharedCounters;
      clock: Clock;
      log: Logger;
      port: number;
      stored?: { visits: number; lastUnixSecond: number };
      /** Another running process holds this node id: the service must stop. */
      onNodeTaken?: (message: string) => void;
    },
  ) {
    this.nodeId = resolveNodeId(options.nodeId, context.port);
    let lastError = "";
    this.link = new RedisLink(options.redisUrl, (message) => {
      // One line per distinct failure, not one per reconnect attempt.
      if (message !== lastError) context.log.warn("cluster: Redis connection error", { error: message });
      lastError = message;
    });
    this.sync = new ClusterSync({
      counters: context.counters,
      state: this.state,
      redis: this.link,
      clusterKey: options.clusterKey,
      nodeId: this.nodeId,
      clock: context.clock,
      log: context.log,
      ...(context.stored ? { stored: context.stored } : {}),
      ...(context.onNodeTaken ? { onNodeTaken: context.onNodeTaken } : {}),
    });
  }

  get workerData(): ClusterWorkerData {
    return { buffer: this.state.buffer, nodeId: this.nodeId, redis: this.link.shownUrl };
  }

  start(): void {
    this.link.start();
    this.sync.start();
  }

  /** After the workers have exited: last flush, numbers given back, connection closed. */
  async stop(): Promise<void> {
    await this.sync.stop(FINAL_FLUSH_MS);
    await this.link.close();
  }
}
