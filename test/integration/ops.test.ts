import assert from "node:assert/strict";
import { once } from "node:events";
import { Agent } from "node:http";
import { connect } from "node:net";
import { createLogger, prettyLine } from "../../src/log.js";
import { accepts, json, request, visit } from "../helpers/http.js";
import { after, describe, test } from "../helpers/node-test.js";
import { startTestService } from "../helpers/service.js";
import { until } from "../helpers/wait.js";

const service = await startTestService({ after });

/**
 * Parses Prometheus text exposition 0.0.4 strictly enough to catch a malformed
 * line. Values follow Go's ParseFloat, so NaN and Inf are case-insensitive.
 */
function parseExposition(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  const typed = new Set<string>();
  for (const line of text.split("\n")) {
    if (line === "") continue;
    if (line.startsWith("# HELP ")) continue;
    const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type) {
      typed.add(type[1] as string);
      continue;
    }
    const m =
      /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})? (-?[0-9.e+-]+|NaN|\+Inf|-Inf)( [0-9]+)?$/i.exec(
        line,
      );
    assert.ok(m, `not a valid exposition line: ${JSON.stringify(line)}`);
    const name = m[1] as string;
    const family = name.replace(/_(bucket|sum|count|total|created)$/, "");
    assert.ok(typed.has(name) || typed.has(family) || typed.has(`${family}_total`), `${name} has no # TYPE line`);
    samples.set(`${name}${m[2] ?? ""}`, Number(m[3]));
  }
  return samples;
}

const scrape = async () => {
  const reply = await request(service.url, "/metrics");
  assert.equal(reply.status, 200);
  assert.equal(reply.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8");
  return parseExposition(reply.text);
};
const value = (m: Map<string, number>, key: string) => m.get(key) ?? 0;

/** 16 visits on one keep-alive connection (one thread): at least two of them are timed (1 in 8). */
async function timedVisits(): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    for (let i = 0; i < 16; i++) assert.equal((await visit(service.url, undefined, agent)).status, 200);
  } finally {
    agent.destroy();
  }
}

describe("GET /metrics", () => {
  test("is valid exposition text, and its counters move exactly with traffic", async () => {
    await timedVisits();
    const before = await scrape();
    for (let i = 0; i < 7; i++) assert.equal((await visit(service.url)).status, 200);
    for (let i = 0; i < 3; i++)
      assert.equal((await request(service.url, "/visit", { ...json({ page_url: "/p" }) })).status, 422);
    for (let i = 0; i < 2; i++) assert.equal((await request(service.url, "/nope")).status, 404);
    const now = await scrape();
    const delta = (key: string) => value(now, key) - value(before, key);
    assert.equal(delta("traffic_tracker_visits_total"), 7);
    assert.equal(delta('traffic_tracker_requests_total{route="/visit",status="200"}'), 7);
    assert.equal(delta('traffic_tracker_requests_total{route="/visit",status="422"}'), 3);
    assert.equal(delta('traffic_tracker_requests_total{route="other",status="404"}'), 2);
    // Latency is timed on 1 request in 8 per thread (see request-metrics unit tests); counts are exact.
    assert.ok(delta('traffic_tracker_request_duration_seconds_count{route="/visit"}') <= 10);
    assert.equal(
      value(now, 'traffic_tracker_request_duration_seconds_bucket{route="/visit",le="+Inf"}'),
      value(now, 'traffic_tracker_request_duration_seconds_count{route="/visit"}'),
    );
    assert.ok(value(now, 'traffic_tracker_request_duration_seconds_sum{route="/visit"}') > 0);
    assert.equal(value(now, 'traffic_tracker_workers{state="expected"}'), 2);
    assert.equal(value(now, 'traffic_tracker_workers{state="alive"}'), 2);
    assert.equal(value(now, "traffic_tracker_worker_restarts_total"), 0);
    assert.ok(now.has("process_cpu_user_seconds_total"), "prom-client process metrics");
    assert.ok([...now.keys()].some((k) => k.startsWith("nodejs_heap_size_used_bytes")));
  });

  test("histogram buckets are cumulative", async () => {
    await timedVisits();
    const m = await scrape();
    const buckets = [...m.entries()].filter(([k]) =>
      k.startsWith('traffic_tracker_request_duration_seconds_bucket{route="/visit"'),
    );
    assert.ok(buckets.length > 5);
    for (let i = 1; i < buckets.length; i++) assert.ok((buckets[i]?.[1] ?? 0) >= (buckets[i - 1]?.[1] ?? 0));
  });
});

describe("GET /ready", () => {
  test("is 200 while serving", async () => {
    const reply = await request(service.url, "/ready");
    assert.equal(reply.status, 200);
    assert.deepEqual(reply.json, { status: "ready" });
  });

  test("flips to 503 while the service drains for shutdown", async () => {
    const draining = await startTestService({ after: () => {} }, { nWorkers: 1 });
    // A keep-alive connection opened before shutdown stays up while the worker drains.
    const socket = connect(draining.port, "127.0.0.1");
    await once(socket, "connect");
    let text = "";
    socket.on("data", (c) => (text += c));
    socket.write("GET /ready HTTP/1.1\r\nHost: x\r\n\r\n");
    await until("the answer while serving", () => text.endsWith("}"), { detail: () => text });
    assert.match(text, /^HTTP\/1\.1 200 OK/);
    text = "";
    const stopped = draining.stop();
    // The worker closes its listen socket when told to drain: refused connections show it has been told.
    await until("the worker to start draining", async () => !(await accepts(draining.port)));
    socket.write("GET /ready HTTP/1.1\r\nHost: x\r\n\r\n");
    await once(socket, "close");
    assert.match(text, /^HTTP\/1\.1 503 Service Unavailable/);
    assert.match(text, /Connection: close/i);
    assert.match(text, /"reason":"draining for shutdown"/);
    await stopped;
  });
});

describe("logs", () => {
  test("lifecycle lines are JSON with level, time, pid and msg", () => {
    const lines: string[] = [];
    const log = createLogger("json", (l) => lines.push(l));
    log.error("worker thread died; replacing it", { worker: 3, reason: "boom" });
    const event = JSON.parse(lines[0] as string);
    assert.equal(event.level, "error");
    assert.match(event.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.equal(event.pid, process.pid);
    assert.equal(event.msg, "worker thread died; replacing it");
    assert.equal(event.worker, 3);
    assert.equal(event.reason, "boom");
  });

  test("--dev prints readable lines", () => {
    const lines: string[] = [];
    createLogger("pretty", (l) => lines.push(l)).warn("SIGINT again", { waiting: 2 });
    assert.deepEqual(lines, ["WARN SIGINT again  waiting=2\n"]);
    assert.equal(prettyLine('{"level":"info","time":"t","pid":1,"msg":"up","port":8080}'), "up  port=8080\n");
  });
});
