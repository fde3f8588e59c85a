/**
 * @module The service's slots in the shared buffer: its lifecycle state, the
 * worker threads expected and alive, restarts, and how many writer slots were
 * ever handed out. The main thread writes them; any thread reads them.
 */
import {
  H_SLOTS_USED,
  H_STATE,
  H_WORKER_RESTARTS,
  H_WORKERS_ALIVE,
  H_WORKERS_EXPECTED,
  STATE_DRAINING,
  STATE_RUNNING,
  STATE_STARTING,
} from "./layout.js";
import type { SharedCounters } from "./shared-counters.js";

export type ServiceState = "starting" | "running" | "draining";
const STATES: Record<ServiceState, number> = {
  starting: STATE_STARTING,
  running: STATE_RUNNING,
  draining: STATE_DRAINING,
};

export function serviceState(c: SharedCounters): ServiceState {
  const state = Atomics.load(c.header, H_STATE);
  return state === STATE_DRAINING ? "draining" : state === STATE_STARTING ? "starting" : "running";
}
export const setServiceState = (c: SharedCounters, state: ServiceState): void => {
  Atomics.store(c.header, H_STATE, STATES[state]);
};

export const workersExpected = (c: SharedCounters): number => Atomics.load(c.header, H_WORKERS_EXPECTED);
export const setWorkersExpected = (c: SharedCounters, n: number): void => {
  Atomics.store(c.header, H_WORKERS_EXPECTED, n);
};
export const workersAlive = (c: SharedCounters): number => Atomics.load(c.header, H_WORKERS_ALIVE);
export const setWorkersAlive = (c: SharedCounters, n: number): void => {
  Atomics.store(c.header, H_WORKERS_ALIVE, n);
};

export const workerRestarts = (c: SharedCounters): number => Atomics.load(c.header, H_WORKER_RESTARTS);
export const countWorkerRestart = (c: SharedCounters): void => {
  Atomics.add(c.header, H_WORKER_RESTARTS, 1);
};

/** One past the highest writer slot ever handed out: /metrics sums the slots below it. */
export const slotsUsed = (c: SharedCounters): number => Atomics.load(c.header, H_SLOTS_USED);
/** Slot `slot` was handed out (only the main thread hands slots out, so load-then-store does not race). */
export function noteSlotUsed(c: SharedCounters, slot: number): void {
  if (slot >= Atomics.load(c.header, H_SLOTS_USED)) Atomics.store(c.header, H_SLOTS_USED, slot + 1);
}
