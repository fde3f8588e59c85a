/**
 * @module Main-thread side of the recorder: starts its thread, hands it a ring
 * for every worker, and stops it last, after every worker has exited, so
 * everything published is stored before the process ends.
 */
import { EventEmitter, once } from "node:events";
import type { Worker } from "node:worker_threads";
import { siblingModule, spawnWorker } from "../threads/spawn.js";
import type { FromRecorder, RecorderConfig, ToRecorder } from "./messages.js";
import { createRing } from "./ring.js";
import { type History, StoreError } from "./visit-store.js";

export interface StoppedReport {
  readonly rows: number;
  readonly unstoredRecords: number;
}

/**
 * Events: "failing" (message), "recovered", "failed" (message, unstored
 * records: the service must stop), "warning" (message).
 */
export class RecorderHost extends EventEmitter {
  private readonly thread: Worker;
  private readonly ringBytes: number;
  private nextRingId = 1;
  private readonly ringIds = new Map<SharedArrayBuffer, number>();
  private stopped: Promise<StoppedReport> | undefined;
  private stoppedReport: StoppedReport | undefined;
  private exited = false;

  private constructor(thread: Worker, ringBytes: number) {
    super();
    this.thread = thread;
    this.ringBytes = ringBytes;
  }

  /**
   * Opens the store in its thread; resolves with what the counters are rebuilt
   * from, and the warnings of the opening (a journal a crash left torn).
   */
  static async open(
    config: RecorderConfig,
    ringBytes: number,
  ): Promise<{ host: RecorderHost; history: History; warnings: string[] }> {
    const thread = spawnWorker(siblingModule(import.meta.url, "recorder"), {
      workerData: config,
      name: "traffic-tracker-recorder",
    });
    const host = new RecorderHost(thread, ringBytes);
    const warnings: string[] = [];
    const history = await new Promise<History>((resolve, reject) => {
      thread.once("error", (error) => reject(new StoreError(`recorder thread: ${error.message}`)));
      thread.once("exit", (code) => reject(new StoreError(`recorder thread exited (code ${code}) while opening`)));
      thread.on("message", (message: FromRecorder) => {
        if (message.type === "opened") resolve(message.history);
        else if (message.type === "open-failed") reject(new StoreError(message.message));
        // Nobody listens yet while the store opens: the caller logs these.
        else if (message.type === "warning") warnings.push(message.message);
        else host.onMessage(message);
      });
    });
    thread.removeAllListeners("error").removeAllListeners("exit");
    thread.on("error", (error) =>
      host.emit("failed", `recorder thread crashed: ${error.stack ?? error.message}`, Number.NaN),
    );
    thread.on("exit", () => {
      host.exited = true;
      if (!host.stoppedReport) host.emit("failed", "recorder thread exited unexpectedly", Number.NaN);
    });
    return { host, history, warnings };
  }

  private onMessage(message: FromRecorder): void {
    switch (message.type) {
      case "failing":
        this.emit("failing", message.message);
        return;
      case "recovered":
        this.emit("recovered");
        return;
      case "failed":
        this.emit("failed", message.message, message.unstoredRecords);
        return;
      case "warning":
        this.emit("warning", message.message);
        return;
      case "stopped":
        this.stoppedReport = { rows: message.rows, unstoredRecords: message.unstoredRecords };
        return;
    }
  }

  /** Counting may begin: the counters exist (rebuilt from the history). */
  start(counters: SharedArrayBuffer): void {
    this.post({ type: "start", counters });
  }

  /** A fresh ring for a worker about to start. */
  openRing(): SharedArrayBuffer {
    const ring = createRing(this.ringBytes);
    const id = this.nextRingId++;
    this.ringIds.set(ring, id);
    this.post({ type: "add-ring", id, ring });
    return ring;
  }

  /** The ring's worker has exited: nothing more will be written to it. */
  retireRing(ring: SharedArrayBuffer): void {
    const id = this.ringIds.get(ring);
    if (id === undefined) return;
    this.ringIds.delete(ring);
    this.post({ type: "retire-ring", id });
  }

  /** Call after every worker has exited: stores what is left, closes the store. */
  stop(): Promise<StoppedReport> {
    this.stopped ??= (async () => {
      if (!this.exited) {
        const exit = once(this.thread, "exit");
        this.post({ type: "stop" });
        await exit;
      }
      return this.stoppedReport ?? { rows: 0, unstoredRecords: Number.NaN };
    })();
    return this.stopped;
  }

  private post(message: ToRecorder): void {
    if (!this.exited) this.thread.postMessage(message);
  }
}
