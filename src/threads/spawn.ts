/**
 * @module Starts a thread (a worker, the recorder) from a module URL, whether the code runs
 * built (.js) or from source under tsx (.ts).
 */
import { Worker, type WorkerOptions } from "node:worker_threads";

export function spawnWorker(entry: URL, options: WorkerOptions = {}): Worker {
  if (!entry.pathname.endsWith(".ts")) return new Worker(entry, options);
  const workerData = { ...(options.workerData as object), __tsEntry: entry.href };
  return new Worker(new URL("./tsx-worker.mjs", import.meta.url), { ...options, workerData });
}

/** The sibling module `name` of `base`, with the same extension (.ts from source, .js when built). */
export function siblingModule(base: string, name: string): URL {
  const ext = base.endsWith(".ts") ? ".ts" : ".js";
  return new URL(`${name}${ext}`, base);
}
