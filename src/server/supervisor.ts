/**
 * @module Main thread: starts the worker threads, replaces any that dies,
 * publishes their health in the shared header, drains them on shutdown.
 */
import { EventEmitter, once } from "node:events";
import type { Worker } from "node:worker_threads";
import { countWorkerRestart, noteSlotUsed, setWorkersAlive, setWorkersExpected } from "../counters/service-status.js";
import { releaseWriterSlot, type SharedCounters, SYNC_TASK_SLOT } from "../counters/shared-counters.js";
import type { Logger } from "../log.js";
import { spawnWorker } from "../threads/spawn.js";
import type { FromWorker, ToWorker, WorkerConfig } from "./messages.js";

type Phase = "starting" | "ready" | "retiring";

interface Handle {
  readonly worker: Worker;
  readonly slot: number;
  /** Its ring to the recorder (persistent mode), retired when the worker exits. */
  readonly ring: SharedArrayBuffer | undefined;
  phase: Phase;
  /** Replace it if it dies: once it has served, or when it is itself a replacement. */
  replaceable: boolean;
}

export interface SupervisorOptions {
  readonly entry: URL;
  readonly counters: SharedCounters;
  readonly nWorkers: number;
  readonly log: Logger;
  /** Everything a worker needs but its slot, port and ring. */
  readonly workerConfig: Omit<WorkerConfig, "slot" | "port" | "ring">;
  /** Persistent mode: a fresh ring per worker, retired once that worker has exited. */
  readonly rings?: { open(): SharedArrayBuffer; retire(ring: SharedArrayBuffer): void };
}

export class StartError extends Error {
  override name = "StartError";
}

/** Replacement back-off after a worker dies before it ever served: 0.5 s doubling to 30 s. */
const BACKOFF_MS = [500, 1000, 2000, 4000, 8000, 16000, 30000];

export class Supervisor extends EventEmitter {
  private readonly handles = new Set<Handle>();
  // Every slot but the cluster sync task's, lowest first.
  private readonly freeSlots: number[] = Array.from({ length: SYNC_TASK_SLOT }, (_, i) => SYNC_TASK_SLOT - 1 - i);
  private port = 0;
  private entry: URL;
  private stopping = false;
  private failuresInARow = 0;
  private replaceTimer: NodeJS.Timeout | undefined;

  private readonly options: SupervisorOptions;

  constructor(options: SupervisorOptions) {
    super();
    this.options = options;
    this.setMaxListeners(0); // one pair of listeners per starting worker
    this.entry = options.entry;
    setWorkersExpected(options.counters, options.nWorkers);
  }

  /** Starts every worker on `port` (already probed free); resolves once all listen. */
  async start(port: number): Promise<void> {
    this.port = port;
    const started = Array.from({ length: this.options.nWorkers }, () => this.spawn());
    await Promise.all(started.map((h) => this.whenReady(h)));
  }

  /** Workers currently serving (not starting, not retiring). */
  get alive(): number {
    let n = 0;
    for (const h of this.handles) if (h.phase === "ready") n++;
    return n;
  }

  get workers(): number {
    return this.handles.size;
  }

  /** Test hook: make a serving worker throw an uncaught exception. */
  injectFault(): boolean {
    for (const h of this.handles) {
      if (h.phase === "ready") {
        h.worker.postMessage({ type: "inject-fault" } satisfies ToWorker);
        return true;
      }
    }
    return false;
  }

  /** Dev reload: start a new generation from `entry`, then retire the old one. */
  async reload(entry: URL = this.entry): Promise<void> {
    this.entry = entry;
    const old = [...this.handles].filter((h) => h.phase !== "retiring");
    const fresh = old.map(() => this.spawn());
    await Promise.all(fresh.map((h) => this.whenReady(h)));
    for (const h of old) this.retire(h);
  }

