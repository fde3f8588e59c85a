/**
 * @module One process per node id. Batches carry a per-node sequence number,
 * so two processes writing as one node id would corrupt it. A process claims
 * its node id at its first contact with Redis (a random token, the `owner` of
 * `node:<id>`), and its heartbeat moves the id's `stamp` once a second (the
 * sync function does both; see library.ts). A process that finds the id held
 * by another token watches the stamp: moving, the holder is alive and the
 * newcomer must not run; standing still for a whole lease, the holder is gone
 * (kill -9) and the newcomer may take the id over, passing that stamp along
 * (Redis checks it is still the same, atomically). Only the newcomer's own
 * clock measures the lease: clocks of different machines never meet.
 */
import { randomUUID } from "node:crypto";

/**
 * A node id whose holder's stamp stood still this long is free: a process
 * restarted after kill -9 gets its node id back within it; while the stamp
 * moves (the holder beats once a second), a second process refuses.
 */
export const NODE_LEASE_MS = 5000;

export type ClaimVerdict = "first sight" | "waiting" | "in use";

export class NodeClaim {
  /** This process's token (another process with the same node id has another). */
  readonly token = randomUUID();
  readonly leaseMs: number;
  /** The holder's stamp as first seen, and when. */
  private seen: { stamp: string; sinceMs: number } | undefined;

  constructor(leaseMs = NODE_LEASE_MS) {
    this.leaseMs = leaseMs;
  }

  /** The stamp to claim over: the holder's once it stood still for a whole lease; else "" (claim only a free id). */
  lapsedStamp(nowMs = performance.now()): string {
    const seen = this.seen;
    return seen !== undefined && nowMs - seen.sinceMs >= this.leaseMs ? seen.stamp : "";
  }

  /** Redis refused the claim: the id is held, its stamp `stamp`. "in use": the stamp moved since first seen. */
  refused(stamp: string, nowMs = performance.now()): ClaimVerdict {
    if (this.seen === undefined) {
      this.seen = { stamp, sinceMs: nowMs };
      return "first sight";
    }
    return stamp === this.seen.stamp ? "waiting" : "in use";
  }
}
