/**
 * The served /openapi.json and /metrics, judged by the tools integrators run:
 * `redocly lint` (recommended rules plus redocly.yaml) and `promtool check metrics`.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { request, visit } from "../helpers/http.js";
import { after, describe, test } from "../helpers/node-test.js";
import { RedisServer, waitFor } from "../helpers/redis-server.js";
import { startTestService } from "../helpers/service.js";
import { tempDataDir } from "../helpers/store.js";

const root = new URL("../..", import.meta.url).pathname;
const REDOCLY = join(root, "node_modules", ".bin", "redocly");
// Under the test deadline, so that a hung tool fails with its own name.
const TOOL_DEADLINE_MS = 45_000;

// A store and cluster mode (a real redis-server), so that their metric families are exposed too.
const redis = await RedisServer.start();
const service = await startTestService(
  { after: () => {} },
  { dataDir: tempDataDir({ after }), redis: redis.url, nodeId: "lint" },
);
after(async () => {
  await service.stop();
  await redis.stop();
});
await waitFor("the instance ready (first contact with Redis)", async () => {
  return (await request(service.url, "/ready")).status === 200;
});
const scratch = tempDataDir({ after });

interface ToolRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a tool to completion (killed at the deadline); `missing` is the failure message if it is not installed. */
function run(command: string, args: string[], missing: string, input?: string): Promise<ToolRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_NOTIFICATIONS: "true", NO_COLOR: "1" },
      timeout: TOOL_DEADLINE_MS,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => {
      stdout += c.toString("utf8");
    });
    child.stderr.on("data", (c: Buffer) => {
      stderr += c.toString("utf8");
    });
    child.on("error", (error: NodeJS.ErrnoException) => reject(error.code === "ENOENT" ? new Error(missing) : error));
    child.on("close", (status, signal) => {
      if (signal) reject(new Error(`${command} did not finish within ${TOOL_DEADLINE_MS} ms (${signal})`));
      else resolve({ status, stdout, stderr });
    });
    child.stdin.end(input ?? "");
  });
}

interface RedoclyReport {
  totals: { errors: number; warnings: number; ignored: number };
  problems: Array<{ ruleId: string; message: string; location: Array<{ pointer: string }> }>;
}

async function redoclyLint(doc: unknown, name: string): Promise<RedoclyReport> {
  const file = join(scratch, name);
  writeFileSync(file, JSON.stringify(doc));
  const args = ["lint", file, "--config", join(root, "redocly.yaml"), "--format=json"];
  const result = await run(REDOCLY, args, `${REDOCLY} is missing: run npm install (@redocly/cli is a devDependency)`);
  assert.ok(
    result.stdout.trim().startsWith("{"),
    `redocly printed no JSON report:\n${result.stdout}\n${result.stderr}`,
  );
  return JSON.parse(result.stdout) as RedoclyReport;
}

const listProblems = (report: RedoclyReport) =>
  report.problems.map((p) => `${p.ruleId} at ${p.location[0]?.pointer}: ${p.message}`).join("\n");

const PROMTOOL_MISSING =
  "promtool is not on PATH: install Debian's prometheus package " +
  "(apt-get install -y --no-install-recommends prometheus; .ci/run does)";
const promtool = (text: string) => run("promtool", ["check", "metrics"], PROMTOOL_MISSING, text);

