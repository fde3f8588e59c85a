import assert from "node:assert/strict";
import type { DuckDBConnection } from "@duckdb/node-api";
import type { AnalyticsAnswer, AnalyticsRequest } from "../../src/analytics/messages.js";
import { ANALYTICS_SLOTS, QueryRunner } from "../../src/analytics/query-runner.js";
import { describe, test } from "../helpers/node-test.js";
import { tempDataDir } from "../helpers/store.js";

/** A connection whose statements wait until the test lets them finish (or interrupt() fails them). */
class HeldConnection {
  static running = 0;
  static maxRunning = 0;
  private readonly waiting: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  release(): void {
    for (const w of this.waiting.splice(0)) w.resolve();
  }
  interrupt(): void {
    for (const w of this.waiting.splice(0)) w.reject(new Error("INTERRUPT Error: Interrupted!"));
  }
  private hold(): Promise<void> {
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }
  async run(sql: string): Promise<void> {
    if (sql.startsWith("SET ") || sql === "COMMIT" || sql === "ROLLBACK") return;
    HeldConnection.running++;
    HeldConnection.maxRunning = Math.max(HeldConnection.maxRunning, HeldConnection.running);
    try {
      await this.hold();
    } finally {
      HeldConnection.running--;
    }
  }
  async runAndReadAll(): Promise<{ getRows: () => unknown[][] }> {
    return { getRows: () => [] };
  }
  closeSync(): void {}
}

const request = (id: string): Exclude<AnalyticsRequest, { kind: "cancel" }> => ({
  kind: "analytics",
  id,
  fromMs: 0,
  lastMs: 1,
  limit: 10,
  stepSeconds: 60,
  firstStepMs: 0,
  points: 1,
});

async function until(what: string, condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe("analytics query limits", () => {
  test("two at a time, eight waiting, the rest refused at once; every slot comes back", async (t) => {
    const connections: HeldConnection[] = [];
    const runner = new QueryRunner(tempDataDir(t), async () => {
      const c = new HeldConnection();
      connections.push(c);
      return c as unknown as DuckDBConnection;
    });
    HeldConnection.maxRunning = 0;
    const answers = Array.from({ length: 12 }, (_, i) => runner.handle(request(`q${i}`)));
    const refused = (await Promise.race([Promise.all(answers.slice(10)), new Promise((r) => setTimeout(r, 2000))])) as
      | AnalyticsAnswer[]
      | undefined;
    assert.ok(refused, "the 11th and 12th are refused without waiting for a slot");
    for (const answer of refused) assert.equal(answer.ok ? "ok" : answer.refusal, "busy");
    await until("two queries running", () => HeldConnection.running === ANALYTICS_SLOTS);
    let settled = 0;
    for (const answer of answers.slice(0, 10)) void answer.then(() => settled++);
    // Let the held statements finish, round after round, until the ten waiting ones have all run.
    await until("the ten admitted queries answered", () => {
      for (const c of connections) c.release();
      return settled === 10;
    });
    const served = await Promise.all(answers.slice(0, 10));
    assert.deepEqual(
      served.map((a) => a?.ok),
      new Array(10).fill(true),
    );
    assert.equal(HeldConnection.maxRunning, ANALYTICS_SLOTS);
    assert.ok(connections.length <= ANALYTICS_SLOTS, "connections are reused");
  });

  test("a query past the timeout is interrupted and answered `timeout`; the slot is free again", async (t) => {
    const runner = new QueryRunner(tempDataDir(t), async () => new HeldConnection() as unknown as DuckDBConnection, 20);
    const answer = await runner.handle(request("slow"));
    assert.deepEqual(answer && !answer.ok ? answer.refusal : "ok", "timeout");
    const again = await Promise.all([runner.handle(request("a")), runner.handle(request("b"))]);
    assert.deepEqual(
      again.map((a) => (a && !a.ok ? a.refusal : "ok")),
      ["timeout", "timeout"],
      "both slots were free",
    );
  });

  test("a connection that cannot be made is a `failed` answer and does not keep the slot", async (t) => {
    let attempts = 0;
    const runner = new QueryRunner(tempDataDir(t), async () => {
      attempts++;
      throw new Error("cannot connect");
    });
    const answers = await Promise.all(Array.from({ length: 5 }, (_, i) => runner.handle(request(`f${i}`))));
    assert.deepEqual(
      answers.map((a) => (a && !a.ok ? a.refusal : "ok")),
      new Array(5).fill("failed"),
    );
    assert.equal(attempts, 5);
  });
});
