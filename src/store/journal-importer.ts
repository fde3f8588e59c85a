/**
 * @module Moving the journal into DuckDB, for the recorder thread: closing a
 * segment every second, importing closed ones when import-policy.ts says so
 * (in the background: DuckDB runs the import off the JavaScript thread),
 * retrying failures, and — at start — importing what the last run left.
 */
import { rmSync } from "node:fs";
import { IdleMeter, importDue } from "./import-policy.js";
import { type Journal, listSegments, removeStaleRewrites, type Segment } from "./journal.js";
import { describeStoreError, type VisitStore } from "./visit-store.js";

/** A journal segment is closed (ready for DuckDB) once it is this old or this big. */
const SEGMENT_MS = 1000;
const SEGMENT_BYTES = 32 * 1024 * 1024;
/** At most this much journal per DuckDB transaction. */
const IMPORT_MAX_BYTES = 64 * 1024 * 1024;
/** After a failed import, wait this long before the next try. */
const RETRY_MS = 1000;
/** While imports fail, say so again this often (the visits are safe in the journal meanwhile). */
const WARN_EVERY_MS = 60_000;

export interface ImporterOptions {
  readonly dataDir: string;
  /** --journal-defer-mib in bytes. */
  readonly deferBytes: number;
  readonly warn: (message: string) => void;
}

export class JournalImporter {
  private readonly store: VisitStore;
  private readonly journal: Journal;
  private readonly options: ImporterOptions;
  /** Closed segments not yet in DuckDB, oldest first, with when they closed. */
  private readonly waiting: (Segment & { closedAtMs: number })[] = [];
  private readonly idle = new IdleMeter();
  private importing: Promise<void> | undefined;
  private retryAt = 0;
  private failingSince = 0;
  private warnedAt = 0;

  constructor(store: VisitStore, journal: Journal, options: ImporterOptions) {
    this.store = store;
    this.journal = journal;
    this.options = options;
  }

  /** Journal bytes committed and not yet in DuckDB. */
  get pendingBytes(): number {
    return this.waiting.reduce((n, s) => n + s.bytes, this.journal.bytes);
  }

  /** Call on every recorder loop: closes the segment when due, starts an import when the policy says so. */
  tick(nowMs: number): void {
    if (this.journal.bytes >= SEGMENT_BYTES || this.journal.ageMs(nowMs) >= SEGMENT_MS) {
      try {
        const closed = this.journal.rotate();
        if (closed) this.waiting.push({ ...closed, closedAtMs: nowMs });
      } catch (error) {
        this.failed(error); // the current segment stays in use
      }
    }
    if (this.importing !== undefined || this.waiting.length === 0 || nowMs < this.retryAt) return;
    const due = importDue({
      waitingBytes: this.pendingBytes - this.journal.bytes,
      oldestWaitMs: nowMs - (this.waiting[0]?.closedAtMs ?? nowMs),
      idleShare: this.idle.read(nowMs),
      deferBytes: this.options.deferBytes,
    });
    if (due) {
      this.importing = this.importWaiting().finally(() => {
        this.importing = undefined;
      });
    }
  }

  /** Shutdown: closes the journal and imports everything now; returns the segments left for the next start. */
  async drain(): Promise<number> {
    await this.importing;
    try {
      const last = this.journal.close();
      if (last) this.waiting.push({ ...last, closedAtMs: Date.now() });
    } catch {}
    await this.importWaiting();
    return this.waiting.length;
  }

  /** Oldest first, in transactions of at most IMPORT_MAX_BYTES; stops at the first failure. */
  private async importWaiting(): Promise<void> {
    for (const batch of importBatches(this.waiting)) {
      try {
        const { dropped } = await this.store.importJournal(batch);
        // Never expected: every line is written whole before its commit. Say so loudly if it happens.
        if (dropped > 0)
          this.options.warn(`journal import: ${dropped} unreadable line(s) dropped, their visits are lost`);
      } catch (error) {
        this.failed(error);
        return;
      }
      this.waiting.splice(0, batch.length);
      for (const segment of batch) rmSync(segment.path, { force: true });
      if (this.failingSince !== 0) {
        this.failingSince = 0;
        this.warnedAt = 0;
        this.options.warn("journal import into DuckDB works again");
      }
    }
  }

  /** Visits stay safe in the journal; say so (not every second), and retry. */
  private failed(error: unknown): void {
    const now = Date.now();
    this.retryAt = now + RETRY_MS;
    if (this.failingSince === 0) this.failingSince = now;
    if (now - this.warnedAt < WARN_EVERY_MS) return;
    this.warnedAt = now;
    this.options.warn(
      `moving the journal into DuckDB fails (${describeStoreError(this.options.dataDir, error)}); visits are kept in the journal files (${this.pendingBytes} bytes) and the import is retried`,
    );
  }
}

/**
 * At start, before the counters are rebuilt: imports what the last run left
 * in the journal (a crash, a failed import), removes what DuckDB already
 * has; returns the number the next segment takes.
 */
export async function recoverJournal(
  store: VisitStore,
  dataDir: string,
  warn: (message: string) => void,
): Promise<number> {
  const imported = await store.journalImported();
  removeStaleRewrites(dataDir);
  const segments = listSegments(dataDir);
  for (const segment of segments) {
    if (segment.seq <= imported || segment.bytes === 0) rmSync(segment.path, { force: true });
  }
  for (const batch of importBatches(segments.filter((s) => s.seq > imported && s.bytes > 0))) {
    const { rows, dropped } = await store.importJournal(batch);
    if (dropped > 0) {
      warn(
        `journal from the last run: ${rows} visits imported, ${dropped} torn line(s) dropped (cut short when the process died)`,
      );
    }
    for (const segment of batch) rmSync(segment.path, { force: true });
  }
  return Math.max(imported, ...segments.map((s) => s.seq)) + 1;
}

/** Segments grouped into transactions of at most IMPORT_MAX_BYTES (at least one segment each). */
function importBatches<T extends Segment>(segments: readonly T[]): T[][] {
  const batches: T[][] = [];
  let bytes = 0;
  for (const segment of segments) {
    const open = batches.at(-1);
    if (open === undefined || bytes + segment.bytes > IMPORT_MAX_BYTES) {
      batches.push([segment]);
      bytes = segment.bytes;
    } else {
      open.push(segment);
      bytes += segment.bytes;
    }
  }
  return batches;
}
