/**
 * @module Every hook that exists for tests only, in one place. Production
 * never sets them (the CLI passes none); each is off unless a test asks.
 *
 * - `clock`: a clock every thread (workers, sealer, recorder timestamps)
 *   shares and the test moves by hand.
 * - `faults`: GET /__fault throws inside a handler (routes.ts), and
 *   `Supervisor.injectFault()` makes a worker throw outside any handler
 *   (worker.ts): both prove a throw never takes the process down.
 * - `commitDelayMs`: the recorder sleeps this long before every commit
 *   (recorder.ts), standing in for a slow disk.
 */
import type { SharedManualClock } from "../counters/clock.js";

export interface TestHooks {
  readonly clock?: SharedManualClock;
  readonly faults?: boolean;
  readonly commitDelayMs?: number;
}

export const NO_TEST_HOOKS: TestHooks = Object.freeze({});
