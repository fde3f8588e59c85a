/**
 * @module GET /export's bytes: DuckDB writes the file (COPY … TO) into a FIFO
 * this worker reads, and each chunk goes to the client as it comes, paused
 * while the client is slow (uWS backpressure). Nothing is held but a chunk,
 * whatever the number of rows; DuckDB's own memory is capped (query-runner.ts)
 * and its sort spills to disk.
 *
 * The FIFO is opened for reading before DuckDB opens it for writing (so its
 * open does not block), and a second write end, held here, keeps the reader
 * from seeing an end of file before DuckDB has started; it is closed once
 * DuckDB has answered, and the reader then ends after the last byte.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { closeSync, constants, openSync, rmSync } from "node:fs";
import { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface ExportPipe {
  readonly path: string;
  readonly reader: Socket;
  /** Call when DuckDB is done writing (or failed): the reader then ends once drained. */
  writerDone(): void;
  /** Removes the FIFO and closes everything. */
  dispose(): void;
}

export async function openExportPipe(): Promise<ExportPipe> {
  const path = join(tmpdir(), `traffic-tracker-export-${process.pid}-${randomBytes(8).toString("hex")}.fifo`);
  await run("mkfifo", ["-m", "600", path]);
  let readFd = -1;
  let holdFd = -1;
  try {
    readFd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    holdFd = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
  } catch (error) {
    if (readFd !== -1) closeSync(readFd);
    rmSync(path, { force: true });
    throw error;
  }
  const reader = new Socket({ fd: readFd, readable: true, writable: false });
  let held = true;
  const writerDone = () => {
    if (!held) return;
    held = false;
    closeSync(holdFd);
  };
  return {
    path,
    reader,
    writerDone,
    dispose() {
      writerDone();
      reader.destroy();
      rmSync(path, { force: true });
    },
  };
}
