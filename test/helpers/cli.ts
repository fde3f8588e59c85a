/** The traffic-tracker command as a child process, for tests that need a real process (signals, kill -9). */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";

const CLI = fileURLToPath(new URL("../../src/cli.ts", import.meta.url));

export interface CliProcess {
  readonly child: ChildProcess;
  /** Everything written so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
}

export function runCli(args: string[]): CliProcess {
  const child = spawn(process.execPath, ["--import", "tsx", CLI, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout?.on("data", (c) => (out += c));
  child.stderr?.on("data", (c) => (err += c));
  const exited = once(child, "exit").then(([code]) => code as number | null);
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** The port from the "listening" log line; rejects with the output if the process exits first. */
export async function listeningPort(cli: CliProcess, timeoutMs = 20_000): Promise<number> {
  const deadline = performance.now() + timeoutMs;
  let exitCode: number | null | undefined;
  void cli.exited.then((code) => (exitCode = code));
  while (performance.now() < deadline) {
    for (const line of cli.stdout().split("\n")) {
      if (!line.startsWith("{")) continue;
      const port = (JSON.parse(line) as { port?: number }).port;
      if (port) return port;
    }
    if (exitCode !== undefined) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no listening line (exit ${exitCode}): ${cli.stderr()} ${cli.stdout()}`);
}
