/**
 * @module The visit store's slots in the shared buffer: its mode, its health,
 * the doorbell workers ring to wake the recorder, and the recorder's figures
 * (/health, /metrics). The recorder thread is the only writer of the figures;
 * readers tolerate a torn moment between two of them.
 */
import {
  F_STORE_COMMIT_MS,
  F_STORE_COMMITS,
  F_STORE_FAILURES,
  F_STORE_HEARTBEAT_MS,
  F_STORE_JOURNAL_BYTES,
  F_STORE_LAG_MS,
  F_STORE_LAST_BATCH_ROWS,
  F_STORE_PENDING_BYTES,
  F_STORE_ROWS,
  H_STORE_DOORBELL,
  H_STORE_MODE,
  H_STORE_STATE,
  STORE_FAILED,
  STORE_FAILING,
  STORE_MODES,
  STORE_OK,
} from "../counters/layout.js";
import type { SharedCounters } from "../counters/shared-counters.js";

export { STORE_MODES };
export type StoreMode = (typeof STORE_MODES)[number];
export type StoreState = "ok" | "failing" | "failed";

const STATES: Record<StoreState, number> = { ok: STORE_OK, failing: STORE_FAILING, failed: STORE_FAILED };

export const setStoreMode = (c: SharedCounters, mode: StoreMode): void => {
  Atomics.store(c.header, H_STORE_MODE, STORE_MODES.indexOf(mode));
};
export const storeMode = (c: SharedCounters): StoreMode =>
  STORE_MODES[Atomics.load(c.header, H_STORE_MODE)] ?? "memory";

export function storeState(c: SharedCounters): StoreState {
  const state = Atomics.load(c.header, H_STORE_STATE);
  return state === STORE_FAILED ? "failed" : state === STORE_FAILING ? "failing" : "ok";
}

/** Sets the store's health; "failed" also wakes whoever waits on it. */
export function setStoreState(c: SharedCounters, state: StoreState): void {
  Atomics.store(c.header, H_STORE_STATE, STATES[state]);
  if (state === "failed") Atomics.notify(c.header, H_STORE_STATE);
}

/**
 * Whether the store takes visits, for the hot path: a plain read (an aligned
 * Int32 never tears; a change seen one request late is fine, and Atomics.load
 * is a builtin call on every visit).
 */
export const storeTakesVisits = (c: SharedCounters): boolean => c.header[H_STORE_STATE] === STORE_OK;

/** Wakes the recorder thread (strict: a response waits; batch: a ring is filling). */
export function ringStoreDoorbell(c: SharedCounters): void {
  Atomics.add(c.header, H_STORE_DOORBELL, 1);
  Atomics.notify(c.header, H_STORE_DOORBELL, 1);
}

/** The doorbell's count, read before a batch: `waitForDoorbell` returns at once if it moved since. */
export const doorbellCount = (c: SharedCounters): number => Atomics.load(c.header, H_STORE_DOORBELL);

/** Sleeps until the doorbell rings past `seen`, or `ms` pass. */
export function waitForDoorbell(c: SharedCounters, seen: number, ms: number): Promise<unknown> | undefined {
  const wait = Atomics.waitAsync(c.header, H_STORE_DOORBELL, seen, ms);
  return wait.async ? wait.value : undefined;
}

/** Wakes the recorder without a visit (to stop it). */
export const wakeRecorder = (c: SharedCounters): void => {
  Atomics.notify(c.header, H_STORE_DOORBELL);
};

const FIGURES = {
  /** Wall-clock ms of the recorder's last loop: a stale value means it is stuck. */
  heartbeatMs: F_STORE_HEARTBEAT_MS,
  /** Age (ms) of the oldest visit in the last committed batch, when it was committed. */
  lagMs: F_STORE_LAG_MS,
  commits: F_STORE_COMMITS,
  rows: F_STORE_ROWS,
  lastBatchRows: F_STORE_LAST_BATCH_ROWS,
  /** Sum of commit durations (ms), for the mean. */
  commitMs: F_STORE_COMMIT_MS,
  /** Bytes published into the rings and not yet committed. */
  pendingBytes: F_STORE_PENDING_BYTES,
  /** Bytes of visits in the journal, committed and not yet moved into DuckDB. */
  journalBytes: F_STORE_JOURNAL_BYTES,
  failures: F_STORE_FAILURES,
} as const;
export type StoreFigure = keyof typeof FIGURES;

export const storeFigure = (c: SharedCounters, name: StoreFigure): number => c.figures[FIGURES[name]] as number;
export const setStoreFigure = (c: SharedCounters, name: StoreFigure, value: number): void => {
  c.figures[FIGURES[name]] = value;
};
export const addStoreFigure = (c: SharedCounters, name: StoreFigure, delta: number): void => {
  c.figures[FIGURES[name]] = (c.figures[FIGURES[name]] as number) + delta;
};
