/**
 * @module Who folds `visits` into the summary tables (rollups.ts), and when:
 * each /analytics query first folds what was imported since the last fold
 * (up to QUERY_FOLD_ROWS, on its own connection, inside its time limit), and
 * a timer folds short slices while the machine is idle (or while the
 * backlog is over FORCE_FOLD_ROWS, whatever the load), so that the first
 * query after a big import (or on a store made before the tables existed)
 * finds them nearly up to date. Neither touches POST /visit or the journal
 * import: folds read rows the import has already committed.
 */
import type { DuckDBConnection } from "@duckdb/node-api";
import { IDLE_SHARE_TO_IMPORT, IdleMeter } from "../store/import-policy.js";
import { listSegments, type Segment } from "../store/journal.js";
import { ensureRollupSchema, FORCE_FOLD_ROWS, foldJournal, foldVisits, IDLE_FOLD_ROWS } from "./rollups.js";

/**
 * A fold takes at most this much journal (whole segments, one at least):
 * ≈ 1.3 M visits, ≈ 1.5 s. What is left is parsed by every query until
 * folded, so a query folds all it can within reason.
 */
const JOURNAL_FOLD_BYTES = 256 * 1024 * 1024;
/** A background fold takes at most this much journal (≈ 80 k visits, ≈ 0.1 s), for the same reason as IDLE_FOLD_ROWS. */
const IDLE_JOURNAL_FOLD_BYTES = 16 * 1024 * 1024;

/** Segments the recorder no longer appends to: all but the newest. */
export const closedSegments = (segments: readonly Segment[]) => segments.slice(0, -1);

/** How often the idle timer looks for rows to fold (the idle share is measured over this span). */
const IDLE_CHECK_MS = 250;

export class Folder {
  private readonly connect: () => Promise<DuckDBConnection>;
  /**
   * One fold at a time: two at once would read the same mark and fold the
   * same rows twice (DuckDB sees no conflict: they insert, and upsert keys
   * that may differ).
   */
  private running = false;
  /** The fold running or last run (settled, never rejected). */
  private current: Promise<unknown> = Promise.resolve();
  private schema: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private own: DuckDBConnection | undefined;
  private idle: IdleMeter | undefined;
  private closed = false;

  private readonly dataDir: string;

  constructor(dataDir: string, connect: () => Promise<DuckDBConnection>) {
    this.dataDir = dataDir;
    this.connect = connect;
  }

  /**
   * Folds up to maxRows on `c` and resolves with the rows folded; 0 at once
   * if a fold is running (the caller reads the rows past the mark raw: the
   * answer is the same, and a query never waits for another's fold).
   */
  fold(
    c: DuckDBConnection,
    maxRows: number,
    minRows = 1,
    journal?: () => readonly Segment[],
    journalBytes = JOURNAL_FOLD_BYTES,
  ): Promise<number> {
    if (this.running || this.closed) return Promise.resolve(0);
    this.running = true;
    const run = (async () => {
      try {
        this.schema ??= ensureRollupSchema(c).catch((error) => {
          this.schema = undefined; // tried again by the next fold
          throw error;
        });
        await this.schema;
        const rows = await foldVisits(c, maxRows, minRows);
        const closed = journal?.() ?? [];
        if (closed.length > 0) await foldJournal(c, closed, journalBytes);
        return rows;
      } finally {
        this.running = false;
      }
    })();
    this.current = run.catch(() => {});
    return run;
  }

  /** Creates the tables if needed (at start, so that queries find them), then folds while the machine is idle. */
  async start(intervalMs = IDLE_CHECK_MS): Promise<void> {
    this.startIdleFolding(intervalMs);
    const own = await this.connect();
    if (this.closed) return own.closeSync();
    this.own = own;
    // A big backlog (e.g. the last run's shutdown import) is folded at once, slice by slice.
    while (!this.closed && (await this.fold(own, IDLE_FOLD_ROWS, FORCE_FOLD_ROWS)) > 0) {}
  }

  /** Folds in the background while the machine's CPU is at least half idle (as the journal import does). */
  private startIdleFolding(intervalMs = IDLE_CHECK_MS): void {
    this.idle = new IdleMeter(Date.now());
    this.timer = setInterval(() => void this.idleTick(), intervalMs);
    this.timer.unref();
  }

  private async idleTick(): Promise<void> {
    if (this.running || this.closed) return;
    try {
      if (this.own === undefined) return; // start() is still connecting
      const share = this.idle?.read(Date.now());
      const idle = share !== undefined && share >= IDLE_SHARE_TO_IMPORT;
      const journal = idle ? () => closedSegments(listSegments(this.dataDir)) : undefined;
      const folded = await this.fold(
        this.own,
        IDLE_FOLD_ROWS,
        idle ? 1 : FORCE_FOLD_ROWS,
        journal,
        IDLE_JOURNAL_FOLD_BYTES,
      );
      if (folded > 0) this.idle?.restart(Date.now()); // the fold's own CPU is not load
    } catch {
      // Tried again at the next tick; queries fold (or read raw) meanwhile.
    }
  }

  /**
   * Stops the timer and interrupts a fold running (it rolls back: nothing
   * half folded); resolves once it has stopped. Closing a connection while
   * DuckDB still runs a statement on it deadlocks the thread: the statement's
   * completion needs this event loop, which closeSync holds.
   */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    if (this.running) this.own?.interrupt();
    await this.current;
    this.own?.closeSync();
    this.own = undefined;
  }
}
