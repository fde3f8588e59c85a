/**
 * @module When the recorder moves the journal into DuckDB. Visits are durable
 * once in the journal; DuckDB is where they are queried. Importing costs
 * CPU per visit (JSON parsing, compression) that a saturated box takes
 * straight from POST /visit. So while the machine has no idle CPU
 * the import waits — a sale's spike is served at journal cost, and DuckDB
 * catches up once the spike passes — up to a backlog limit, past which it
 * imports whatever the load (the journal must not fill the disk).
 *
 * An import runs in slices and the policy is asked again before each one,
 * with an idle reading taken while no slice ran: an import that started in a
 * lull stops at the end of its slice when the load comes back, instead of
 * working through the whole backlog beside it.
 */
import { cpus } from "node:os";

/**
 * Import when at least this share of the machine's CPU time was idle over the
 * last window. Not lower: a 2-core box saturated by a load generator and one
 * server thread still reads some idle time (each waits on the other), and a
 * low threshold starts imports in the middle of such a load.
 */
export const IDLE_SHARE_TO_IMPORT = 0.5;
/** Never let the oldest waiting visit wait longer than this for DuckDB. */
export const MAX_DEFER_MS = 5 * 60_000;
/**
 * An import the idle CPU allows takes at most this much journal (whole
 * segments, at least one), then asks again: small, so a returning load waits
 * for one short transaction at most.
 */
export const IDLE_SLICE_BYTES = 8 * 1024 * 1024;
/**
 * An import the backlog or age limit forces, or --journal-defer-mib 0: larger
 * transactions (cheaper per visit); it still asks again between them, so it
 * stops once the backlog is back under the limit.
 */
export const FORCED_SLICE_BYTES = 64 * 1024 * 1024;
/** The idle share is read over windows this long, each begun after the last slice ended. */
export const IDLE_WINDOW_MS = 250;

export interface ImportState {
  /** Journal bytes closed and waiting for DuckDB. */
  readonly waitingBytes: number;
  /** How long the oldest of them has waited. */
  readonly oldestWaitMs: number;
  /**
   * Share of all CPUs' time idle over the last full window in which no import
   * ran (0..1); undefined while that window is not over yet.
   */
  readonly idleShare: number | undefined;
  /** --journal-defer-mib in bytes; 0 imports as soon as a segment closes. */
  readonly deferBytes: number;
}

/** How much journal the next import may take (whole segments, at least one); 0: not now. */
export function nextImportBytes(s: ImportState): number {
  if (s.waitingBytes === 0) return 0;
  if (s.deferBytes === 0 || s.waitingBytes >= s.deferBytes || s.oldestWaitMs >= MAX_DEFER_MS) {
    return FORCED_SLICE_BYTES;
  }
  return s.idleShare !== undefined && s.idleShare >= IDLE_SHARE_TO_IMPORT ? IDLE_SLICE_BYTES : 0;
}

/** Cumulative CPU time of the whole machine, in any unit: all that matters is the ratio. */
export interface CpuTimes {
  readonly idle: number;
  readonly total: number;
}

/** The machine's CPU times (/proc/stat through os.cpus()). */
export function machineCpuTimes(): CpuTimes {
  let idle = 0;
  let total = 0;
  for (const { times } of cpus()) {
    idle += times.idle;
    total += times.user + times.nice + times.sys + times.idle + times.irq;
  }
  return { idle, total };
}

/**
 * The machine's idle share of CPU time over windows of IDLE_WINDOW_MS. The
 * importer restarts the window when a slice ends, so the import's own CPU
 * never reads as load (on 2 cores it alone would be half the machine).
 */
export class IdleMeter {
  private readonly source: () => CpuTimes;
  private from: CpuTimes;
  private fromMs: number;

  constructor(nowMs: number, source: () => CpuTimes = machineCpuTimes) {
    this.source = source;
    this.from = source();
    this.fromMs = nowMs;
  }

  /** Begins a new window now: nothing before counts. */
  restart(nowMs: number): void {
    this.from = this.source();
    this.fromMs = nowMs;
  }

  /** The idle share over the window once it is IDLE_WINDOW_MS long (a new one begins); undefined before. */
  read(nowMs: number): number | undefined {
    if (nowMs - this.fromMs < IDLE_WINDOW_MS) return undefined;
    const now = this.source();
    const total = now.total - this.from.total;
    const share = total > 0 ? (now.idle - this.from.idle) / total : undefined;
    this.from = now;
    this.fromMs = nowMs;
    return share;
  }
}
