/**
 * @module When the recorder moves the journal into DuckDB. Visits are durable
 * once in the journal; DuckDB is where they are queried. Importing costs
 * CPU per visit (JSON parsing, compression) that a saturated box takes
 * straight from POST /visit. So while the machine has no idle CPU
 * the import waits — a sale's spike is served at journal cost, and DuckDB
 * catches up once the spike passes — up to a backlog limit, past which it
 * imports whatever the load (the journal must not fill the disk).
 */
import { cpus } from "node:os";

/**
 * Import at once when at least this share of the machine's CPU time was idle
 * in the last second. Not lower: a 2-core box saturated by a load generator
 * and one server thread still reads some idle time (each waits on the other),
 * and a low threshold starts imports in the middle of such a load.
 */
export const IDLE_SHARE_TO_IMPORT = 0.5;
/** Never let the oldest waiting visit wait longer than this for DuckDB. */
export const MAX_DEFER_MS = 5 * 60_000;

export interface ImportState {
  /** Journal bytes closed and waiting for DuckDB. */
  readonly waitingBytes: number;
  /** How long the oldest of them has waited. */
  readonly oldestWaitMs: number;
  /** Share of all CPUs' time idle over the last second (0..1). */
  readonly idleShare: number;
  /** --journal-defer-mib in bytes; 0 imports as soon as a segment closes. */
  readonly deferBytes: number;
}

export function importDue(s: ImportState): boolean {
  if (s.waitingBytes === 0) return false;
  if (s.deferBytes === 0 || s.waitingBytes >= s.deferBytes || s.oldestWaitMs >= MAX_DEFER_MS) return true;
  return s.idleShare >= IDLE_SHARE_TO_IMPORT;
}

/** The machine's idle share of CPU time, measured over about a second between readings. */
export class IdleMeter {
  private last = sample();
  private lastAtMs = 0;
  private share = 1;

  read(nowMs: number): number {
    if (nowMs - this.lastAtMs < 1000) return this.share;
    const now = sample();
    const total = now.total - this.last.total;
    if (total > 0) this.share = (now.idle - this.last.idle) / total;
    this.last = now;
    this.lastAtMs = nowMs;
    return this.share;
  }
}

function sample(): { idle: number; total: number } {
  let idle = 0;
  let total = 0;
  for (const { times } of cpus()) {
    idle += times.idle;
    total += times.user + times.nice + times.sys + times.idle + times.irq;
  }
  return { idle, total };
}
