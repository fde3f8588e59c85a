/**
 * A real redis-server for one test file: a free loopback port, a temp dir with
 * its append-only file, stopped by PID. Also a tiny TCP proxy that can drop
 * replies or refuse connections, to stage the network faults.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SYNC_FUNCTION } from "../../src/cluster/library.js";

export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  server.close();
  await once(server, "close");
  return port;
}

/** Polls `check` every 25 ms until it is true; fails with `what` after `timeoutMs`. */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000) {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Sends one inline command over a fresh connection; resolves with the raw reply text. */
export async function rawCommand(port: number, command: string, timeoutMs = 2000, password = ""): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    let data = "";
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no reply to ${command} in ${timeoutMs} ms`));
    }, timeoutMs);
    // With a password, AUTH goes first and its "+OK" line is dropped from the reply.
    let skip = password === "" ? 0 : 5;
    socket.on("connect", () => socket.write(`${password === "" ? "" : `AUTH ${password}\r\n`}${command}\r\n`));
    socket.on("data", (chunk) => {
      data += chunk;
      if (skip > 0 && data.length >= skip) {
        data = data.slice(skip);
        skip = 0;
      } else if (skip > 0) return;
      // A bulk string ("$2\r\n42\r\n") ends at its second line break; other short replies at their first.
      const lines = data.split("\r\n").length - 1;
      if (lines >= (data.startsWith("$") && !data.startsWith("$-1") ? 2 : 1)) {
        clearTimeout(timer);
        socket.end();
        resolve(data);
      }
    });
    socket.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

export class RedisServer {
  readonly dir: string;
  readonly port: number;
  private child: ChildProcess | undefined;
  private readonly extra: string[];

  readonly password: string;

  private constructor(port: number, dir: string, extra: string[], password: string) {
    this.port = port;
    this.dir = dir;
    this.extra = extra;
    this.password = password;
  }

  /** Starts redis-server (AOF on, fsync per write) and waits until it answers PING. */
  static async start(extra: string[] = [], password = ""): Promise<RedisServer> {
    const dir = mkdtempSync(join(tmpdir(), "tt-redis-"));
    const server = new RedisServer(await freePort(), dir, extra, password);
    await server.launch();
    return server;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get pid(): number {
    if (this.child?.pid === undefined) throw new Error("redis-server is not running");
    return this.child.pid;
  }

  /** (Re)starts the server on the same port and directory: it reloads its append-only file. */
  async launch(): Promise<void> {
    const child = spawn(
      "redis-server",
      [
        "--port",
        String(this.port),
        "--bind",
        "127.0.0.1",
        "--dir",
        this.dir,
        "--appendonly",
        "yes",
        "--appendfsync",
        "always",
        "--save",
        "",
        "--daemonize",
        "no",
        ...(this.password === "" ? [] : ["--requirepass", this.password]),
        ...this.extra,
      ],
      { stdio: "ignore" },
    );
    this.child = child;
    await waitFor("redis-server to answer PING", async () => {
      if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`);
      return rawCommand(this.port, "PING", 500, this.password).then(
        (reply) => reply.startsWith("+PONG"),
        () => false,
      );
    });
  }

  /** Sends a signal by PID (SIGSTOP/SIGCONT to pause; SIGKILL to crash it). */
  signal(signal: NodeJS.Signals): void {
    process.kill(this.pid, signal);
  }

  /** Kills it with SIGKILL and waits for the exit. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, "exit");
    process.kill(child.pid as number, "SIGCONT"); // a paused server cannot die until resumed
    process.kill(child.pid as number, "SIGKILL");
    await exited;
  }

  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** One command's reply, e.g. `command("GET", "{tt}:total")`, as text. */
  async command(...args: string[]): Promise<string> {
    const resp = `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join("")}`;
    const reply = await rawCommand(this.port, resp.slice(0, -2), 2000, this.password);
    return reply;
  }

  /** Calls per command so far, from INFO commandstats (every command, those a function runs included). */
  async commandCalls(): Promise<Map<string, number>> {
    const args = ["-p", String(this.port), ...(this.password === "" ? [] : ["-a", this.password, "--no-auth-warning"])];
    const text = await new Promise<string>((resolve, reject) =>
      execFile("redis-cli", [...args, "INFO", "commandstats"], (error, stdout) =>
        error ? reject(error) : resolve(stdout),
      ),
    );
    const calls = new Map<string, number>();
    for (const m of text.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) calls.set(m[1] as string, Number(m[2]));
    return calls;
  }

  /**
   * Every command Redis runs from now until `stop()` (MONITOR), one line each,
   * e.g. `1796213564.95 [0 127.0.0.1:47862] "FCALL" "tt3_sync" …`; the
   * commands a function runs follow its FCALL as `[0 lua]` lines.
   */
  async monitor(): Promise<{ lines: () => string[]; stop: () => void }> {
    const socket = createConnection({ host: "127.0.0.1", port: this.port });
    socket.setEncoding("utf8");
    let buffer = "";
    const lines: string[] = [];
    let ready: () => void = () => {};
    const started = new Promise<void>((resolve) => (ready = resolve));
    socket.on("data", (chunk: string) => {
      buffer += chunk;
      const parts = buffer.split("\r\n");
      buffer = parts.pop() as string;
      for (const part of parts) {
        if (part === "+OK") ready();
        else if (part.startsWith("+")) lines.push(part.slice(1));
      }
    });
    socket.on("error", () => {});
    await once(socket, "connect");
    socket.write(`${this.password === "" ? "" : `AUTH ${this.password}\r\n`}MONITOR\r\n`);
    await started;
    return { lines: () => lines, stop: () => socket.destroy() };
  }

  /** An integer reply (":42") or bulk string reply ("$2\r\n42") as a number; a nil reply is 0. */
  async number(...args: string[]): Promise<number> {
    const reply = await this.command(...args);
    if (reply.startsWith(":")) return Number(reply.slice(1).trim());
    if (reply.startsWith("$-1")) return 0;
    if (reply.startsWith("$")) return Number(reply.split("\r\n")[1]);
    throw new Error(`not a number reply: ${JSON.stringify(reply)}`);
  }
}

