/**
 * @module Moving the journal into DuckDB, for the recorder thread: closing a
 * segment every second, importing closed ones a slice at a time when
 * import-policy.ts says so (in the background: DuckDB runs the import off the
 * JavaScript thread), retrying failures, and — at start — importing what the
 * last run left.
 */
import { rmSync } from "node:fs";
import { FORCED_SLICE_BYTES, IdleMeter, nextImportBytes } from "./import-policy.js";
import { type Journal, listSegments, removeStaleRewrites, type Segment } from "./journal.js";
import { describeStoreError, type JournalImport, type VisitStore } from "./visit-store.js";

/**
 * A journal segment is closed (ready for DuckDB) once it is this old or this
 * big. Small, so that under load a slice the idle CPU allows (one segment at
 * least) is short.
 */
const SEGMENT_MS = 1000;
const SEGMENT_BYTES = 8 * 1024 * 1024;
/** After a failed import, wait this long before the next try. */
const RETRY_MS = 1000;
/** While imports fail, say so again this often (the visits are safe in the journal meanwhile). */
const WARN_EVERY_MS = 60_000;

/** What the importer needs of the store (VisitStore; tests give a fake). */
export interface JournalTarget {
  importJournal(segments: readonly Segment[]): Promise<JournalImport>;
}

/** What the importer needs of the journal (Journal; tests give a fake). */
export type JournalSource = Pick<Journal, "bytes" | "ageMs" | "rotate" | "close">;

export interface ImporterOptions {
  readonly dataDir: string;
  /** --journal-defer-mib in bytes. */
  readonly deferBytes: number;
  readonly warn: (message: string) => void;
  /** The machine's idle CPU (tests inject one with a fake CPU source). */
  readonly idle?: IdleMeter;
}

export class JournalImporter {
  private readonly store: JournalTarget;
  private readonly journal: JournalSource;
  private readonly options: ImporterOptions;
  /** Closed segments not yet in DuckDB, oldest first, with when they closed. */
  private readonly waiting: (Segment & { closedAtMs: number })[] = [];
  private readonly idle: IdleMeter;
  private importing: Promise<void> | undefined;
  /** The idle window must begin afresh: a slice ran, or nothing waited (no reading was needed). */
  private windowStale = true;
  private retryAt = 0;
  private failingSince = 0;
  private warnedAt = 0;

  constructor(store: JournalTarget, journal: JournalSource, options: ImporterOptions) {
    this.store = store;
    this.journal = journal;
    this.options = options;
    this.idle = options.idle ?? new IdleMeter(Date.now());
  }

  /** Journal bytes committed and not yet in DuckDB. */
  get pendingBytes(): number {
    return this.waiting.reduce((n, s) => n + s.bytes, this.journal.bytes);
  }

  /**
   * Call on every recorder loop: closes the segment when due, and starts
   * importing the next slice when the policy says so. The policy is asked
   * again before every slice.
   */
  tick(nowMs: number): void {
    if (this.journal.bytes >= SEGMENT_BYTES || this.journal.ageMs(nowMs) >= SEGMENT_MS) {
      try {
        const closed = this.journal.rotate();
        if (closed) this.waiting.push({ ...closed, closedAtMs: nowMs });
      } catch (error) {
        this.failed(error); // the current segment stays in use
      }
    }
    if (this.importing !== undefined) return;
    if (this.waiting.length === 0) {
      this.windowStale = true; // nothing to decide: no reading until something waits again
      return;
    }
    if (this.windowStale) {
      this.windowStale = false;
      this.idle.restart(nowMs); // the slice's own CPU (or the time nothing waited) is not this window
    }
    const idleShare = this.idle.read(nowMs);
    if (nowMs < this.retryAt) return;
    const maxBytes = nextImportBytes({
      waitingBytes: this.pendingBytes - this.journal.bytes,
      oldestWaitMs: nowMs - (this.waiting[0]?.closedAtMs ?? nowMs),
      idleShare,
      deferBytes: this.options.deferBytes,
    });
    if (maxBytes === 0) return;
    const slice = importBatches(this.waiting, maxBytes)[0] ?? [];
    this.importing = this.importSlice(slice);
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

  /** Everything waiting, oldest first, in transactions of at most FORCED_SLICE_BYTES; stops at the first failure. */
  private async importWaiting(): Promise<void> {
    for (const batch of importBatches(this.waiting, FORCED_SLICE_BYTES)) {
      if (!(await this.importBatch(batch))) return;
    }
  }

  private async importSlice(slice: readonly Segment[]): Promise<void> {
    try {
      await this.importBatch(slice);
    } finally {
      this.importing = undefined;
      this.windowStale = true;
    }
  }

  /** The oldest waiting segments, in one transaction; false if it failed (they stay waiting). */
  private async importBatch(batch: readonly Segment[]): Promise<boolean> {
    try {
      const { dropped } = await this.store.importJournal(batch);
      // Never expected: every line is written whole before its commit. Say so loudly if it happens.
      if (dropped > 0)
        this.options.warn(`journal import: ${dropped} unreadable line(s) dropped, their visits are lost`);
    } catch (error) {
      this.failed(error);
      return false;
    }
    this.waiting.splice(0, batch.length);
    for (const segment of batch) rmSync(segment.path, { force: true });
    if (this.failingSince !== 0) {
      this.failingSince = 0;
      this.warnedAt = 0;
      this.options.warn("journal import into DuckDB works again");
    }
    return true;
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
  store: JournalTarget & Pick<VisitStore, "journalImported">,
  dataDir: string,
  warn: (message: string) => void,
): Promise<number> {
  const imported = await store.journalImported();
  removeStaleRewrites(dataDir);
  const segments = listSegments(dataDir);
  for (const segment of segments) {
    if (segment.seq <= imported || segment.bytes === 0) rmSync(segment.path, { force: true });
  }
  for (const batch of importBatches(
    segments.filter((s) => s.seq > imported && s.bytes > 0),
    FORCED_SLICE_BYTES,
  )) {
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

/** Segments grouped into transactions of at most maxBytes (at least one segment each), oldest first. */
export function importBatches<T extends Segment>(segments: readonly T[], maxBytes: number): T[][] {
  const batches: T[][] = [];
  let bytes = 0;
  for (const segment of segments) {
    const open = batches.at(-1);
    if (open === undefined || bytes + segment.bytes > maxBytes) {
      batches.push([segment]);
      bytes = segment.bytes;
    } else {
      open.push(segment);
      bytes += segment.bytes;
    }
  }
  return batches;
}
