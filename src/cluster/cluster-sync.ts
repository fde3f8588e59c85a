/**
 * @module The background task of cluster mode (main thread, every 200 ms):
 * captures this instance's new visits per second from the shared buckets,
 * sends them to Redis as one idempotent batch (a per-node sequence number: a
 * retried batch is applied once), reserves visit numbers with it, and brings
 * the other instances' visits back into the shared total and buckets. One call
 * to Redis per round, whatever the traffic; a heartbeat in one call a second
 * keeps this process's claim on its node id (see library.ts for the cost).
 *
 * The shared total is this instance's visits (added by workers) plus what this
 * task adds: the cluster total as of the last reply, less this instance's
 * visits that reply already holds. So /stats shows every visit once.
 */
import type { Clock } from "../counters/clock.js";
import type { SharedCounters } from "../counters/shared-counters.js";
import type { Logger } from "../log.js";
import { installHistory } from "./cluster-history.js";
import { CLUSTER_DEGRADED, CLUSTER_OK, type ClusterState } from "./cluster-state.js";
import { firstContact } from "./first-contact.js";
import { giveBack } from "./give-back.js";
import {
  keyPrefix,
  SYNC_FUNCTION,
  SYNC_HEARTBEAT,
  SYNC_NEW_HOUR,
  SYNC_NODE_TAKEN,
  SYNC_OLD_SECONDS,
} from "./library.js";
import { NodeClaim } from "./node-claim.js";
import { NumberBudget } from "./number-budget.js";
import { SecondLedgers } from "./second-ledger.js";
import { describe, list, num, type RedisCaller } from "./sync-calls.js";

export type { RedisCaller } from "./sync-calls.js";

/** 200 ms: five calls a second keep a visit's staleness on other instances well under 1 s (measured p99: docs/performance.md). */
export const SYNC_INTERVAL_MS = 200;
/** The round timer's tick: a round is due every SYNC_INTERVAL_MS, or DRY_ROUND_MS after the last when numbers ran out. */
const TICK_MS = 20;
/** Numbers ran out (a surge outran the block): the next round, with a bigger reservation, comes this soon. */
const DRY_ROUND_MS = 50;
/** Every this many rounds (once a second): the heartbeat (nodes seen, the node id's lease, Redis's applied count). */
const HEARTBEAT_ROUNDS = 5;
/** Most seconds in one batch (a long outage's backlog goes over several rounds). */
const MAX_BATCH_SECONDS = 2000;

export interface ClusterSyncOptions {
  readonly counters: SharedCounters;
  readonly state: ClusterState;
  readonly redis: RedisCaller;
  readonly clusterKey: string;
  readonly nodeId: string;
  readonly clock: Clock;
  readonly log: Logger;
  /** Visits this instance's store holds (restart after a crash: those Redis lacks are sent once). */
  readonly stored?: { readonly visits: number; readonly lastUnixSecond: number };
  /** Another running process holds this node id: the sync task has stopped; the service must stop. */
  readonly onNodeTaken?: (message: string) => void;
  /** NODE_LEASE_MS (node-claim.ts) unless a test says otherwise. */
  readonly leaseMs?: number;
}

interface Batch {
  readonly seq: number;
  /** A new seq (visits or a reservation to apply), not a poll (seq 0). */
  readonly fresh: boolean;
  /** SYNC_NEW_HOUR and SYNC_OLD_SECONDS as the batch's seconds need them. */
  readonly flags: number;
  readonly pairs: number[];
  /** Visits captured from the buckets (the rest: reconciled or re-sent). */
  readonly local: number;
  readonly reserve: number;
  readonly floor: number;
  tries: number;
}

export class ClusterSync {
  private readonly o: ClusterSyncOptions;
  private readonly prefix: string;
  private readonly ledgers: SecondLedgers;
  private readonly budget: NumberBudget;
  /** Unix second → [captured local visits, other visits (reconciled, re-sent)] not yet in a batch. */
  private readonly pending = new Map<number, [number, number]>();
  private inFlight: Batch | undefined;
  private seq = 0;
  private contacted = false;
  /** Local visits Redis holds (acknowledged) and what this task added to the shared total. */
  private ackedLocal = 0;
  private contributed = 0;
  /** This node's visits Redis should hold: to notice a Redis that lost writes. */
  private applied = 0;
  /** Unix second → this node's visits applied in it (recent seconds only). */
  private readonly ownSeconds = new Map<number, number>();
  private capturedLocal = 0;
  private lastBlockEnd = 0;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  /** No worker takes numbers any more: reserve none. */
  private stopping = false;
  /** This process's claim on its node id. */
  private readonly claim: NodeClaim;
  /** Another process holds the node id: no more rounds. */
  private taken = false;
  private rounds = 0;
  /** Highest hour of a second sent (a batch with a later one sets its keys' expiries). */
  private lastHourSent = -1;

