/**
 * @module At most `slots` queries at a time; a few more may wait briefly
 * for a slot, the rest are refused at once (the caller answers 503 with
 * Retry-After). Bounded in both: a dashboard left open on many screens
 * cannot queue up work without end.
 */
export class QueryGate {
  private running = 0;
  private readonly waiting: Array<{ grant: () => void; timer: NodeJS.Timeout }> = [];
  private readonly slots: number;
  private readonly maxWaiting: number;
  private readonly waitMs: number;

  constructor(slots: number, maxWaiting: number, waitMs: number) {
    this.slots = slots;
    this.maxWaiting = maxWaiting;
    this.waitMs = waitMs;
  }

  get active(): number {
    return this.running;
  }

  /** Resolves with a release function once a slot is free, or with undefined (refused). */
  acquire(): Promise<(() => void) | undefined> {
    if (this.running < this.slots) {
      this.running++;
      return Promise.resolve(this.releaser());
    }
    if (this.waiting.length >= this.maxWaiting) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const entry = {
        grant: () => resolve(this.releaser()),
        timer: setTimeout(() => {
          const at = this.waiting.indexOf(entry);
          if (at !== -1) this.waiting.splice(at, 1);
          resolve(undefined);
        }, this.waitMs),
      };
      this.waiting.push(entry);
    });
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) {
        clearTimeout(next.timer);
        next.grant(); // the slot passes straight to the next in line
      } else {
        this.running--;
      }
    };
  }
}
