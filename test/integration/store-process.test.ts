import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { Agent, request as httpRequest } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { listSegments, segmentPath } from "../../src/store/journal.js";
import { STORE_FILE } from "../../src/store/visit-store.js";
import { listeningPort, runCli } from "../helpers/cli.js";
import { describe, type TestContext, test } from "../helpers/node-test.js";
import { storedCounts, tempDataDir } from "../helpers/store.js";
import { until } from "../helpers/wait.js";

const BASE_ARGS = ["--host", "127.0.0.1", "--port", "0"];

/** One POST /visit; resolves with [status, visit_count or 0], or undefined if the connection failed. */
function post(port: number, agent: Agent, body: string): Promise<[number, number] | undefined> {
  return new Promise((resolve) => {
    const req = httpRequest(
      {
        host: "127.0.0.1",
        port,
        path: "/visit",
        method: "POST",
        agent,
        headers: { "content-type": "application/json" },
      },
      (res) => {
        let text = "";
        res.on("data", (c) => (text += c));
        res.on("end", () => {
          const count = res.statusCode === 200 ? (JSON.parse(text) as { visit_count: number }).visit_count : 0;
          resolve([res.statusCode ?? 0, count]);
        });
        res.on("error", () => resolve(undefined));
      },
    );
    req.on("error", () => resolve(undefined));
    req.end(body);
  });
}

interface Ack {
  count: number;
  atMs: number;
}

/** 32 keep-alive connections posting visits back to back until `stop()`; every acknowledged count, with its time. */
function load(port: number) {
  const agent = new Agent({ keepAlive: true, maxSockets: 32 });
  const acks: Ack[] = [];
  let running = true;
  const loops = Array.from({ length: 32 }, async (_, i) => {
    while (running) {
      const r = await post(port, agent, JSON.stringify({ user_id: `shopper-${i}`, page_url: "/flash-sale" }));
      if (r === undefined) return; // the server is gone
      if (r[0] === 200) acks.push({ count: r[1], atMs: performance.now() });
    }
  });
  return {
    acks,
    async stop() {
      running = false;
      await Promise.all(loops);
      agent.destroy();
    },
  };
}

async function crashUnderLoad(t: TestContext, durability: "batch" | "strict") {
  const dir = tempDataDir(t);
  const cli = runCli([...BASE_ARGS, "-n", "2", "--data-dir", dir, "--durability", durability]);
  const port = await listeningPort(cli);
  const traffic = load(port);
  // Enough acknowledged, and still coming, when the crash comes.
  await until("visits acknowledged under load", () => traffic.acks.length >= 400, {
    timeoutMs: 20_000,
    detail: () => `${traffic.acks.length} acknowledged`,
  });
  const killedAt = performance.now();
  cli.child.kill("SIGKILL");
  await cli.exited;
  await traffic.stop();
  assert.ok(traffic.acks.length > 200, `load ran (${traffic.acks.length} acknowledged)`);
  // What the crash left outside DuckDB is in the journal; the next start imports it before serving.
  assert.ok(listSegments(dir).length > 0, "the crash left a journal behind");
  const next = await nextCountAfterRestart(t, dir);
  assert.deepEqual(listSegments(dir), [], "the restart imported the journal and removed it");
  const stored = await storedCounts(dir);
  assert.equal(new Set(stored).size, stored.length, "no count stored twice");
  assert.equal(stored.at(-1), next, "the visit after the restart is stored, last");
  const beforeCrash = stored.slice(0, -1);
  return { acks: traffic.acks, stored: new Set(beforeCrash), killedAt, highestStored: beforeCrash.at(-1) ?? 0, next };
}

async function nextCountAfterRestart(t: TestContext, dir: string): Promise<number> {
  const cli = runCli([...BASE_ARGS, "-n", "1", "--data-dir", dir]);
  t.after(async () => {
    if (cli.child.exitCode === null) {
      cli.child.kill("SIGTERM");
      await cli.exited;
    }
  });
  const port = await listeningPort(cli);
  const agent = new Agent({ keepAlive: false });
  const r = await post(port, agent, JSON.stringify({ user_id: "after-crash", page_url: "/" }));
  cli.child.kill("SIGTERM");
  assert.equal(await cli.exited, 0);
  return r?.[1] ?? 0;
}