  constructor(options: ClusterSyncOptions) {
    this.o = options;
    this.prefix = keyPrefix(options.clusterKey);
    this.ledgers = new SecondLedgers(options.counters);
    this.budget = new NumberBudget();
    this.claim = new NodeClaim(options.leaseMs);
    this.ledgers.hold(options.clock.nowMs());
  }

  /**
   * Runs a round every SYNC_INTERVAL_MS (never two at once), and sooner when
   * the numbers ran out: a surge then waits one short round for a block sized
   * to it, not a whole interval (POST /visit answers 503 meanwhile).
   */
  start(): void {
    let lastStart = Number.NEGATIVE_INFINITY;
    this.timer = setInterval(() => {
      if (this.running) return;
      const since = performance.now() - lastStart;
      const dry = this.contacted && !this.stopping && this.o.state.numbersLeft() === 0;
      if (since < SYNC_INTERVAL_MS - TICK_MS / 2 && !(dry && since >= DRY_ROUND_MS)) return;
      lastStart = performance.now();
      this.running = this.round().finally(() => (this.running = undefined));
    }, TICK_MS);
  }

  /** One round: capture, then one exchange with Redis (or none before it answers). */
  async round(): Promise<void> {
    if (this.taken) return;
    const nowMs = this.o.clock.nowMs();
    const now = this.ledgers.hold(nowMs);
    this.ledgers.capture(now, (second, visits) => {
      this.addPending(second, visits, 0);
      this.capturedLocal += visits;
    });
    this.budget.observe(nowMs, this.capturedLocal + this.o.state.refused());
    this.publishPending();
    const started = performance.now();
    try {
      if (!this.contacted && !(await this.firstContact(nowMs))) return;
      await this.exchange(now);
      this.o.state.addFigure("flushSecondsSum", (performance.now() - started) / 1000);
      this.o.state.addFigure("flushes", 1);
      this.o.state.setFigure("lastSyncMs", this.o.clock.nowMs());
      this.o.state.state = CLUSTER_OK;
    } catch (error) {
      if (this.o.state.state === CLUSTER_OK) {
        this.o.log.warn("cluster: Redis unreachable, counting on reserved numbers", { error: describe(error) });
      }
      if (this.contacted) this.o.state.state = CLUSTER_DEGRADED;
      // Waiting for a held node id: an outage is no proof its holder is gone (it could not beat either).
      else this.claim.failed();
    }
    this.o.state.setFigure("redisErrors", this.o.redis.errors);
    this.publishPending();
  }

  /**
   * First answer from Redis: the claim on the node id, this node's state, the
   * cluster's history, reconciliation. False while another process holds the id.
   */
  private async firstContact(nowMs: number): Promise<boolean> {
    const contact = await firstContact(
      {
        redis: this.o.redis,
        prefix: this.prefix,
        nodeId: this.o.nodeId,
        claim: this.claim,
        log: this.o.log,
        onInUse: (message) => this.nodeTaken(message),
      },
      nowMs,
    );
    if (contact === undefined) return false;
    const applied = contact.applied;
    this.seq = contact.seq;
    this.o.state.nodes = contact.nodes;
    this.applied = applied;
    const total = contact.total;
    installHistory(this.o.counters, this.ledgers, total, contact.history);
    this.contributed = total;
    const stored = this.o.stored;
    if (stored && stored.visits > applied) {
      // Visits this instance stored but never got into Redis (it was killed): sent once, now.
      const missing = stored.visits - applied;
      this.addPending(stored.lastUnixSecond, 0, missing);
      this.o.state.addFigure("reconciledVisits", missing);
      this.o.log.warn("cluster: sending visits the store holds and Redis lacks", { visits: missing });
    }
    this.contacted = true;
    this.o.log.info("cluster: in contact with Redis", { node_id: this.o.nodeId, total_visits: total });
    return true;
  }

