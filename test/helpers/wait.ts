/**
 * Bounded waiting for tests: poll the condition the test needs, never sleep a
 * fixed time and hope. Every wait has a deadline and fails saying what it
 * waited for, so a broken system is a failure with a message, not a hang.
 */

/** How long a wait may take unless the caller says otherwise: generous for a loaded, shared box. */
export const WAIT_MS = 10_000;

export interface UntilOptions {
  timeoutMs?: number;
  /** Pause between checks. */
  everyMs?: number;
  /** What to add to the failure message (the value last seen). */
  detail?: () => string;
}

/** Resolves once `check` holds; rejects after the deadline with `what` (and the detail) in the message. */
export async function until(
  what: string,
  check: () => boolean | Promise<boolean>,
  options: UntilOptions = {},
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? WAIT_MS;
  const deadline = new Deadline(what, timeoutMs);
  while (!(await check())) {
    deadline.check(options.detail);
    await pause(options.everyMs ?? 10);
  }
}

/** A deadline for a hand-written loop: call `check()` on every turn. */
export class Deadline {
  private readonly endsAt: number;
  private readonly what: string;
  private readonly timeoutMs: number;

  constructor(what: string, timeoutMs = WAIT_MS) {
    this.what = what;
    this.timeoutMs = timeoutMs;
    this.endsAt = performance.now() + timeoutMs;
  }

  /** Throws once the time is up. */
  check(detail?: () => string): void {
    if (performance.now() <= this.endsAt) return;
    const extra = detail ? ` (${detail()})` : "";
    throw new Error(`timed out after ${this.timeoutMs} ms waiting for: ${this.what}${extra}`);
  }
}

/** Yields to the event loop for `ms` between polls (not a way to wait for the system: see `until`). */
export const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** `promise`, or a rejection naming `what` once `timeoutMs` has passed. */
export async function within<T>(what: string, promise: Promise<T>, timeoutMs = WAIT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}
