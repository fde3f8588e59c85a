// Starts a TypeScript worker module under tsx (dev mode and tests only; the
// built service runs plain .js workers). Node 20 cannot load a .ts worker by
// itself, so the worker registers tsx and then imports the real entry.
import { workerData } from "node:worker_threads";
import { register } from "tsx/esm/api";

register();
await import(workerData.__tsEntry);