  /** Stops accepting everywhere and resolves when every worker has exited. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.replaceTimer);
    const exits = [...this.handles].map((h) => once(h.worker, "exit"));
    for (const h of this.handles) this.retire(h);
    await Promise.all(exits);
  }

  private spawn(replaceable = false): Handle {
    const slot = this.freeSlots.pop();
    if (slot === undefined) throw new StartError("no free worker slot (too many workers draining at once)");
    releaseWriterSlot(this.options.counters, slot);
    noteSlotUsed(this.options.counters, slot);
    const ring = this.options.rings?.open();
    const workerData: WorkerConfig = { ...this.options.workerConfig, slot, port: this.port, ...(ring ? { ring } : {}) };
    const worker = spawnWorker(this.entry, { workerData, name: `traffic-tracker-${slot}` });
    const handle: Handle = { worker, slot, ring, phase: "starting", replaceable };
    this.handles.add(handle);
    worker.on("message", (message: FromWorker) => this.onMessage(handle, message));
    worker.on("error", (error) => this.onDeath(handle, `crashed: ${error.stack ?? error.message}`));
    worker.on("exit", (code) => this.onExit(handle, code));
    return handle;
  }

  private whenReady(handle: Handle): Promise<void> {
    return new Promise((resolve, reject) => {
      const onReady = (h: Handle) => {
        if (h !== handle) return;
        cleanup();
        resolve();
      };
      const onFailed = (h: Handle, reason: string) => {
        if (h !== handle) return;
        cleanup();
        reject(new StartError(reason));
      };
      const cleanup = () => {
        this.off("worker-ready", onReady);
        this.off("worker-failed", onFailed);
      };
      this.on("worker-ready", onReady);
      this.on("worker-failed", onFailed);
    });
  }

  private onMessage(handle: Handle, message: FromWorker): void {
    switch (message.type) {
      case "ready":
        if (handle.phase !== "starting") return;
        handle.phase = "ready";
        handle.replaceable = true;
        this.failuresInARow = 0;
        this.publishHealth();
        this.emit("worker-ready", handle);
        return;
      case "listen-failed":
        this.onDeath(
          handle,
          `cannot listen on ${message.host}:${message.port}: the port is in use or the address is not on this machine`,
        );
        return;
      case "fatal":
        this.onDeath(handle, `uncaught exception: ${message.error}`);
        return;
      case "error":
        this.options.log.error("request failed with an unexpected error (answered 500)", {
          worker: handle.slot,
          error: message.error,
        });
        return;
    }
  }

  /** A worker can no longer serve: count it out now and start its replacement at once (SO_REUSEPORT). */
  private onDeath(handle: Handle, reason: string): void {
    if (handle.phase === "retiring") return;
    const wasServing = handle.phase === "ready";
    handle.phase = "retiring";
    this.publishHealth();
    this.emit("worker-failed", handle, reason);
    // A worker of a start or reload that fails is reported there, not retried here.
    if (this.stopping || !handle.replaceable) return;
    this.options.log.error("worker thread died; replacing it", { worker: handle.slot, reason });
    countWorkerRestart(this.options.counters);
    if (wasServing) this.failuresInARow = 0;
    const delay =
      this.failuresInARow === 0 ? 0 : (BACKOFF_MS[Math.min(this.failuresInARow - 1, BACKOFF_MS.length - 1)] as number);
    this.failuresInARow++;
    this.replaceTimer = setTimeout(() => {
      if (this.stopping) return;
      const replacement = this.spawn(true);
      this.whenReady(replacement).then(
        () => this.options.log.info("worker thread replaced", { worker: replacement.slot }),
        (error: Error) => this.options.log.error("replacement worker failed to start", { error: error.message }),
      );
    }, delay);
  }

  private onExit(handle: Handle, code: number): void {
    if (handle.phase !== "retiring") this.onDeath(handle, `exited with code ${code}`);
    this.handles.delete(handle);
    // Its writer slot can be released only now: until exit it may still have been counting.
    releaseWriterSlot(this.options.counters, handle.slot);
    this.freeSlots.push(handle.slot);
    // Same for its ring: the recorder stores what is left in it, then drops it.
    if (handle.ring) this.options.rings?.retire(handle.ring);
    this.emit("worker-exit", handle, code);
  }

  private retire(handle: Handle): void {
    if (handle.phase !== "retiring") {
      handle.phase = "retiring";
      this.publishHealth();
    }
    try {
      handle.worker.postMessage({ type: "drain" } satisfies ToWorker);
    } catch {}
  }

  private publishHealth(): void {
    setWorkersAlive(this.options.counters, this.alive);
  }
}
