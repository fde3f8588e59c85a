/**
 * @module The recorder thread: the one writer of the visit store. It drains
 * every worker's ring into one journal append and commits it (write + fdatasync):
 *   batch  every ≤ batchIntervalMs (sooner when a worker rings: its ring is filling);
 *   strict as soon as visits wait, and again at once while more arrive
 *          (group commit: one commit releases every response waiting on it).
 * A ring's head moves only after the commit, so a failed commit loses nothing:
 * the same records are read again on the retry.
 *
 * Visits are durable once in the journal. journal-importer.ts moves closed
 * segments into DuckDB in large transactions, in the background; a start
 * imports whatever a crash left there before the counters are rebuilt.
 */
import { parentPort, workerData } from "node:worker_threads";
import { type QueryService, serveQueries } from "../analytics/query-service.js";
import { type SharedCounters, viewCounters } from "../counters/shared-counters.js";
import { Journal } from "./journal.js";
import { JournalImporter, recoverJournal } from "./journal-importer.js";
import { countLines, firstLineTime } from "./line-count.js";
import type { FromRecorder, RecorderConfig, ToRecorder } from "./messages.js";
import { RingReader } from "./ring.js";
import {
  addStoreFigure,
  doorbellCount,
  setStoreFigure,
  setStoreState,
  storeState,
  waitForDoorbell,
  wakeRecorder,
} from "./store-status.js";
import { describeStoreError, StoreError, VisitStore } from "./visit-store.js";

const config = workerData as RecorderConfig;
if (!parentPort) throw new Error("recorder.ts runs as a worker thread only");
const port = parentPort;
const tell = (message: FromRecorder) => port.postMessage(message);
const warn = (message: string) => tell({ type: "warning", message });

/** After a failed commit, retry this often (a full disk does not clear in 10 ms). */
const RETRY_MS = 1000;
/** strict mode, nothing waiting: wake at least this often to refresh the heartbeat. */
const IDLE_WAKE_MS = 250;

interface Ring {
  readonly reader: RingReader;
  retired: boolean;
  /** Position after the records in the open batch. */
  readTo: number;
}

const rings = new Map<number, Ring>();
let counters: SharedCounters | undefined;
let stopping = false;
let failingSince = 0;
let lastFailure = "";
let rowsThisRun = 0;
/**
 * A commit's lines, as views of the rings' memory (one or two per ring): the
 * kernel copies them to the file in one writev. (Copying shared memory in
 * JavaScript goes through V8's relaxed-atomic memmove: it was the recorder's
 * main cost.) The views stay valid until the commit, since a ring's space is
 * freed only after it.
 */
const lines: Uint8Array[] = [];

const opened = await openStore();
if (opened) port.on("message", onMessage);
else port.close(); // nothing else holds the thread: it exits
/** Everything below runs only once the store is open. */
const { store, journal, importer } = opened ?? ({} as Opened);
/** GET /analytics and /export: answered here, on the recorder's DuckDB instance (see analytics/query-runner.ts). */
const queries: QueryService | undefined =
  opened && config.analyticsChannel
    ? serveQueries(config.analyticsChannel, config.dataDir, () => store.connect())
    : undefined;

interface Opened {
  store: VisitStore;
  journal: Journal;
  importer: JournalImporter;
}

async function openStore(): Promise<Opened | undefined> {
  let store: VisitStore | undefined;
  try {
    store = await VisitStore.open(config.dataDir, config.version, config.nodeId);
    const journal = new Journal(config.dataDir, await recoverJournal(store, config.dataDir, warn));
    const importer = new JournalImporter(store, journal, {
      dataDir: config.dataDir,
      deferBytes: config.journalDeferBytes,
      warn,
    });
    tell({ type: "opened", history: await store.history(config.historySinceMs) });
    return { store, journal, importer };
  } catch (error) {
    store?.close();
    // VisitStore.open's errors are already worded for the operator; the journal's are not.
    const message = error instanceof StoreError ? error.message : describeStoreError(config.dataDir, error);
    tell({ type: "open-failed", message });
    return undefined;
  }
}

function onMessage(message: ToRecorder): void {
  switch (message.type) {
    case "start":
      counters = viewCounters(message.counters);
      void loop();
      return;
    case "add-ring":
      rings.set(message.id, { reader: new RingReader(message.ring), retired: false, readTo: 0 });
      return;
    case "retire-ring": {
      const ring = rings.get(message.id);
      if (ring) ring.retired = true;
      return;
    }
    case "stop":
      stopping = true;
      if (counters) wakeRecorder(counters);
      else void finish();
      return;
  }
}

