/**
 * @module At an instance's stop: its unused visit numbers go back to Redis
 * when no other instance reserved a block since (else they stay a gap), and
 * the call releases its node id (a restart claims it at once).
 */
import type { Logger } from "../log.js";
import type { ClusterState } from "./cluster-state.js";
import { GIVE_BACK_FUNCTION } from "./library.js";
import { describe, num, type RedisCaller } from "./sync-calls.js";

export interface GiveBackContext {
  readonly state: ClusterState;
  readonly redis: RedisCaller;
  readonly prefix: string;
  readonly nodeId: string;
  /** This process's claim token on the node id. */
  readonly token: string;
  /** The end of the last block reserved (only the tail of it can go back). */
  readonly lastBlockEnd: number;
  /** In contact with Redis and still holding the node id: the call is made. */
  readonly call: boolean;
  readonly log: Logger;
}

export async function giveBack(c: GiveBackContext): Promise<void> {
  const ranges: Array<[number, number]> = [];
  // Blocks back to back (no one reserved between them) give back as one range.
  for (const range of c.state.numbersLeft() > 0 ? c.state.unusedRanges() : []) {
    const last = ranges[ranges.length - 1];
    if (last && last[1] + 1 === range[0]) last[1] = range[1];
    else ranges.push(range);
  }
  let unused = 0;
  for (const [first, last] of ranges) unused += last - first + 1;
  const last = ranges[ranges.length - 1];
  const tail = last && last[1] === c.lastBlockEnd ? last : undefined;
  // Also with nothing to give back: the call releases the node id (a restart claims it at once).
  if (c.call) {
    try {
      const done = await c.redis.fcall(GIVE_BACK_FUNCTION, [
        c.prefix,
        tail ? tail[1] : 0,
        tail ? tail[0] : 0,
        c.nodeId,
        c.token,
      ]);
      if (tail && num(done) === 1) {
        unused -= tail[1] - tail[0] + 1;
        c.state.addFigure("numbersGivenBack", tail[1] - tail[0] + 1);
      }
    } catch (error) {
      c.log.warn("cluster: could not give unused numbers back", { error: describe(error) });
    }
  }
  c.state.addFigure("numbersUnused", unused);
  if (unused > 0) c.log.info("cluster: visit numbers left unused (a gap)", { numbers: unused });
}