  /** Stops the rounds for good and tells the service (which stops: this process must not write as that node). */
  private nodeTaken(message: string): void {
    this.taken = true;
    clearInterval(this.timer);
    this.o.log.error(`cluster: ${message}`, { node_id: this.o.nodeId });
    this.o.onNodeTaken?.(message);
  }

  private async exchange(now: number): Promise<void> {
    const batch = this.inFlight ?? this.nextBatch(now);
    this.inFlight = batch;
    if (batch.tries > 0) this.o.state.addFigure("batchesRetried", 1);
    batch.tries++;
    const from = this.ledgers.held;
    const heartbeat = this.rounds++ % HEARTBEAT_ROUNDS === 0 ? SYNC_HEARTBEAT : 0;
    const reply = list(
      await this.o.redis.fcall(SYNC_FUNCTION, [
        this.prefix,
        this.o.nodeId,
        this.claim.token,
        batch.flags | heartbeat,
        batch.seq,
        batch.reserve,
        batch.floor,
        "",
        this.ledgers.epochSecond + now,
        ...batch.pairs,
      ]),
    );
    if (num(reply[0]) === SYNC_NODE_TAKEN) {
      this.nodeTaken(
        `node id "${this.o.nodeId}" was claimed by another instance on this Redis (same --node-id, or this one stalled past its lease): stopping`,
      );
      return;
    }
    // -1: not read this round (a poll between heartbeats).
    const [total, applied, lastSeq, block, size, nodes] = reply.slice(1, 7).map(num) as number[];
    this.inFlight = undefined;
    // Only this process writes as its node id: Redis never holds more of it than this process sent. More:
    // another process writes as it (a v2 instance, which never claims node ids, still draining); its
    // seqs interleave with ours (batches lost, reservations shared): stop before using the reply.
    const sent = this.applied + (batch.fresh ? sumVisits(batch.pairs) : 0);
    if ((lastSeq as number) > this.seq || (applied as number) > sent) {
      this.nodeTaken(
        `node id "${this.o.nodeId}": Redis holds seq ${lastSeq} and ${applied} visits of it, more than this process sent (seq ${this.seq}, ${sent} visits): another process writes as this node id (an older version, which does not claim node ids, still running or draining?). Stop it fully before starting a new one with its node id`,
      );
      return;
    }
    if (batch.fresh) {
      // A fresh seq is always above the stored one, so Redis has applied it (now or on an earlier try).
      if ((lastSeq as number) < batch.seq) throw new Error(`Redis holds seq ${lastSeq} below batch ${batch.seq}`);
      this.acknowledge(batch, block as number, size as number);
    }
    if ((applied as number) >= 0 && (applied as number) < this.applied) {
      this.resend(this.applied - (applied as number), now);
    }
    if ((nodes as number) >= 0) this.o.state.nodes = nodes as number;
    this.applyRemote(total as number, from, now, reply.slice(7).map(num));
  }

  /** The pending visits (and a reservation, when numbers run low) under a new seq; else a poll. */
  private nextBatch(now: number): Batch {
    const pairs: number[] = [];
    let local = 0;
    let flags = 0;
    const hourNow = Math.floor((this.ledgers.epochSecond + now) / 3600);
    const newHours = this.lastHourSent;
    for (const [second, [captured, other]] of this.pending) {
      if (pairs.length >= 2 * MAX_BATCH_SECONDS) break;
      pairs.push(second, captured + other);
      local += captured;
      this.pending.delete(second);
      const hour = Math.floor(second / 3600);
      if (hour > newHours) flags |= SYNC_NEW_HOUR;
      if (hour < hourNow) flags |= SYNC_OLD_SECONDS;
      this.lastHourSent = Math.max(this.lastHourSent, hour);
    }
    const reserve = this.stopping ? 0 : this.budget.wanted(this.o.state.numbersLeft());
    const fresh = pairs.length > 0 || reserve > 0;
    // A poll (seq 0): Redis applies nothing and just reports.
    return { seq: fresh ? ++this.seq : 0, fresh, flags, pairs, local, reserve, floor: this.lastBlockEnd, tries: 0 };
  }