describe("crashes (kill -9 under concurrent load)", () => {
  test("strict: every acknowledged visit is stored, and counting resumes above all of them", async (t) => {
    const { acks, stored, highestStored, next } = await crashUnderLoad(t, "strict");
    const missing = acks.filter((a) => !stored.has(a.count));
    assert.deepEqual(missing, [], "an acknowledged visit was lost");
    const highestAck = Math.max(...acks.map((a) => a.count));
    assert.ok(highestStored >= highestAck);
    assert.equal(next, highestStored + 1);
  });

  test("batch: only visits acknowledged in the last moments before the crash can be lost", async (t) => {
    const { acks, stored, killedAt, highestStored, next } = await crashUnderLoad(t, "batch");
    // The stated bound is one batch (10 ms) plus a commit; allow a slow, shared CI box 500 ms.
    const lostEarly = acks.filter((a) => !stored.has(a.count) && a.atMs < killedAt - 500);
    assert.deepEqual(lostEarly, [], "a visit acknowledged well before the crash was lost");
    assert.equal(next, highestStored + 1, "no count handed out twice");
  });

  test("a journal line torn by the crash is dropped with a warning; every whole line is imported", async (t) => {
    const dir = tempDataDir(t);
    const cli = runCli([...BASE_ARGS, "-n", "1", "--data-dir", dir, "--durability", "strict"]);
    const port = await listeningPort(cli);
    const agent = new Agent({ keepAlive: true });
    for (let i = 1; i <= 50; i++) {
      assert.deepEqual(await post(port, agent, JSON.stringify({ user_id: `u${i}`, page_url: "/" })), [200, i]);
    }
    agent.destroy();
    cli.child.kill("SIGKILL");
    await cli.exited;
    const newest = listSegments(dir).at(-1);
    assert.ok(newest, "a journal segment is left");
    appendFileSync(newest.path, '{"t":1764064800000,"h":null,"p":null,"b":{"user_id":"half-writ');
    const staleRewrite = `${segmentPath(dir, 999)}.clean`; // as if a crash interrupted an older rewrite
    writeFileSync(staleRewrite, '{"half":');
    const restarted = runCli([...BASE_ARGS, "-n", "1", "--data-dir", dir]);
    await listeningPort(restarted);
    restarted.child.kill("SIGTERM");
    assert.equal(await restarted.exited, 0);
    assert.match(restarted.stdout(), /1 torn line\(s\) dropped/);
    assert.equal(existsSync(staleRewrite), false, "an interrupted rewrite is removed");
    assert.deepEqual(
      await storedCounts(dir),
      Array.from({ length: 50 }, (_, i) => i + 1),
    );
  });
});

/** Starts the CLI on `dir` expecting it to refuse: returns its exit code and stderr. */
async function refusedStart(dir: string, extra: string[] = []): Promise<{ code: number | null; stderr: string }> {
  const cli = runCli([...BASE_ARGS, "-n", "1", "--data-dir", dir, ...extra]);
  const code = await cli.exited;
  return { code, stderr: cli.stderr() };
}

/** Mounts a tmpfs on a fresh directory (root only); undefined (and the test skipped) when that is impossible. */
function tmpfs(t: TestContext, options: string): string | undefined {
  const parent = mkdtempSync(join(tmpdir(), "traffic-tracker-tmpfs-"));
  const dir = join(parent, "mnt");
  mkdirSync(dir);
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", options, "tmpfs", dir], { stdio: "pipe" });
  } catch (error) {
    rmSync(parent, { recursive: true, force: true });
    t.skip(`cannot mount a tmpfs here (needs root): ${(error as Error).message.split("\n")[0]}`);
    return undefined;
  }
  t.after(() => {
    try {
      execFileSync("umount", ["-l", dir], { stdio: "pipe" });
    } catch {}
    rmSync(parent, { recursive: true, force: true });
  });
  return dir;
}