/**
 * A TCP proxy in front of Redis. `dropNextReply()` makes it forward the next
 * command, then cut both connections before its reply reaches the client: the
 * command was applied, the client never learns it. `refuse` closes new
 * connections at once (Redis unreachable).
 */
export class FlakyProxy {
  readonly port: number;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private dropArmed = false;
  dropped = 0;
  refuse = false;

  private constructor(server: Server, port: number) {
    this.server = server;
    this.port = port;
  }

  static async start(targetPort: number): Promise<FlakyProxy> {
    let proxy: FlakyProxy | undefined;
    const server = createServer((client) => proxy?.accept(client, targetPort));
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const address = server.address();
    proxy = new FlakyProxy(server, typeof address === "object" && address ? address.port : 0);
    return proxy;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** The next sync call (FCALL of SYNC_FUNCTION) is applied, and its reply is lost. */
  dropNextReply(): void {
    this.dropArmed = true;
  }

  /** Cuts every open connection (the client reconnects through the proxy). */
  cutAll(): void {
    for (const s of this.sockets) s.destroy();
  }

  async close(): Promise<void> {
    this.cutAll();
    this.server.close();
    await once(this.server, "close");
  }

  private accept(client: Socket, targetPort: number): void {
    if (this.refuse) {
      client.destroy();
      return;
    }
    const upstream = createConnection({ host: "127.0.0.1", port: targetPort });
    this.sockets.add(client).add(upstream);
    let dropThis = false;
    client.on("data", (chunk) => {
      // Arm on a batch call (FCALL of the sync function), not on the handshake.
      if (this.dropArmed && chunk.includes("FCALL") && chunk.includes(SYNC_FUNCTION)) {
        this.dropArmed = false;
        dropThis = true;
      }
      upstream.write(chunk);
    });
    upstream.on("data", (chunk) => {
      if (dropThis) {
        this.dropped++;
        client.destroy();
        upstream.destroy();
        return;
      }
      client.write(chunk);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.on("close", end);
    upstream.on("close", end);
    client.on("error", end);
    upstream.on("error", end);
  }
}
