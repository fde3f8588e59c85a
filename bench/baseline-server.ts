/**
 * The bare baseline for the performance bar: N uWS worker threads on one port,
 * each answering POST /visit with a fixed JSON body after reading the request
 * body (the least any POST handler must do), and nothing else. Prints
 * `{"port":N}` when ready; SIGINT/SIGTERM drains and exits.
 *
 *   node --import tsx bench/baseline-server.ts [--threads 1] [--port 0] [--host 127.0.0.1]
 */
import { once } from "node:events";
import { parseArgs } from "node:util";
import { probePort } from "../src/server/port-probe.js";
import { spawnWorker } from "../src/threads/spawn.js";

const { values } = parseArgs({
  options: {
    threads: { type: "string", default: "1" },
    port: { type: "string", default: "0" },
    host: { type: "string", default: "127.0.0.1" },
  },
});
const threads = Number(values.threads);
const port = await probePort(values.host, Number(values.port));
const workers = Array.from({ length: threads }, () =>
  spawnWorker(new URL("./baseline-worker.ts", import.meta.url), { workerData: { host: values.host, port } }),
);
await Promise.all(workers.map((w) => once(w, "message")));
process.stdout.write(`${JSON.stringify({ port, threads, server: "baseline" })}\n`);
const stop = () => {
  for (const w of workers) w.postMessage("drain");
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
