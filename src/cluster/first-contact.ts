/**
 * @module The first exchange with Redis: the claim on the node id (see
 * node-claim.ts), then this node's state and the cluster's history. The sync
 * task applies what it brings (cluster-sync.ts).
 */
import type { Logger } from "../log.js";
import { HISTORY_FUNCTION, SYNC_CLAIM, SYNC_FUNCTION, SYNC_HEARTBEAT, SYNC_NODE_TAKEN } from "./library.js";
import { IN_USE_LEASES, type NodeClaim } from "./node-claim.js";
import { list, num, type RedisCaller } from "./sync-calls.js";

/** This node's state in Redis and the cluster's history, as first read. */
export interface Contact {
  /** This node's last applied seq and applied visits. */
  readonly seq: number;
  readonly applied: number;
  /** Instances seen in the last 10 s. */
  readonly nodes: number;
  /** The cluster's total, and its history as [start second, visits] pairs flattened. */
  readonly total: number;
  readonly history: number[];
}

export interface FirstContactContext {
  readonly redis: RedisCaller;
  readonly prefix: string;
  readonly nodeId: string;
  readonly claim: NodeClaim;
  readonly log: Logger;
  /** Another running process holds the node id: this one must stop. */
  readonly onInUse: (message: string) => void;
}

/** Claims the node id and reads this node's state and the history; undefined while another process holds the id. */
export async function firstContact(c: FirstContactContext, nowMs: number): Promise<Contact | undefined> {
  const hello = list(
    await c.redis.fcall(SYNC_FUNCTION, [
      c.prefix,
      c.nodeId,
      c.claim.token,
      SYNC_CLAIM | SYNC_HEARTBEAT,
      0,
      0,
      0,
      c.claim.lapsedStamp(),
      Math.floor(nowMs / 1000),
    ]),
  );
  if (num(hello[0]) === SYNC_NODE_TAKEN) {
    const verdict = c.claim.refused(String(hello[1]));
    if (verdict === "first sight") {
      c.log.warn("cluster: node id held by another process; waiting for its lease to lapse", {
        node_id: c.nodeId,
        lease_ms: c.claim.leaseMs,
      });
    } else if (verdict === "in use") {
      c.onInUse(
        `node id "${c.nodeId}" is in use by another running instance on this Redis (its heartbeat went on for ${(IN_USE_LEASES * c.claim.leaseMs) / 1000} s): give each instance its own --node-id`,
      );
    }
    return undefined;
  }
  const history = list(await c.redis.fcall(HISTORY_FUNCTION, [c.prefix, Math.floor(nowMs / 1000)]));
  return {
    seq: num(hello[3]),
    applied: num(hello[2]),
    nodes: num(hello[6]),
    total: num(history[0]),
    history: history.slice(1).map(num),
  };
}
