/**
 * @module The cluster's past, written into the shared counters once, at the
 * first contact with Redis (before it no visit can be counted: there are no
 * numbers). Readers may be reading meanwhile: the rewrite is bracketed by the
 * history generation (odd while writing), and StatsReader retries across it.
 */
import {
  BUCKET_MASK,
  historyRewrite,
  MAX_WINDOW_SECONDS,
  type SharedCounters,
  sealedUpTo,
} from "../counters/shared-counters.js";
import type { SecondLedgers } from "./second-ledger.js";

/**
 * `total`: the cluster's total; `pairs`: [unix start second, visits] (seconds,
 * minutes or hours, each counted in its first second). Visits in seconds not
 * yet sealed go into their buckets as remote visits; older ones into the sums.
 * Main thread only (the sealer's thread), so the sealed mark cannot move meanwhile.
 */
export function installHistory(
  counters: SharedCounters,
  ledgers: SecondLedgers,
  total: number,
  pairs: readonly number[],
): void {
  const { sums } = counters;
  const sealed = sealedUpTo(counters);
  // Index i: relative second sealed − i; only the window a reader can reach is kept.
  const span = MAX_WINDOW_SECONDS + 1;
  const perSecond = new Float64Array(span);
  const unsealed = new Map<number, number>();
  let unsealedVisits = 0;
  for (let i = 0; i + 1 < pairs.length; i += 2) {
    const s = (pairs[i] as number) - ledgers.epochSecond;
    const visits = pairs[i + 1] as number;
    if (visits <= 0) continue;
    if (s > sealed) {
      // Seconds at or after the held one; anything earlier than it goes into it.
      const into = Math.max(s, ledgers.held);
      unsealed.set(into, (unsealed.get(into) ?? 0) + visits);
      unsealedVisits += visits;
    } else if (sealed - s < span) {
      perSecond[sealed - s] = (perSecond[sealed - s] as number) + visits;
    }
  }
  historyRewrite(counters, () => {
    // What was counted before this install (nothing but zeros: no numbers before first contact) is kept.
    Atomics.add(counters.total, 0, BigInt(total));
    let cumulative = total - unsealedVisits;
    for (let i = 0; i < span; i++) {
      const at = (sealed - i) & BUCKET_MASK;
      sums[at] = (sums[at] as number) + cumulative;
      cumulative -= perSecond[i] as number;
    }
    for (const [s, visits] of unsealed) ledgers.addRemote(s, visits);
  });
}
