/**
 * What per-second sampling costs the generator: the same service loaded in
 * alternating rounds with and without it, for wrk (one run vs one-second
 * slices) and autocannon (with vs without its per-second buckets). Prints
 * req/s, the generator's CPU per request and, for wrk, the share of the wall
 * time between slices (no load applied). On a shared box the CPU and gap
 * figures are the steadier ones.
 * Run it alone: `flock /tmp/bench.lock npx tsx bench/sampling-cost.ts [rounds] [seconds]`.
 */
import { readFileSync } from "node:fs";
import { runAutocannon } from "./autocannon-run.js";
import { median } from "./report.js";
import type { RunResult } from "./run-result.js";
import { scenario } from "./scenarios.js";
import { startService } from "./targets.js";
import { runWrk } from "./wrk-run.js";
import { runWrkSliced } from "./wrk-slices.js";

const rounds = Number(process.argv[2] ?? 6);
const seconds = Number(process.argv[3] ?? 5);
const connections = 64;
const s = scenario("visit");
const target = await startService(1, "memory");

/** CPU µs of this process and of its finished children (the wrk runs), from /proc. */
function cpuMicros(): number {
  const stat = readFileSync("/proc/self/stat", "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const children = (Number(fields[13]) + Number(fields[14])) * 1e4; // cutime + cstime, in 100 Hz ticks
  const self = process.cpuUsage();
  return children + self.user + self.system;
}

interface Measured {
  rate: number;
  cpuPerRequest: number;
  gapShare: number;
}

/**
 * Rates over each generator's own load span: wrk's runtime; the slices' span
 * from the first start to the last end (the gaps between slices included);
 * autocannon's start to its last answer. The process start of wrk is left
 * out of both wrk figures alike.
 */
async function measure(load: () => Promise<RunResult>): Promise<Measured> {
  const cpu0 = cpuMicros();
  const r = await load();
  const cpu = cpuMicros() - cpu0;
  const busy = r.samples && r.generator === "wrk" ? r.samples.reduce((n, x) => n + x.seconds, 0) : r.durationSeconds;
  return {
    rate: r.requests / r.durationSeconds,
    cpuPerRequest: cpu / r.requests,
    gapShare: Math.max(0, 1 - busy / r.durationSeconds),
  };
}

try {
  const base = { url: target.url, scenario: s, connections, pipelining: 1, timeoutSeconds: 10 };
  await runAutocannon({ ...base, durationSeconds: 2 }); // warm-up
  const pairs: Array<[string, () => Promise<Measured>, () => Promise<Measured>]> = [
    [
      "wrk",
      () => measure(() => runWrk(target.url, s, connections, seconds, 10)),
      () => measure(() => runWrkSliced(target.url, s, connections, seconds, 10)),
    ],
    [
      "autocannon",
      () => measure(() => runAutocannon({ ...base, durationSeconds: seconds, samples: false })),
      () => measure(() => runAutocannon({ ...base, durationSeconds: seconds })),
    ],
  ];
  const out: Record<string, { rate: number[]; cpu: number[]; gap: number[] }> = {};
  for (let round = 1; round <= rounds; round++) {
    for (const [name, plain, sampled] of pairs) {
      // Alternate which goes first, so neither always follows the other.
      let p: Measured;
      let q: Measured;
      if (round % 2) {
        p = await plain();
        q = await sampled();
      } else {
        q = await sampled();
        p = await plain();
      }
      out[name] ??= { rate: [], cpu: [], gap: [] };
      const o = out[name];
      o.rate.push(q.rate / p.rate);
      o.cpu.push(q.cpuPerRequest / p.cpuPerRequest);
      o.gap.push(q.gapShare);
      console.log(
        `${name} round ${round}: plain ${Math.round(p.rate)} req/s ${p.cpuPerRequest.toFixed(2)} µs/req, ` +
          `sampled ${Math.round(q.rate)} req/s ${q.cpuPerRequest.toFixed(2)} µs/req, gaps ${(q.gapShare * 100).toFixed(2)} %`,
      );
    }
  }
  const list = (xs: number[]) => xs.map((x) => x.toFixed(3)).join(", ");
  for (const [name, o] of Object.entries(out)) {
    console.log(
      `${name}: sampled / plain req/s ${median(o.rate).toFixed(3)} (median of rounds: ${list(o.rate)}); ` +
        `generator CPU per request ${median(o.cpu).toFixed(3)} (${list(o.cpu)})` +
        (name === "wrk" ? `; time between slices ${(median(o.gap) * 100).toFixed(2)} % of the wall time` : ""),
    );
  }
} finally {
  await target.stop();
}
