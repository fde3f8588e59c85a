/**
 * @module GET /export's bytes: DuckDB writes the file (COPY … TO) into a FIFO,
 * and `cat` relays it to this worker through an ordinary child-process pipe
 * (non-blocking, read on this thread's event loop; no thread of libuv's small
 * pool sits in a blocking read). Each chunk goes to the client as it comes,
 * paused while the client is slow (uWS backpressure): nothing is held but a
 * chunk, whatever the number of rows. DuckDB's own memory is capped
 * (query-runner.ts) and its sort spills to disk.
 *
 * `cat` opens the FIFO before DuckDB does; DuckDB's open then does not wait,
 * and `cat` ends after DuckDB's last byte.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface ExportPipe {
  readonly path: string;
  readonly reader: Readable;
  /** Removes the FIFO and stops the relay. */
  dispose(): void;
}

export async function openExportPipe(): Promise<ExportPipe> {
  const path = join(tmpdir(), `traffic-tracker-export-${process.pid}-${randomBytes(8).toString("hex")}.fifo`);
  // Created before DuckDB is asked: given a path that does not exist, it would write a regular file.
  await run("mkfifo", ["-m", "600", path]);
  let relay: ChildProcess;
  try {
    relay = spawn("cat", [path], { stdio: ["ignore", "pipe", "ignore"] });
  } catch (error) {
    rmSync(path, { force: true });
    throw error;
  }
  return {
    path,
    reader: relay.stdout as Readable,
    dispose() {
      rmSync(path, { force: true });
      if (relay.exitCode === null) relay.kill();
    },
  };
}