async function loop(): Promise<void> {
  const c = counters as SharedCounters;
  for (;;) {
    const started = Date.now();
    const seen = doorbellCount(c);
    const stored = await storeBatch(c);
    setStoreFigure(c, "heartbeatMs", Date.now());
    if (!stopping) importer.tick(Date.now());
    setStoreFigure(c, "journalBytes", importer.pendingBytes);
    if (storeState(c) === "failed") return finish();
    if (stopping && stored === 0 && allEmpty()) return finish();
    let waitMs: number;
    if (storeState(c) === "failing") waitMs = RETRY_MS;
    else if (stopping) waitMs = 0;
    else if (config.durability === "strict") waitMs = stored > 0 ? 0 : IDLE_WAKE_MS;
    else waitMs = config.batchIntervalMs - (Date.now() - started);
    if (waitMs <= 0) {
      await new Promise((resolve) => setImmediate(resolve));
      continue;
    }
    // Sleep until the period ends or a worker rings (strict: a visit waits; batch: a ring fills).
    await waitForDoorbell(c, seen, waitMs);
  }
}

/** Drains every ring into one journal commit; returns the rows stored. */
async function storeBatch(c: SharedCounters): Promise<number> {
  let rows = 0;
  let oldestMs = Number.POSITIVE_INFINITY;
  let pending = 0;
  lines.length = 0;
  try {
    for (const ring of rings.values()) {
      const pending = ring.reader.pending();
      ring.readTo = pending.end;
      const first = pending.views[0];
      if (first === undefined) continue;
      for (const view of pending.views) lines.push(view);
      rows += countLines(pending.views);
      const tsMs = firstLineTime(first);
      if (tsMs < oldestMs) oldestMs = tsMs;
    }
    if (rows > 0) {
      if (config.commitDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, config.commitDelayMs));
      const t0 = performance.now();
      journal.commit(lines, Date.now());
      addStoreFigure(c, "commitMs", performance.now() - t0);
    }
  } catch (error) {
    onFailure(c, error);
    return 0;
  } finally {
    lines.length = 0; // no view of ring memory outlives the batch
  }
  // Stored: free the ring space and wake strict-mode waiters.
  for (const [id, ring] of rings) {
    ring.reader.commit(ring.readTo);
    if (ring.retired && ring.reader.empty()) rings.delete(id);
    else pending += ring.reader.pendingBytes();
  }
  if (failingSince !== 0) {
    failingSince = 0;
    setStoreState(c, "ok");
    tell({ type: "recovered" });
  }
  setStoreFigure(c, "pendingBytes", pending);
  if (rows > 0) {
    rowsThisRun += rows;
    addStoreFigure(c, "commits", 1);
    addStoreFigure(c, "rows", rows);
    setStoreFigure(c, "lastBatchRows", rows);
    setStoreFigure(c, "lagMs", Math.max(0, Date.now() - oldestMs));
  } else {
    setStoreFigure(c, "lagMs", 0);
  }
  return rows;
}

function onFailure(c: SharedCounters, error: unknown): void {
  lastFailure = describeStoreError(config.dataDir, error);
  addStoreFigure(c, "failures", 1);
  setStoreFigure(c, "pendingBytes", pendingBytes());
  if (failingSince === 0) {
    failingSince = Date.now();
    // Workers refuse new visits (503) from here on: nothing is accepted that may not be stored.
    setStoreState(c, "failing");
    tell({ type: "failing", message: lastFailure });
  } else if (Date.now() - failingSince >= config.failGraceMs) {
    setStoreState(c, "failed");
    tell({ type: "failed", message: lastFailure, unstoredRecords: unstoredRecords() });
  }
}

const allEmpty = () => [...rings.values()].every((r) => r.reader.empty());
const pendingBytes = () => [...rings.values()].reduce((n, r) => n + r.reader.pendingBytes(), 0);
const unstoredRecords = () => [...rings.values()].reduce((n, r) => n + countLines(r.reader.pending().views), 0);

/** Stores the rest: the open segment goes to DuckDB too, then a checkpoint folds the WAL in (quicker next start). */
async function finish(): Promise<void> {
  const unstored = unstoredRecords();
  const left = await importer.drain();
  if (left > 0) {
    warn(
      `${left} journal segment(s) could not be moved into DuckDB; they stay in ${config.dataDir} and the next start imports them`,
    );
  } else if (unstored === 0) {
    await store.checkpoint().catch(() => {});
  }
  await close(unstored);
}

async function close(unstored: number): Promise<void> {
  await queries?.close().catch((error: unknown) => warn(`closing the analytics queries: ${(error as Error).message}`));
  try {
    store.close();
  } catch (error) {
    warn(`closing the store: ${(error as Error).message}`);
  }
  tell({ type: "stopped", rows: rowsThisRun, unstoredRecords: unstored });
  port.close();
}
