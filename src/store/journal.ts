/**
 * @module The visit journal: append-only files of JSON lines in the data
 * directory, the recorder's commit log. A commit is one write and one
 * fdatasync, whatever the batch size, so batches can be small and frequent
 * (every 10 ms, or each group commit in strict mode). The recorder moves
 * closed segments into DuckDB in large transactions (see VisitStore.importJournal),
 * where the cost per visit is a fraction of a small transaction's.
 *
 * Segments are `journal-<12-digit sequence>.ndjson`. DuckDB's meta table
 * records the last sequence imported, in the same transaction as its rows,
 * so a crash between the import and the unlink never imports a file twice.
 */
import {
  closeSync,
  fdatasyncSync,
  fsyncSync,
  ftruncateSync,
  openSync,
  readdirSync,
  rmSync,
  statSync,
  writevSync,
} from "node:fs";
import { join } from "node:path";

const SEGMENT = /^journal-(\d{12})\.ndjson$/;
const REWRITE = /^journal-\d{12}\.ndjson\.clean$/;

export const segmentPath = (dir: string, seq: number) => join(dir, `journal-${String(seq).padStart(12, "0")}.ndjson`);

/** Where a segment DuckDB refused is rewritten before it is imported again (see VisitStore.importJournal). */
export const rewritePath = (segmentFile: string) => `${segmentFile}.clean`;

/** Removes rewrites a crash interrupted: each is made again from its segment if needed. */
export function removeStaleRewrites(dir: string): void {
  for (const name of readdirSync(dir)) if (REWRITE.test(name)) rmSync(join(dir, name), { force: true });
}

export interface Segment {
  readonly seq: number;
  readonly path: string;
  readonly bytes: number;
}

/** The journal segments in `dir`, oldest first. */
export function listSegments(dir: string): Segment[] {
  return readdirSync(dir)
    .map((name) => SEGMENT.exec(name))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => {
      const path = join(dir, m[0]);
      return { seq: Number(m[1]), path, bytes: statSync(path).size };
    })
    .sort((a, b) => a.seq - b.seq);
}

/** Makes a new directory entry durable (an fdatasync of the file alone does not). */
function syncDirectory(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** The segment being written. One writer: the recorder thread. */
export class Journal {
  readonly dir: string;
  private fd: number;
  private seq: number;
  /** Bytes durably written to the current segment. */
  private size = 0;
  /** When the current segment got its first line (0: empty). */
  private firstAtMs = 0;

  /** Starts segment `seq` (which must not exist yet). */
  constructor(dir: string, seq: number) {
    this.dir = dir;
    this.seq = seq;
    this.fd = this.create(seq);
  }

  /** Bytes in the current segment. */
  get bytes(): number {
    return this.size;
  }

  /** Age of the current segment's oldest line (0 when empty). */
  ageMs(nowMs: number): number {
    return this.firstAtMs === 0 ? 0 : nowMs - this.firstAtMs;
  }

  /**
   * Appends the pieces, in order, and makes them durable: one writev (libuv
   * splits it at IOV_MAX pieces and resumes short writes), one fdatasync. On
   * failure the segment is cut back to what was durable before, so a retry
   * appends the same lines once, never after a torn copy of them. Returns the
   * bytes appended.
   */
  commit(pieces: readonly Uint8Array[], nowMs: number): number {
    let length = 0;
    for (const piece of pieces) length += piece.byteLength;
    try {
      let done = 0;
      let next = 0; // first piece not wholly written
      let into = 0; // bytes of pieces[next] already written
      while (done < length) {
        let rest = pieces;
        if (next > 0 || into > 0) {
          const tail = pieces.slice(next);
          tail[0] = (tail[0] as Uint8Array).subarray(into);
          rest = tail;
        }
        const written = writevSync(this.fd, rest, this.size + done);
        if (written <= 0) throw new Error(`journal write made no progress (${written})`);
        done += written;
        // Short only when the disk fills (the next call then fails): go on after its last byte.
        let left = into + written;
        while (next < pieces.length && left >= (pieces[next] as Uint8Array).byteLength) {
          left -= (pieces[next] as Uint8Array).byteLength;
          next++;
        }
        into = left;
      }
      fdatasyncSync(this.fd);
    } catch (error) {
      try {
        ftruncateSync(this.fd, this.size);
      } catch {}
      throw error;
    }
    if (this.size === 0 && length > 0) this.firstAtMs = nowMs;
    this.size += length;
    return length;
  }

  /** Closes the current segment and starts the next; returns the closed one (undefined if it was empty). */
  rotate(): Segment | undefined {
    if (this.size === 0) return undefined;
    const next = this.create(this.seq + 1); // first: a failure leaves the current segment in use
    closeSync(this.fd);
    const closed = { seq: this.seq, path: segmentPath(this.dir, this.seq), bytes: this.size };
    this.fd = next;
    this.seq++;
    this.size = 0;
    this.firstAtMs = 0;
    return closed;
  }

  /** Closes the current segment; returns it, or removes it when empty. */
  close(): Segment | undefined {
    closeSync(this.fd);
    const path = segmentPath(this.dir, this.seq);
    if (this.size > 0) return { seq: this.seq, path, bytes: this.size };
    rmSync(path, { force: true });
    return undefined;
  }

  private create(seq: number): number {
    const fd = openSync(segmentPath(this.dir, seq), "wx");
    syncDirectory(this.dir);
    return fd;
  }
}
