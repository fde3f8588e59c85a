/**
 * The cluster sync task against a real redis-server: exact totals across
 * instances, idempotent retries, numbers unique and given back, history and
 * reconciliation. Rounds are driven by hand (no timer) to stage each step.
 */
import assert from "node:assert/strict";
import { ClusterState } from "../../src/cluster/cluster-state.js";
import { ClusterSync } from "../../src/cluster/cluster-sync.js";
import {
  HISTORY_FUNCTION,
  keyPrefix,
  SYNC_FUNCTION,
  SYNC_NEW_HOUR,
  SYNC_OLD_SECONDS,
} from "../../src/cluster/library.js";
import { RedisLink } from "../../src/cluster/redis-link.js";
import { systemClock } from "../../src/counters/clock.js";
import { createCounters, type SharedCounters } from "../../src/counters/shared-counters.js";
import { StatsReader } from "../../src/counters/stats-reader.js";
import { VisitCounter } from "../../src/counters/visit-counter.js";
import { createLogger } from "../../src/log.js";
import { after, before, describe, test } from "../helpers/node-test.js";
import { FlakyProxy, RedisServer, waitFor } from "../helpers/redis-server.js";

interface Instance {
  counters: SharedCounters;
  state: ClusterState;
  sync: ClusterSync;
  link: RedisLink;
  counter: VisitCounter;
  reader: StatsReader;
  logs: string[];
  /** Counts one visit as a worker would: a number from the blocks, then the counters. 0: refused. */
  visit(): number;
}

function instance(
  url: string,
  nodeId: string,
  clusterKey: string,
  stored?: { visits: number; lastUnixSecond: number },
  onNodeTaken?: (message: string) => void,
) {
  const counters = createCounters(systemClock.nowMs());
  const state = new ClusterState();
  const logs: string[] = [];
  const log = createLogger("json", (line) => logs.push(line));
  const link = new RedisLink(url, () => {});
  link.start();
  const sync = new ClusterSync({
    counters,
    state,
    redis: link,
    clusterKey,
    nodeId,
    clock: systemClock,
    log,
    // A node id whose holder stopped beating is free after 1 s here (5 s in service).
    leaseMs: 1000,
    ...(stored ? { stored } : {}),
    ...(onNodeTaken ? { onNodeTaken } : {}),
  });
  const counter = new VisitCounter(counters, 0, systemClock);
  const it: Instance = {
    counters,
    state,
    sync,
    link,
    counter,
    reader: new StatsReader(counters, systemClock),
    logs,
    visit() {
      const n = state.takeNumber();
      if (n !== 0) counter.count();
      return n;
    },
  };
  return it;
}

async function roundUntil(what: string, instances: Instance[], done: () => boolean | Promise<boolean>) {
  await waitFor(what, async () => {
    for (const i of instances) await i.sync.round();
    return done();
  });
}

