import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { connect, createServer } from "node:net";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { accepts } from "../helpers/http.js";
import { describe, test } from "../helpers/node-test.js";
import { until } from "../helpers/wait.js";

const CLI = fileURLToPath(new URL("../../src/cli.ts", import.meta.url));

/** The CLI, in memory (these tests are not about the store: no ./data left behind). */
function run(args: string[]): ChildProcess {
  return spawn(process.execPath, ["--import", "tsx", CLI, "--no-persist", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
}

async function output(child: ChildProcess): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (c) => (stdout += c));
  child.stderr?.on("data", (c) => (stderr += c));
  const [code] = (await once(child, "exit")) as [number | null];
  return { code, stdout, stderr };
}

describe("the traffic-tracker command", () => {
  test("a bad value exits 2 with one clear line", async () => {
    const { code, stdout, stderr } = await output(run(["--port", "70000"]));
    assert.equal(code, 2);
    assert.equal(stdout, "");
    assert.equal(
      stderr,
      'traffic-tracker: --port must be a whole number from 0 to 65535, got "70000"\n(see traffic-tracker --help)\n',
    );
  });

  test("--dev with several workers exits 2 and says how to fix it", async () => {
    const { code, stderr } = await output(run(["--dev", "--n-workers", "4"]));
    assert.equal(code, 2);
    assert.match(stderr, /drop --n-workers \(or set it to 1\), or drop --dev/);
  });

  test("a port held by another process stops the start with a clear message", async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", r));
    const port = (blocker.address() as { port: number }).port;
    try {
      const { code, stderr } = await output(run(["--host", "127.0.0.1", "--port", String(port), "-n", "2"]));
      assert.equal(code, 1);
      assert.match(stderr, new RegExp(`port ${port} on 127.0.0.1 is already in use`));
    } finally {
      blocker.close();
    }
  });

  test("SIGTERM finishes the in-flight request, then exits 0 without a native abort", async () => {
    const child = run(["--host", "127.0.0.1", "--port", "0", "-n", "2"]);
    const done = output(child);
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    let port = 0;
    for await (const line of lines) {
      const event = JSON.parse(line);
      if (event.port) {
        port = event.port;
        break;
      }
    }
    assert.ok(port > 0);
    // Start a request and leave it half sent.
    const body = JSON.stringify({ user_id: "last-shopper", page_url: "/p" });
    const socket = connect(port, "127.0.0.1");
    await once(socket, "connect");
    let reply = "";
    socket.on("data", (c) => (reply += c));
    // A GET in the same write: once it is answered, the server has the visit's start behind it.
    socket.write(
      `GET /ready HTTP/1.1\r\nHost: x\r\n\r\nPOST /visit HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 10)}`,
    );
    await until("the answer to the GET", () => reply.endsWith("}"), { detail: () => reply });
    assert.match(reply, /^HTTP\/1\.1 200 OK/);
    reply = "";
    const signalled = performance.now();
    child.kill("SIGTERM");
    // The workers close their listen sockets when told to drain: refused connections show they have been told.
    await until("the workers to start draining", async () => !(await accepts(port)));
    socket.write(body.slice(10));
    await once(socket, "close");
    assert.match(reply, /^HTTP\/1\.1 200 OK/);
    assert.match(reply, /Connection: close/i);
    assert.match(reply, /"visit_count":1,/);
    const { code, stdout, stderr } = await done;
    const seconds = (performance.now() - signalled) / 1000;
    assert.equal(code, 0, stderr);
    assert.ok(seconds < 12, `exited after ${seconds.toFixed(1)} s`);
    assert.doesNotMatch(stderr, /Abort|uv_loop_close/);
    const events = stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    const stopped = events.find((e) => e.msg === "stopped");
    assert.equal(stopped?.total_visits, 1);
    for (const e of events) {
      assert.match(e.time, /Z$/);
      assert.equal(e.pid, child.pid);
      assert.ok(["info", "warn", "error"].includes(e.level));
    }
  });
});

describe("access logs", () => {
  test("are off by default and, with --access-log 1, one JSON line per request", async () => {
    for (const [args, expected] of [
      [[], 0],
      [["--access-log", "1"], 3],
    ] as const) {
      const child = run(["--host", "127.0.0.1", "--port", "0", "-n", "1", ...args]);
      const done = output(child);
      let seen = "";
      child.stdout?.on("data", (c) => (seen += c));
      const stdoutSoFar = () => seen;
      const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
      let port = 0;
      for await (const line of lines) {
        port = JSON.parse(line).port ?? 0;
        if (port) break;
      }
      const base = `http://127.0.0.1:${port}`;
      await fetch(`${base}/visit`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: '{"user_id":"u","page_url":"/p"}',
      });
      await fetch(`${base}/stats?timeframe_hours=x`);
      await fetch(`${base}/nope`);
      const logged = () =>
        stdoutSoFar()
          .split("\n")
          .filter((l) => l.includes('"msg":"request"')).length;
      // Worker threads' lines reach the process's stdout through the main thread: wait for them.
      if (expected > 0) await until("the access log lines", () => logged() >= expected, { detail: stdoutSoFar });
      child.kill("SIGTERM");
      const { code, stdout } = await done;
      assert.equal(code, 0);
      const requests = stdout
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l))
        .filter((e) => e.msg === "request");
      assert.equal(requests.length, expected);
      if (expected > 0) {
        assert.deepEqual(
          requests.map((e) => [e.route, e.status]),
          [
            ["/visit", "200"],
            ["/stats", "422"],
            ["other", "404"],
          ],
        );
        for (const e of requests) assert.ok(typeof e.ms === "number" && e.ms >= 0);
      }
    }
  });
});
