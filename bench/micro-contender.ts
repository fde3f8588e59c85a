// A worker thread that counts visits as fast as it can until told to stop: the contention in bench:micro.
import { workerData } from "node:worker_threads";
import { systemClock } from "../src/counters/clock.js";
import { viewCounters } from "../src/counters/shared-counters.js";
import { VisitCounter } from "../src/counters/visit-counter.js";

const { counters, slot, stop } = workerData as { counters: SharedArrayBuffer; slot: number; stop: SharedArrayBuffer };
const counter = new VisitCounter(viewCounters(counters), slot, systemClock);
const flag = new Int32Array(stop);
while (Atomics.load(flag, 0) === 0) for (let i = 0; i < 1000; i++) counter.count();