describe("cluster sync against a real Redis", () => {
  let redis: RedisServer;
  let proxy: FlakyProxy;
  const links: RedisLink[] = [];
  let campaign = 0;
  const nextKey = () => `test-${process.pid}-${++campaign}`;
  const make = (
    url: string,
    node: string,
    key: string,
    stored?: { visits: number; lastUnixSecond: number },
    onNodeTaken?: (message: string) => void,
  ) => {
    const i = instance(url, node, key, stored, onNodeTaken);
    links.push(i.link);
    return i;
  };

  /** A bare link to the test's Redis (for calling the library's functions directly), closed after the suite. */
  const connectedLink = async (): Promise<RedisLink> => {
    const link = new RedisLink(redis.url, () => {});
    links.push(link);
    link.start();
    await waitFor("the connection", () => link.connected);
    return link;
  };

  before(async () => {
    redis = await RedisServer.start();
    proxy = await FlakyProxy.start(redis.port);
  });
  after(async () => {
    for (const link of links) await link.close();
    await proxy.close();
    await redis.stop();
  });

  test("two instances agree on the exact total, and every visit number is unique", async () => {
    const key = nextKey();
    const a = make(redis.url, "a", key);
    const b = make(redis.url, "b", key);
    await roundUntil("numbers on both instances", [a, b], () => a.state.numbersLeft() > 0 && b.state.numbersLeft() > 0);
    const numbers = new Set<number>();
    let accepted = 0;
    for (let i = 0; i < 5000; i++) {
      const n = (i % 3 === 0 ? b : a).visit();
      if (n === 0) {
        await a.sync.round();
        await b.sync.round();
        continue;
      }
      accepted++;
      assert.ok(!numbers.has(n), `number ${n} handed out twice`);
      numbers.add(n);
      if (i % 400 === 0) await Promise.all([a.sync.round(), b.sync.round()]);
    }
    await roundUntil("both instances to show every visit", [a, b], () => {
      return a.reader.totalVisits() === accepted && b.reader.totalVisits() === accepted;
    });
    assert.equal(await redis.number("GET", `${keyPrefix(key)}total`), accepted);
    assert.equal(a.reader.recentVisits(60), accepted);
    assert.equal(b.reader.recentVisits(60), accepted);
    assert.equal(a.state.figure("pendingVisits"), 0);
  });

  test("a batch whose reply is lost is applied once when retried", async () => {
    const key = nextKey();
    const a = make(proxy.url, "a", key);
    await roundUntil("numbers", [a], () => a.state.numbersLeft() > 0);
    for (let i = 0; i < 100; i++) assert.notEqual(a.visit(), 0);
    proxy.dropNextReply();
    const dropped = proxy.dropped;
    await roundUntil("the reply to be dropped and the batch retried", [a], () => proxy.dropped > dropped);
    assert.equal(await redis.number("GET", `${keyPrefix(key)}total`), 100, "Redis applied the batch before the cut");
    await roundUntil("the retry to be acknowledged", [a], () => a.state.figure("pendingVisits") === 0);
    assert.ok(a.state.figure("batchesRetried") >= 1);
    assert.equal(await redis.number("GET", `${keyPrefix(key)}total`), 100);
    assert.equal(a.reader.totalVisits(), 100);
  });

  test("unused numbers are given back at stop when no one reserved since, else counted unused", async () => {
    const key = nextKey();
    const ids = `${keyPrefix(key)}ids`;
    const a = make(redis.url, "a", key);
    await roundUntil("numbers", [a], () => a.state.numbersLeft() > 0);
    const first = a.visit();
    a.visit();
    await a.sync.stop(5000);
    assert.equal(await redis.number("GET", ids), first + 1, "the counter is back just after the last number used");
    assert.ok(a.state.figure("numbersGivenBack") > 0);
    assert.equal(a.state.figure("numbersUnused"), 0);

    const b = make(redis.url, "b", key);
    const c = make(redis.url, "c", key);
    await roundUntil("numbers", [b], () => b.state.numbersLeft() > 0);
    await roundUntil("numbers", [c], () => c.state.numbersLeft() > 0);
    const left = b.state.numbersLeft();
    const before = await redis.number("GET", ids);
    await b.sync.stop(5000);
    assert.equal(await redis.number("GET", ids), before, "c reserved after b: b's numbers stay taken");
    assert.equal(b.state.figure("numbersUnused"), left);
    assert.equal(b.state.figure("numbersGivenBack"), 0);
    await c.sync.stop(5000);
  });

  test("a new instance starts from the cluster's total and recent history", async () => {
    const key = nextKey();
    const a = make(redis.url, "a", key);
    await roundUntil("numbers", [a], () => a.state.numbersLeft() > 0);
    for (let i = 0; i < 250; i++) a.visit();
    await roundUntil("a's visits in Redis", [a], () => a.state.figure("pendingVisits") === 0);
    const b = make(redis.url, "b", key);
    await roundUntil("b's first contact", [b], () => b.reader.totalVisits() === 250);
    assert.equal(b.reader.recentVisits(60), 250);
    assert.equal(b.reader.recentVisits(3600), 250);
  });

  test("visits a crashed instance stored but never sent are reconciled once", async () => {
    const key = nextKey();
    const a = make(redis.url, "a", key);
    await roundUntil("numbers", [a], () => a.state.numbersLeft() > 0);
    for (let i = 0; i < 40; i++) a.visit();
    await roundUntil("a's visits in Redis", [a], () => a.state.figure("pendingVisits") === 0);
    // The store held 40 + 7: the last 7 were never flushed before the kill.
    const lastSecond = Math.floor(Date.now() / 1000);
    const again = make(redis.url, "a", key, { visits: 47, lastUnixSecond: lastSecond });
    await roundUntil("the reconciliation", [again], () => again.reader.totalVisits() === 47);
    await roundUntil("nothing pending", [again], () => again.state.figure("pendingVisits") === 0);
    assert.equal(again.state.figure("reconciledVisits"), 7);
    // A second restart with the same store sends nothing more.
    const third = make(redis.url, "a", key, { visits: 47, lastUnixSecond: lastSecond });
    await roundUntil("contact", [third], () => third.reader.totalVisits() === 47);
    await third.sync.round();
    assert.equal(third.state.figure("reconciledVisits"), 0);
    assert.equal(await redis.number("GET", `${keyPrefix(key)}total`), 47);
  });

  test("a second process with a node id in use is refused; after the holder dies, the id is free within the lease", async () => {
    const key = nextKey();
    let aStopped = "";
    const a = make(redis.url, "dup", key, undefined, (message) => (aStopped = message));
    await roundUntil("a's numbers", [a], () => a.state.numbersLeft() > 0);
    for (let i = 0; i < 30; i++) a.visit();
    // a goes on beating (a round every 50 ms) while b tries the same node id.
    let aAlive = true;
    const beating = (async () => {
      while (aAlive) {
        await a.sync.round();
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    let refusal = "";
    const b = make(redis.url, "dup", key, undefined, (message) => (refusal = message));
    await roundUntil("b refused", [b], () => refusal !== "");
    assert.match(refusal, /node id "dup" is in use by another running instance/);
    assert.equal(b.state.numbersLeft(), 0, "b never got numbers");
    assert.equal(b.reader.totalVisits(), 0);
    // a is unaffected, and b's stop neither sends nor gives back anything.
    await b.sync.stop(1000);
    await roundUntil("a's 30 visits in Redis", [a], () => a.state.figure("pendingVisits") === 0);
    // a dies without a word (kill -9): its stamp stands still, and a new process gets the id after the lease.
    aAlive = false;
    await beating;
    const started = performance.now();
    const c = make(redis.url, "dup", key);
    await roundUntil("c's first contact", [c], () => c.state.numbersLeft() > 0);
    const waitedMs = performance.now() - started;
    assert.ok(waitedMs >= 900 && waitedMs < 5000, `c got the node id after ${Math.round(waitedMs)} ms (lease 1 s)`);
    for (let i = 0; i < 20; i++) c.visit();
    await roundUntil("c's visits in Redis", [c], () => c.state.figure("pendingVisits") === 0);
    assert.equal(await redis.number("GET", `${keyPrefix(key)}total`), 50);
    assert.equal(await redis.number("HGET", `${keyPrefix(key)}node:dup`, "applied"), 50, "one node, one count");
    // a comes back (it was only stalled): its next write finds the id taken, and it stops.
    assert.equal(aStopped, "");
    a.visit();
    await roundUntil("a told it lost the node id", [a], () => aStopped !== "");
    assert.match(aStopped, /node id "dup" was claimed by another instance/);
    assert.equal(await redis.number("GET", `${keyPrefix(key)}total`), 50);
  });

  test("a newcomer waits while the holder drains (its stamp moves), and claims the id once it is released", async () => {
    const key = nextKey();
    const a = make(redis.url, "drain", key);
    await roundUntil("a's numbers", [a], () => a.state.numbersLeft() > 0);
    for (let i = 0; i < 10; i++) a.visit();
    let refusal = "";
    const b = make(redis.url, "drain", key, undefined, (message) => (refusal = message));
    // For 1.5 s (under two leases of 1 s) a beats, as a holder draining after SIGTERM does; b tries alongside.
    const until = performance.now() + 1500;
    while (performance.now() < until) {
      await a.sync.round();
      await b.sync.round();
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(refusal, "", "a stamp that moved for a while is not fatal");
    assert.equal(b.state.numbersLeft(), 0, "b waits");
    await a.sync.stop(5000);
    const released = performance.now();
    await roundUntil("b's claim", [b], () => b.state.numbersLeft() > 0);
    assert.ok(performance.now() - released < 900, "the released id is claimed at once");
    assert.equal(refusal, "");
    assert.equal(await redis.number("HGET", `${keyPrefix(key)}node:drain`, "applied"), 10);
  });

  test("an old-version process writing as the same node id (it never claims) is noticed at the first exchange: stop", async () => {
    const key = nextKey();
    const p = keyPrefix(key);
    const node = `${p}node:twin`;
    // A v2 instance with this node id is still draining: it applied seq 3 (12 visits) before the v3 one starts.
    await redis.command("HSET", node, "seq", "3", "applied", "12", "block", "0", "size", "0");
    await redis.command("SET", `${p}total`, "12");
    const counters = createCounters(systemClock.nowMs());
    const state = new ClusterState();
    const logs: string[] = [];
    const link = new RedisLink(redis.url, () => {});
    links.push(link);
    link.start();
    let v2Wrote = false;
    // Right after the v3 process's first contact (it read seq 3), the v2 one sends its last batch: seq 4, 5
    // visits and a reservation. The v3 process's first batch is seq 4 too: taken for a retry, not applied.
    const redisCaller = {
      get errors() {
        return link.errors;
      },
      async fcall(name: string, args: readonly (string | number)[]) {
        const reply = await link.fcall(name, args);
        if (name === HISTORY_FUNCTION && !v2Wrote) {
          v2Wrote = true;
          await redis.command("HSET", node, "seq", "4", "applied", "17", "block", "262144", "size", "131072");
          await redis.command("INCRBY", `${p}total`, "5");
        }
        return reply;
      },
    };
    let stopped = "";
    const sync = new ClusterSync({
      counters,
      state,
      redis: redisCaller,
      clusterKey: key,
      nodeId: "twin",
      clock: systemClock,
      log: createLogger("json", (line) => logs.push(line)),
      leaseMs: 1000,
      onNodeTaken: (message) => (stopped = message),
    });
    await waitFor("the stop", async () => {
      await sync.round();
      return stopped !== "";
    });
    assert.ok(v2Wrote);
    assert.match(stopped, /node id "twin": Redis holds seq 4 and 17 visits of it, more than this process sent/);
    assert.match(stopped, /Stop it fully before starting a new one with its node id/);
    assert.equal(state.numbersLeft(), 0, "no numbers taken from the other process's reservation");
  });

  test("a stopped instance releases its node id: a restart claims it at once", async () => {
    const key = nextKey();
    const a = make(redis.url, "rel", key);
    await roundUntil("numbers", [a], () => a.state.numbersLeft() > 0);
    await a.sync.stop(5000);
    const started = performance.now();
    const again = make(redis.url, "rel", key);
    await roundUntil("contact", [again], () => again.state.numbersLeft() > 0);
    assert.ok(performance.now() - started < 900, "no lease to wait for");
  });

  test("minute and hour sums: an hour is rolled from its seconds two hours on; later visits of it go in directly", async () => {
    const key = nextKey();
    const p = keyPrefix(key);
    const link = await connectedLink();
    // The caller's hour H, three hours back: the roll goes by the earlier of Redis's clock and the caller's.
    const H = Math.floor(Date.now() / 3600_000) - 3;
    const sync = (seq: number, flags: number, now: number, pairs: number[]) =>
      link.fcall(SYNC_FUNCTION, [p, "r", "token-r", flags, seq, 0, 0, "", now, ...pairs]);
    const minuteSum = async (second: number) =>
      redis.number("HGET", `${p}m:${Math.floor(second / 86400)}`, String(Math.floor((second % 86400) / 60)));
    const hourSum = async (second: number) =>
      redis.number("HGET", `${p}h:${Math.floor(second / 86400)}`, String(Math.floor((second % 86400) / 3600)));
    const old = (H - 3) * 3600 + 5;
    const last = (H - 1) * 3600 + 7;
    const next = (H + 1) * 3600 + 1;
    // 1. The first batch rolls H-2 (nothing there) and marks it; a backlog of H-3 goes into the sums directly.
    await sync(1, SYNC_NEW_HOUR | SYNC_OLD_SECONDS, H * 3600 + 10, [old, 2, old + 60, 3]);
    assert.equal(await redis.number("GET", `${p}rolled`), H - 2);
    assert.equal(await minuteSum(old), 2);
    assert.equal(await minuteSum(old + 60), 3);
    assert.equal(await hourSum(old), 5);
    // 2. H-1 is not rolled yet: its seconds only.
    await sync(2, SYNC_NEW_HOUR | SYNC_OLD_SECONDS, H * 3600 + 20, [last, 4]);
    assert.equal(await minuteSum(last), 0);
    // A second of H-3 changed behind the sums' back: a roll of H-3 again would show it in them.
    await redis.command("HINCRBY", `${p}s:${H - 3}`, "5", "100");
    // 3. In hour H+1, H-1 is rolled: its minute and hour sums are its seconds'.
    await sync(3, SYNC_NEW_HOUR, next, [next, 1]);
    assert.equal(await redis.number("GET", `${p}rolled`), H - 1);
    assert.equal(await minuteSum(last), 4);
    assert.equal(await hourSum(last), 4);
    assert.equal(await hourSum(old), 5, "an hour rolled once is not rolled again");
    assert.equal(await minuteSum(old), 2, "an hour rolled once is not rolled again");
    await redis.command("HINCRBY", `${p}s:${H - 3}`, "5", "-100");
    // 4. Late visits of the rolled H-1 (a backlog): in its sums exactly once, also through the next roll.
    await sync(4, SYNC_OLD_SECONDS, next + 5, [last, 1, last + 60, 6]);
    assert.equal(await minuteSum(last), 5);
    assert.equal(await minuteSum(last + 60), 6);
    assert.equal(await hourSum(last), 11);
    await sync(5, SYNC_NEW_HOUR, next + 3600, [next + 3600, 1]);
    assert.equal(await redis.number("GET", `${p}rolled`), H);
    assert.equal(await minuteSum(last), 5);
    assert.equal(await hourSum(last), 11);
    assert.equal(await hourSum(old), 5);
    // The history holds every visit once: sums where rolled, seconds after.
    const history = (await link.fcall(HISTORY_FUNCTION, [p, next + 3600])) as Array<number | string>;
    assert.equal(Number(history[0]), 18);
    let sum = 0;
    for (let i = 2; i < history.length; i += 2) sum += Number(history[i]);
    assert.equal(sum, 18);
  });

  test("a node whose clock runs hours ahead does not roll an hour the others still write to", async () => {
    const key = nextKey();
    const p = keyPrefix(key);
    const link = await connectedLink();
    const H = Math.floor(Date.now() / 3600_000);
    const sync = (seq: number, flags: number, now: number, pairs: number[]) =>
      link.fcall(SYNC_FUNCTION, [p, "ahead", "token-ahead", flags, seq, 0, 0, "", now, ...pairs]);
    const other = (seq: number, flags: number, pairs: number[]) =>
      link.fcall(SYNC_FUNCTION, [p, "on-time", "token-on-time", flags, seq, 0, 0, "", H * 3600 + 20, ...pairs]);
    // A node on time writes in hour H.
    await other(1, SYNC_NEW_HOUR, [H * 3600 + 9, 2]);
    // A node whose clock says H+3: by it, H+1 (so H too) would be rolled; by Redis's clock, only H-2 may be.
    await sync(1, SYNC_NEW_HOUR, (H + 3) * 3600 + 5, [(H + 3) * 3600 + 5, 1]);
    const rolled = await redis.number("GET", `${p}rolled`);
    // (H-1 if Redis's clock crossed into the next hour meanwhile.)
    assert.ok(rolled === H - 2 || rolled === H - 1, `rolled ${rolled}, Redis's hour ${H}`);
    // The node on time goes on in hour H (no flags: not a new hour to it), into the seconds only.
    await other(2, 0, [H * 3600 + 20, 4]);
    // An hour and a half on, hour H is read from its seconds (not rolled), or from sums that hold all of it.
    const history = (await link.fcall(HISTORY_FUNCTION, [p, (H + 1) * 3600 + 1800])) as Array<number | string>;
    let sum = 0;
    for (let i = 2; i < history.length; i += 2) sum += Number(history[i]);
    assert.equal(Number(history[0]), 7);
    assert.equal(sum, 6, "the on-time node's visits are all in the history");
  });

  test("a backlog batch of rolled hours: every key gets an expiry, sums equal the seconds', one write per minute", async () => {
    const key = nextKey();
    const p = keyPrefix(key);
    const link = await connectedLink();
    const H = Math.floor(Date.now() / 3600_000);
    const sync = (seq: number, flags: number, now: number, pairs: number[]) =>
      link.fcall(SYNC_FUNCTION, [p, "late", "token-late", flags, seq, 0, 0, "", now, ...pairs]);
    // This process already wrote in hour H (its later batches carry no NEW_HOUR), which rolled up to H-2.
    await sync(1, SYNC_NEW_HOUR, H * 3600 + 10, [H * 3600 + 10, 1]);
    assert.equal(await redis.number("GET", `${p}rolled`), H - 2);
    // The backlog after an outage: 20 minutes of H-5 and 10 of H-4 (keys nobody created), 2 visits a second.
    const pairs: number[] = [];
    const hours = new Set<number>();
    const days = new Set<number>();
    for (const [from, n] of [
      [(H - 5) * 3600 + 600, 1200],
      [(H - 4) * 3600 + 1800, 600],
    ] as const) {
      for (let s = from; s < from + n; s++) {
        pairs.push(s, 2);
        hours.add(Math.floor(s / 3600));
        days.add(Math.floor(s / 86400));
      }
    }
    const before = await redis.commandCalls();
    await sync(2, SYNC_OLD_SECONDS, H * 3600 + 20, pairs);
    const later = await redis.commandCalls();
    const calls = (command: string) => (later.get(command) ?? 0) - (before.get(command) ?? 0);
    // Every key of the campaign expires (a key without one would stay for good).
    const keys = (await link.call(["KEYS", `${p}*`])) as string[];
    for (const k of keys) {
      if (k === `${p}total` || k === `${p}ids` || k === `${p}rolled` || k.startsWith(`${p}node:`)) continue;
      assert.notEqual(await redis.number("TTL", k), -1, `${k} has no expiry`);
    }
    assert.ok(keys.includes(`${p}s:${H - 5}`) && keys.includes(`${p}m:${Math.floor((H - 5) / 24)}`));
    // One HINCRBY per second (its reply is the cluster's count), then per minute (30) and per hour (2).
    assert.equal(calls("hincrby"), 1800 + 30 + 2, "the minute and hour sums are written once per batch");
    assert.equal(calls("expireat"), hours.size + 2 * days.size, "one expiry per key");
    // The minute and hour sums of each late hour are its seconds'.
    for (const h of hours) {
      // (node-redis answers HGETALL with an object.)
      const seconds = Object.entries((await link.call(["HGETALL", `${p}s:${h}`])) as unknown as Record<string, string>);
      assert.ok(seconds.length > 0);
      let sum = 0;
      const perMinute = new Map<number, number>();
      for (const [second, visits] of seconds) {
        const minute = Math.floor((h * 3600 + Number(second)) / 60);
        perMinute.set(minute, (perMinute.get(minute) ?? 0) + Number(visits));
        sum += Number(visits);
      }
      const day = Math.floor(h / 24);
      assert.equal(await redis.number("HGET", `${p}h:${day}`, String(h % 24)), sum, `hour ${h}`);
      for (const [minute, visits] of perMinute) {
        assert.equal(await redis.number("HGET", `${p}m:${day}`, String(minute % 1440)), visits, `minute ${minute}`);
      }
    }
  });
});