describe("storage errors give one clear message and a non-zero exit", () => {
  test("a damaged or foreign store file", async (t) => {
    const dir = tempDataDir(t);
    writeFileSync(join(dir, STORE_FILE), "this is not a database".repeat(100));
    const damaged = await refusedStart(dir);
    assert.equal(damaged.code, 1);
    assert.match(damaged.stderr, /visits\.duckdb is not a traffic-tracker store \(not a DuckDB database, or damaged\)/);

    const other = tempDataDir(t);
    const instance = await DuckDBInstance.create(join(other, STORE_FILE));
    const connection = await instance.connect();
    await connection.run("CREATE TABLE orders (id INTEGER)");
    connection.closeSync();
    instance.closeSync();
    const foreign = await refusedStart(other);
    assert.equal(foreign.code, 1);
    assert.match(foreign.stderr, /is a DuckDB database but not a traffic-tracker store \(tables: orders\)/);
  });

  test("a second instance on the same data directory", async (t) => {
    const dir = tempDataDir(t);
    const first = runCli([...BASE_ARGS, "-n", "1", "--data-dir", dir]);
    t.after(async () => {
      first.child.kill("SIGTERM");
      await first.exited;
    });
    await listeningPort(first);
    const second = await refusedStart(dir);
    assert.equal(second.code, 1);
    assert.match(second.stderr, /is in use by another process .*: one data directory serves one traffic-tracker/);
  });

  test("a read-only directory", async (t) => {
    const dir = tmpfs(t, "ro,size=1m");
    if (!dir) return;
    const { code, stderr } = await refusedStart(join(dir, "data"));
    assert.equal(code, 1);
    assert.match(
      stderr,
      /is not writable \(.*read-only file system.*\): fix its permissions or choose another --data-dir/i,
    );
  });

  test("a full disk at start", async (t) => {
    const dir = tmpfs(t, "size=256k");
    if (!dir) return;
    try {
      writeFileSync(join(dir, "filler"), Buffer.alloc(1024 * 1024));
    } catch {}
    const { code, stderr } = await refusedStart(dir);
    assert.equal(code, 1);
    assert.match(stderr, /no space left on the device holding .*: free some space or choose another --data-dir/);
  });

  test("a disk that fills while serving: visits refused (503), /health unhealthy, then exit 1", async (t) => {
    const dir = tmpfs(t, "size=3m");
    if (!dir) return;
    const cli = runCli([...BASE_ARGS, "-n", "1", "--data-dir", dir, "--store-retry-seconds", "2"]);
    t.after(async () => {
      if (cli.child.exitCode === null) cli.child.kill("SIGKILL");
    });
    const port = await listeningPort(cli);
    const agent = new Agent({ keepAlive: true, maxSockets: 8 });
    t.after(() => agent.destroy());
    const bulky = JSON.stringify({
      user_id: "u",
      page_url: `/${"p".repeat(2000)}`,
      referrer: `/${"r".repeat(2000)}`,
      user_agent: "a".repeat(1000),
    });
    let refused = 0;
    let accepted = 0;
    for (let i = 0; i < 4000 && refused === 0; i++) {
      const replies = await Promise.all(Array.from({ length: 8 }, () => post(port, agent, bulky)));
      for (const r of replies) {
        if (r?.[0] === 200) accepted++;
        else if (r?.[0] === 503) refused++;
      }
    }
    assert.ok(accepted > 0 && refused > 0, `accepted ${accepted}, refused ${refused}`);
    const health = await fetch(`http://127.0.0.1:${port}/health`).catch(() => undefined);
    if (health) {
      assert.equal(health.status, 503);
      assert.match(((await health.json()) as { reason: string }).reason, /visit store (failing|failed)/);
    }
    agent.destroy();
    assert.equal(await cli.exited, 1);
    assert.match(cli.stderr(), /no space left on the device holding/);
  });
});
