/**
 * The shipped load-balancer config (docker/nginx-cluster.conf) run with
 * Debian's nginx in front of two instances: only its listen port and upstream
 * servers are swapped for this test's; every visit through it counts once.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { Agent } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { request, visit } from "../helpers/http.js";
import { after, before, describe, test } from "../helpers/node-test.js";
import { freePort, RedisServer, waitFor } from "../helpers/redis-server.js";
import { startTestService, type TestService } from "../helpers/service.js";

const SHIPPED = new URL("../../docker/nginx-cluster.conf", import.meta.url);

/** The shipped config with this test's port and instances; fails if either line moved. */
function nginxConfig(listenPort: number, upstreams: string[]): string {
  const shipped = readFileSync(SHIPPED, "utf8");
  const servers = /^ {4}server traffic-tracker-\d+:8080 (.*);$/gm;
  const options = servers.exec(shipped)?.[1];
  assert.ok(options, "upstream server lines not found in docker/nginx-cluster.conf");
  let config = shipped.replace(/^ {4}server traffic-tracker-\d+:8080 .*;\n/gm, "");
  config = config.replace(
    /^( {2}upstream traffic_tracker \{\n)/m,
    `$1${upstreams.map((u) => `    server ${u} ${options};\n`).join("")}`,
  );
  assert.match(config, /^ {4}listen 8080;$/m, "listen line not found in docker/nginx-cluster.conf");
  return config.replace(/^ {4}listen 8080;$/m, `    listen 127.0.0.1:${listenPort};`);
}

describe("nginx (docker/nginx-cluster.conf) in front of two instances", () => {
  let redis: RedisServer;
  let a: TestService;
  let b: TestService;
  let nginx: ChildProcess;
  let lb = "";
  const prefix = mkdtempSync(join(tmpdir(), "tt-nginx-"));
  const manual = { after: () => {} };

  before(async () => {
    redis = await RedisServer.start();
    a = await startTestService(manual, { nWorkers: 2, redis: redis.url, nodeId: "a", clusterKey: "lb" });
    b = await startTestService(manual, { nWorkers: 2, redis: redis.url, nodeId: "b", clusterKey: "lb" });
    const port = await freePort();
    const conf = join(prefix, "nginx.conf");
    writeFileSync(conf, nginxConfig(port, [`127.0.0.1:${a.port}`, `127.0.0.1:${b.port}`]));
    nginx = spawn(
      "nginx",
      [
        "-p",
        prefix,
        "-c",
        conf,
        "-e",
        join(prefix, "error.log"),
        "-g",
        `daemon off; pid ${join(prefix, "nginx.pid")};`,
      ],
      { stdio: "ignore" },
    );
    lb = `http://127.0.0.1:${port}`;
    await waitFor("nginx and both instances ready", async () => {
      if (nginx.exitCode !== null) throw new Error(`nginx exited: ${readFileSync(join(prefix, "error.log"), "utf8")}`);
      const replies = await Promise.all([request(a.url, "/ready"), request(b.url, "/ready")]).catch(() => []);
      return replies.length === 2 && replies.every((r) => r.status === 200) && (await reachable(lb));
    });
  });
  after(async () => {
    if (nginx.exitCode === null) {
      const exited = once(nginx, "exit");
      nginx.kill("SIGQUIT");
      await exited;
    }
    await a.stop();
    await b.stop();
    await redis.stop();
    rmSync(prefix, { recursive: true, force: true });
  });

  test("4,000 visits through nginx: both instances serve, numbers unique, totals exact everywhere", async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 32 });
    after(() => agent.destroy());
    const okBefore = [await visitsOk(a), await visitsOk(b)];
    const replies = await Promise.all(
      Array.from({ length: 4000 }, (_, i) => visit(lb, { user_id: `u${i}`, page_url: "/lb" }, agent)),
    );
    for (const r of replies) assert.equal(r.status, 200, r.text);
    const numbers = new Set(replies.map((r) => r.json.visit_count as number));
    assert.equal(numbers.size, 4000);
    const servedA = (await visitsOk(a)) - (okBefore[0] as number);
    const servedB = (await visitsOk(b)) - (okBefore[1] as number);
    assert.equal(servedA + servedB, 4000);
    assert.ok(servedA > 0 && servedB > 0, `nginx spread the load (a ${servedA}, b ${servedB})`);
    await waitFor("4,000 everywhere", async () => {
      const totals = await Promise.all(
        [lb, a.url, b.url].map(async (u) => (await request(u, "/stats")).json.total_visits),
      );
      return totals.every((t) => t === 4000) && (await redis.number("GET", "{lb}:total")) === 4000;
    });
    const health = await request(lb, "/health");
    assert.equal(health.json.cluster.nodes, 2);
  });
});

async function reachable(url: string): Promise<boolean> {
  try {
    return (await request(url, "/ready")).status === 200;
  } catch {
    return false;
  }
}

async function visitsOk(s: TestService): Promise<number> {
  const m = /^traffic_tracker_requests_total\{route="\/visit",status="200"\} (\d+)$/m.exec(
    (await request(s.url, "/metrics")).text,
  );
  return m ? Number(m[1]) : 0;
}