  private acknowledge(batch: Batch, block: number, size: number): void {
    this.ackedLocal += batch.local;
    for (let i = 0; i < batch.pairs.length; i += 2) {
      const second = batch.pairs[i] as number;
      const visits = batch.pairs[i + 1] as number;
      this.applied += visits;
      this.ownSeconds.set(second, (this.ownSeconds.get(second) ?? 0) + visits);
    }
    if (batch.reserve > 0 && size > 0) {
      this.o.state.addBlock(block - size + 1, size);
      this.o.state.addFigure("numbersReserved", size);
      this.lastBlockEnd = block;
    }
  }

  /** Redis holds fewer of this node's visits than it acknowledged (restarted without its last writes). */
  private resend(missing: number, now: number): void {
    this.o.log.error("cluster: Redis lost acknowledged visits of this instance; sending them again", {
      visits: missing,
    });
    this.applied -= missing;
    this.addPending(this.ledgers.epochSecond + now, 0, missing);
  }

  /**
   * Brings the others' visits into the shared total and into the buckets of
   * held seconds: into their own second where the reply gave the cluster's
   * count of it (the seconds of this batch), else into the current one (they
   * arrived within the last round or two: off by at most that, never lost).
   */
  private applyRemote(total: number, from: number, now: number, secondCounts: number[]): void {
    const target = total - this.ackedLocal;
    const delta = target - this.contributed;
    if (delta === 0) return;
    // Total first, buckets after: a reader never sees more recent visits than total.
    Atomics.add(this.o.counters.total, 0, BigInt(delta));
    this.contributed = target;
    if (delta < 0) return;
    let left = delta;
    for (let i = 0; i + 1 < secondCounts.length && left > 0; i += 2) {
      const unix = secondCounts[i] as number;
      const s = unix - this.ledgers.epochSecond;
      if (s < from || s > now) continue;
      const others = (secondCounts[i + 1] as number) - (this.ownSeconds.get(unix) ?? 0) - this.ledgers.remoteIn(s);
      if (others <= 0) continue;
      const add = Math.min(others, left);
      this.ledgers.addRemote(s, add);
      left -= add;
    }
    // (A clock stepped back leaves now before the held second: then the held one.)
    if (left > 0) this.ledgers.addRemote(Math.max(now, from), left);
    for (const second of this.ownSeconds.keys()) {
      if (second < this.ledgers.epochSecond + from) this.ownSeconds.delete(second);
    }
  }

  private addPending(second: number, captured: number, other: number): void {
    const entry = this.pending.get(second);
    if (entry) {
      entry[0] += captured;
      entry[1] += other;
    } else this.pending.set(second, [captured, other]);
  }

  /** Visits counted here (or found in the store) that Redis has not acknowledged yet. */
  private publishPending(): void {
    let other = 0;
    for (const entry of this.pending.values()) other += entry[1];
    if (this.inFlight) other += sumVisits(this.inFlight.pairs) - this.inFlight.local;
    this.o.state.setFigure("pendingVisits", this.capturedLocal - this.ackedLocal + other);
  }

  /**
   * After the workers have stopped: flush what is left (retrying for up to
   * `withinMs`), then give back the unused numbers if no one reserved since.
   */
  async stop(withinMs: number): Promise<void> {
    const deadline = performance.now() + withinMs;
    clearInterval(this.timer);
    this.stopping = true;
    await this.running;
    // Never in contact: no numbers, so no visits to send (a store's backlog waits for the next start).
    while (performance.now() < deadline && !this.taken && (this.contacted || this.capturedLocal > 0)) {
      await this.round();
      if (this.contacted && this.inFlight === undefined && this.pending.size === 0) break;
      await new Promise((r) => setTimeout(r, SYNC_INTERVAL_MS));
    }
    if (this.pending.size > 0 || this.inFlight) {
      this.o.log.error("cluster: visits could not be sent to Redis before shutdown", {
        visits: this.capturedLocal - this.ackedLocal,
      });
    }
    await giveBack({
      state: this.o.state,
      redis: this.o.redis,
      prefix: this.prefix,
      nodeId: this.o.nodeId,
      token: this.claim.token,
      lastBlockEnd: this.lastBlockEnd,
      call: this.contacted && !this.taken,
      log: this.o.log,
    });
    this.ledgers.release();
  }
}

function sumVisits(pairs: readonly number[]): number {
  let n = 0;
  for (let i = 1; i < pairs.length; i += 2) n += pairs[i] as number;
  return n;
}
