/**
 * @module One process per node id. Batches carry a per-node sequence number,
 * so two processes writing as one node id would corrupt it. A process claims
 * its node id at its first contact with Redis (a random token, the `owner` of
 * `node:<id>`), and its heartbeat moves the id's `stamp` once a second (the
 * sync function does both; see library.ts). A process that finds the id held
 * by another token watches the stamp: standing still for a whole lease, the
 * holder is gone (kill -9) and the newcomer may take the id over, passing that
 * stamp along (Redis checks it is still the same, atomically); moving, the
 * holder is alive, and the lease starts again from the move. A holder that
 * stops (SIGTERM) beats while it drains, then releases the id: the newcomer
 * claims it then. Only a stamp that keeps moving for IN_USE_LEASES leases
 * means another instance runs with this id, and the newcomer must not run.
 * Only the newcomer's own clock measures the lease: clocks of different
 * machines never meet. A failed call (Redis unreachable) restarts the lease:
 * the holder could not beat either, so a stamp standing still then proves
 * nothing.
 */
import { randomUUID } from "node:crypto";

/**
 * A node id whose holder's stamp stood still this long is free: a process
 * restarted after kill -9 gets its node id back at least this long after its
 * first contact; while the stamp moves (the holder beats once a second), a
 * second process waits, and refuses once it kept moving for IN_USE_LEASES leases.
 */
export const NODE_LEASE_MS = 5000;
/** A stamp moving this many leases on end: another instance runs with this node id (a drain is shorter). */
export const IN_USE_LEASES = 2;

export type ClaimVerdict = "first sight" | "waiting" | "in use";

export class NodeClaim {
  /** This process's token (another process with the same node id has another). */
  readonly token = randomUUID();
  readonly leaseMs: number;
  /** The holder's stamp as last seen, and since when it stood still (seen, or the last failed call). */
  private seen: { stamp: string; sinceMs: number } | undefined;
  /** When the stamp's current run of moves began (none: it has not moved, or stood still a lease since). */
  private movingSinceMs: number | undefined;
  /** When the stamp last moved. */
  private lastMoveMs = Number.NEGATIVE_INFINITY;

  constructor(leaseMs = NODE_LEASE_MS) {
    this.leaseMs = leaseMs;
  }

  /** The stamp to claim over: the holder's once it stood still for a whole lease; else "" (claim only a free id). */
  lapsedStamp(nowMs = performance.now()): string {
    const seen = this.seen;
    return seen !== undefined && nowMs - seen.sinceMs >= this.leaseMs ? seen.stamp : "";
  }

  /**
   * Redis refused the claim: the id is held, its stamp `stamp`. A move restarts
   * the lease; "in use" once the stamp kept moving for IN_USE_LEASES leases.
   */
  refused(stamp: string, nowMs = performance.now()): ClaimVerdict {
    if (this.seen === undefined) {
      this.seen = { stamp, sinceMs: nowMs };
      return "first sight";
    }
    if (stamp === this.seen.stamp) return "waiting";
    // A run of moves ends when the stamp stood still for a lease between two of them.
    if (this.movingSinceMs === undefined || nowMs - this.lastMoveMs >= this.leaseMs) this.movingSinceMs = nowMs;
    this.lastMoveMs = nowMs;
    this.seen = { stamp, sinceMs: nowMs };
    return nowMs - this.movingSinceMs >= IN_USE_LEASES * this.leaseMs ? "in use" : "waiting";
  }

  /** A call to Redis failed: the holder may not have reached it either, so its lease starts again. */
  failed(nowMs = performance.now()): void {
    if (this.seen !== undefined) this.seen.sinceMs = nowMs;
  }
}
