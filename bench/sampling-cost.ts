/**
 * What per-second sampling costs the generator: the same service loaded in
 * rounds with and without it (the order rotating), for wrk (one plain run;
 * one run counting answers per second in its Lua response hook, or in its
 * request hook; one-second slices; the request hook counting 101 times per
 * request, to read one count's cost) and autocannon (with vs without its
 * per-second buckets). Prints
 * req/s, the generator's CPU per request and, for wrk, the share of the wall
 * time between slices (no load applied). On a shared box the CPU and gap
 * figures are the steadier ones.
 * Run it alone: `flock /tmp/bench.lock npx tsx bench/sampling-cost.ts [rounds] [seconds]`.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { runAutocannon } from "./autocannon-run.js";
import { median } from "./report.js";
import type { RunResult } from "./run-result.js";
import { scenario, wrkScript } from "./scenarios.js";
import { startService } from "./targets.js";
import { parseWrkOutput, runWrk } from "./wrk-run.js";
import { secondsHook } from "./wrk-seconds.js";
import { runWrkSliced } from "./wrk-slices.js";

const run = promisify(execFile);
const rounds = Number(process.argv[2] ?? 6);
console.log(
  `load average before: ${loadavg()
    .map((x) => x.toFixed(2))
    .join(" ")}`,
);
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
  // Samples that stand for wrk's own slices: their lengths leave out the time between them.
  const sliced = r.generator === "wrk" && r.samples && r.perSecondLatency !== false;
  const busy = sliced && r.samples ? r.samples.reduce((n, x) => n + x.seconds, 0) : r.durationSeconds;
  return {
    rate: r.requests / r.durationSeconds,
    cpuPerRequest: cpu / r.requests,
    gapShare: Math.max(0, 1 - busy / r.durationSeconds),
  };
}

/**
 * The request hook with its counting done AMPLIFY times per request: the
 * added CPU per request ÷ (AMPLIFY - 1) is what one count costs, a figure
 * that the noise of a shared box hides in a direct comparison. (Its
 * per-second counts are meaningless; only wrk's total is read.)
 */
const AMPLIFY = 101;
async function runWrkAmplified(url: string, durationSeconds: number): Promise<RunResult> {
  const dir = mkdtempSync(join(tmpdir(), "bench-wrk-"));
  try {
    const hook = secondsHook("request");
    const once = "  tick(false)\n  return scenario_request()";
    if (!hook.includes(once)) throw new Error("the request hook changed: update runWrkAmplified");
    const script = join(dir, "amplified.lua");
    writeFileSync(
      script,
      wrkScript(s) + hook.replace(once, `  for _ = 1, ${AMPLIFY} do tick(false) end\n  return scenario_request()`),
    );
    const { stdout } = await run("wrk", ["-t1", `-c${connections}`, `-d${durationSeconds}s`, "-s", script, url]);
    return parseWrkOutput(stdout, connections, true, 1);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

try {
  const base = { url: target.url, scenario: s, connections, pipelining: 1, timeoutSeconds: 10 };
  await runAutocannon({ ...base, durationSeconds: 2 }); // warm-up
  // Per generator: its plain run first, then each way of sampling it.
  const groups: Array<[string, Array<[string, () => Promise<RunResult>]>]> = [
    [
      "wrk",
      [
        ["plain", () => runWrk(target.url, s, connections, seconds, 10)],
        ["response hook", () => runWrk(target.url, s, connections, seconds, 10, "response")],
        ["request hook", () => runWrk(target.url, s, connections, seconds, 10, "request")],
        ["1 s slices", () => runWrkSliced(target.url, s, connections, seconds, 10)],
        [`request hook, ${AMPLIFY} ticks per request`, () => runWrkAmplified(target.url, seconds)],
      ],
    ],
    [
      "autocannon",
      [
        ["plain", () => runAutocannon({ ...base, durationSeconds: seconds, samples: false })],
        ["buckets", () => runAutocannon({ ...base, durationSeconds: seconds })],
      ],
    ],
  ];
  const out = new Map<string, { rate: number[]; cpu: number[]; gap: number[] }>();
  for (let round = 1; round <= rounds; round++) {
    for (const [name, ways] of groups) {
      // Rotate the order each round, so that no way always follows another.
      const order = ways.map((_, i) => (i + round - 1) % ways.length);
      const got: Measured[] = [];
      for (const i of order) got[i] = await measure((ways[i] as [string, () => Promise<RunResult>])[1]);
      const plain = got[0] as Measured;
      const line = ways.map(([way], i) => {
        const m = got[i] as Measured;
        if (i > 0) {
          const o = out.get(`${name} ${way}`) ?? { rate: [], cpu: [], gap: [] };
          o.rate.push(m.rate / plain.rate);
          o.cpu.push(m.cpuPerRequest / plain.cpuPerRequest);
          o.gap.push(m.gapShare);
          out.set(`${name} ${way}`, o);
        }
        return `${way} ${Math.round(m.rate)} req/s ${m.cpuPerRequest.toFixed(2)} µs/req${m.gapShare > 0 ? ` (gaps ${(m.gapShare * 100).toFixed(2)} %)` : ""}`;
      });
      console.log(`${name} round ${round}: ${line.join(", ")}`);
    }
  }
  const list = (xs: number[]) => xs.map((x) => x.toFixed(3)).join(", ");
  const amplified = out.get(`wrk request hook, ${AMPLIFY} ticks per request`);
  if (amplified) {
    const perTick = amplified.cpu.map((x) => (x - 1) / (AMPLIFY - 1));
    console.log(
      `wrk request hook, one count: ${(median(perTick) * 100).toFixed(3)} % of wrk's CPU per request ` +
        `(median of rounds; rounds ${perTick.map((x) => (x * 100).toFixed(3)).join(", ")} %)`,
    );
  }
  for (const [name, o] of out) {
    console.log(
      `${name}: sampled / plain req/s ${median(o.rate).toFixed(3)} (rounds: ${list(o.rate)}); ` +
        `generator CPU per request ${median(o.cpu).toFixed(3)} (${list(o.cpu)})` +
        (name.endsWith("slices") ? `; time between slices ${(median(o.gap) * 100).toFixed(2)} % of the wall time` : ""),
    );
  }
  console.log(
    `load average after: ${loadavg()
      .map((x) => x.toFixed(2))
      .join(" ")}`,
  );
} finally {
  await target.stop();
}