describe("redocly lint of the served /openapi.json", () => {
  test("finds no error and no warning, and nothing is ignored", async () => {
    const reply = await request(service.url, "/openapi.json");
    assert.equal(reply.status, 200);
    const report = await redoclyLint(reply.json, "openapi.json");
    assert.deepEqual(report.totals, { errors: 0, warnings: 0, ignored: 0 }, listProblems(report));
  });

  test("the operators' endpoints need the bearer token; every other operation is public", async () => {
    const doc = (await request(service.url, "/openapi.json")).json;
    assert.deepEqual(
      {
        type: doc.components.securitySchemes.adminToken.type,
        scheme: doc.components.securitySchemes.adminToken.scheme,
      },
      { type: "http", scheme: "bearer" },
    );
    const operators = ["/analytics", "/export", "/dashboard"];
    for (const path of operators) assert.ok(doc.paths[path]?.get, `${path} is documented`);
    for (const [path, operations] of Object.entries(
      doc.paths as Record<string, Record<string, { security?: unknown }>>,
    ))
      for (const [method, operation] of Object.entries(operations))
        assert.deepEqual(
          operation.security,
          operators.includes(path) ? [{ adminToken: [] }] : [],
          `${method.toUpperCase()} ${path}`,
        );
  });

  test("the document's licence is package.json's", async () => {
    const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { license: string };
    const doc = (await request(service.url, "/openapi.json")).json;
    assert.match(doc.info.license.name, new RegExp(`^${pkg.license}\\b`));
  });

  test("redocly.yaml's own rules catch input without a 4XX, credentials without a 401, no success", async () => {
    const doc = (await request(service.url, "/openapi.json")).json;
    delete doc.paths["/stats"].get.responses["422"];
    for (const code of ["413", "415", "422", "503"]) delete doc.paths["/visit"].post.responses[code];
    doc.paths["/metrics"].get.security = [{ probe: [] }];
    doc.components.securitySchemes = { ...doc.components.securitySchemes, probe: { type: "http", scheme: "bearer" } };
    delete doc.paths["/health"].get.responses["200"];
    const report = await redoclyLint(doc, "broken.json");
    // Only redocly.yaml's rules: removing the 422 also leaves its schema unused, which is not under test here.
    const found = report.problems
      .filter((p) => p.ruleId.startsWith("rule/"))
      .map((p) => `${p.ruleId} ${p.location[0]?.pointer}`)
      .sort();
    assert.deepEqual(
      found,
      [
        "rule/credentials-have-401 #/paths/~1metrics/get/responses",
        "rule/has-success-response #/paths/~1health/get/responses",
        "rule/input-body-has-4xx #/paths/~1visit/post/responses",
        "rule/input-query-has-4xx #/paths/~1stats/get/responses",
      ],
      listProblems(report),
    );
  });
});

describe("promtool check metrics of the served /metrics", () => {
  test("finds nothing, with every metric family exposed", async () => {
    // A few routes and statuses first, so that every family has samples.
    assert.equal((await visit(service.url)).status, 200);
    assert.equal((await visit(service.url, { user_id: "" })).status, 422);
    assert.equal((await request(service.url, "/stats?timeframe_hours=0.5")).status, 200);
    assert.equal((await request(service.url, "/stats?timeframe_hours=999")).status, 422);
    assert.equal((await request(service.url, "/health")).status, 200);
    assert.equal((await request(service.url, "/nowhere")).status, 404);
    const reply = await request(service.url, "/metrics");
    assert.equal(reply.status, 200);
    const text = reply.text;
    for (const family of [
      "traffic_tracker_visits_total counter",
      "traffic_tracker_requests_total counter",
      "traffic_tracker_request_duration_seconds histogram",
      "traffic_tracker_workers gauge",
      "traffic_tracker_worker_restarts_total counter",
      "traffic_tracker_store_commits_total counter",
      "traffic_tracker_store_lag_seconds gauge",
      "traffic_tracker_store_up gauge",
      "traffic_tracker_cluster_up gauge",
      "traffic_tracker_cluster_flush_seconds summary",
      "traffic_tracker_cluster_numbers_reserved_total counter",
      "process_cpu_user_seconds_total counter",
      "nodejs_eventloop_lag_seconds gauge",
      "nodejs_active_handles gauge",
      "nodejs_heap_space_size_used_bytes gauge",
    ])
      assert.ok(text.includes(`\n# TYPE ${family}\n`), `/metrics exposes ${family}`);
    for (const sample of ['route="/visit",status="422"', 'route="/stats",status="200"', 'route="other",status="404"'])
      assert.ok(text.includes(`traffic_tracker_requests_total{${sample}}`), `/metrics has requests {${sample}}`);
    assert.ok(text.includes("traffic_tracker_request_duration_seconds_bucket{"), "a latency histogram has samples");
    assert.doesNotMatch(text, /^nodejs_active_\w+_total/m, "no gauge named …_total");

    const result = await promtool(text);
    assert.deepEqual(result, { status: 0, stdout: "", stderr: "" });
  });

  test("the check reads what it is given: a gauge named …_total is reported", async () => {
    const result = await promtool("# HELP probe_total A gauge.\n# TYPE probe_total gauge\nprobe_total 1\n");
    assert.notEqual(result.status, 0);
    assert.match(result.stdout + result.stderr, /probe_total non-counter metrics should not have "_total" suffix/);
  });
});
