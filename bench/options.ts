/**
 * `npm run bench` options: defaults, parsing (commander) and validation with
 * exact messages. Pure, so tests call it directly.
 */
import { availableParallelism } from "node:os";
import { Command, CommanderError, Option } from "commander";
import { STORE_MODES } from "../src/store/store-status.js";

export const SCENARIOS = ["visit", "mixed", "stats", "spike", "live"] as const;
export type ScenarioName = (typeof SCENARIOS)[number];
export type Generator = "autocannon" | "wrk";
/** How the bench starts traffic-tracker: --no-persist, or a fresh store with that durability. */
export { STORE_MODES };
export type StoreMode = (typeof STORE_MODES)[number];

export interface BenchOptions {
  readonly url: string | undefined;
  readonly connections: number;
  readonly durationMs: number;
  readonly warmupMs: number;
  readonly pipelining: number;
  readonly threads: readonly number[];
  readonly scenarios: readonly ScenarioName[];
  readonly json: string | undefined;
  readonly markdown: string | undefined;
  /** A self-contained HTML report with charts. */
  readonly html: string | undefined;
  /** wrk counts answers per second in its one process (autocannon always takes samples); implied by --html. */
  readonly perSecond: boolean;
  /** wrk in one-second slices instead: per-second latency too, at a cost (docs/bench-report.md). */
  readonly wrkSlices: boolean;
  /** Another server to run the same scenarios against: a URL, "baseline" (bare uWS), or a store mode. */
  readonly compare: string | undefined;
  /** Store mode of the traffic-tracker the bench starts. */
  readonly store: StoreMode;
  readonly rounds: number;
  readonly minRatio: number | undefined;
  readonly generator: Generator;
  readonly timeoutSeconds: number;
  /** Idle /live WebSocket subscribers during the live scenario. */
  readonly liveSubscribers: number;
  /** Extra command-line arguments for every traffic-tracker the bench starts. */
  readonly serverArgs: readonly string[];
  /** Visits carry X-Forwarded-For, as behind a load balancer. */
  readonly forwardedFor: boolean;
}

/** The generator takes about one core: leave it one by default. */
export const defaultThreads = () => Math.max(1, availableParallelism() - 1);

export class BenchUsageError extends Error {
  override name = "BenchUsageError";
}

export const USAGE = `
Starts traffic-tracker (or targets --url), waits for /health, warms up, runs the
scenarios and checks that total_visits grew by exactly the 2xx visits counted.

Scenarios: visit (POST /visit, varied bodies), mixed (90% visit, 10% stats),
           stats (GET /stats, windows 0.1 h to 168 h), spike (idle to 4x connections at once),
           live (POST /visit while --live-subscribers idle WebSockets listen on /live)

Examples:
  $ npm run bench                                    # every scenario, 10 s each
  $ npm run bench -- --scenario visit --threads 1,2 --duration 5s
  $ npm run bench -- --url http://10.0.0.5:8080 --scenario stats
  $ npm run bench -- --scenario visit --compare baseline --generator wrk --min-ratio 0.9
  $ npm run bench -- --scenario visit --store batch --compare memory --generator wrk   # cost of the store
  $ npm run bench -- --json bench/results/run.json --markdown bench/results/run.md
  $ npm run bench -- --scenario visit,spike --threads 1,2 --html bench/results/run.html
  $ npm run bench -- --cluster 1,2,3 --duration 5 --html bench/results/cluster.html   # instance sweep
`;

/** "10s", "500ms", "1m", "2" (seconds) → milliseconds. */
export function parseDuration(text: string, flag: string): number {
  const m = /^([0-9]+(?:\.[0-9]+)?)(ms|s|m)?$/.exec(text.trim());
  const value = m ? Number(m[1]) * (m[2] === "ms" ? 1 : m[2] === "m" ? 60_000 : 1000) : Number.NaN;
  if (!Number.isFinite(value) || value <= 0)
    throw new BenchUsageError(`${flag} must be a duration like 10s, 500ms or 1m, got "${text}"`);
  return Math.round(value);
}

function positiveInt(text: string, flag: string, max: number): number {
  const value = /^[0-9]+$/.test(text.trim()) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < 1 || value > max) {
    throw new BenchUsageError(`${flag} must be a whole number from 1 to ${max}, got "${text}"`);
  }
  return value;
}

export function parseBenchArgs(argv: readonly string[]): BenchOptions {
  const program = new Command("npm run bench --")
    .addOption(new Option("--url <url>", "target a running server instead of starting one"))
    .addOption(new Option("-c, --connections <n>", "concurrent connections").default("64"))
    .addOption(new Option("-d, --duration <time>", "measured time per scenario (and per round)").default("10s"))
    .addOption(new Option("--warmup <time>", "warm-up before each scenario").default("2s"))
    .addOption(new Option("-p, --pipelining <n>", "requests in flight per connection").default("1"))
    .addOption(
      new Option("-t, --threads <list>", "server threads, comma-separated to sweep").default(String(defaultThreads())),
    )
    .addOption(new Option("-s, --scenario <names>", "comma-separated scenarios").default(SCENARIOS.join(",")))
    .addOption(new Option("--json <file>", "write the report as JSON"))
    .addOption(new Option("--markdown <file>", "write the report as Markdown"))
    .addOption(new Option("--html <file>", "write the report as one self-contained HTML page with charts"))
    .addOption(
      new Option(
        "--per-second",
        "with wrk: count answers per second in its Lua request hook (implied by --html; autocannon always records per-second samples)",
      ),
    )
    .addOption(
      new Option(
        "--wrk-slices",
        "with wrk: run it in one-second slices instead, for per-second latency too (costs load time: docs/bench-report.md)",
      ),
    )
    .addOption(
      new Option(
        "--store <mode>",
        "the started service's store: memory (--no-persist), batch or strict (a fresh --data-dir)",
      ).default("batch"),
    )
    .addOption(
      new Option(
        "--compare <url|baseline|memory|batch|strict>",
        "also run against this server (a store mode starts a second traffic-tracker), interleaved A B A B",
      ),
    )
    .addOption(new Option("--rounds <n>", "A/B rounds with --compare").default("2"))
    .addOption(new Option("--min-ratio <r>", "with --compare: fail unless A/B req/s ≥ r"))
    .addOption(
      new Option("-g, --generator <name>", "load generator").choices(["autocannon", "wrk"]).default("autocannon"),
    )
    .addOption(new Option("--timeout <seconds>", "per-request timeout").default("10"))
    .addOption(
      new Option("--live-subscribers <n>", "idle /live WebSockets held open during the live scenario").default("5000"),
    )
    .addOption(
      new Option(
        "--forwarded-for",
        "visits carry X-Forwarded-For as behind a load balancer (with --server-args --trust-proxy the service records it instead of asking the kernel for the peer)",
      ),
    )
    .addOption(
      new Option(
        "--server-args <args>",
        'extra arguments for every traffic-tracker the bench starts, space-separated (e.g. "--journal-defer-mib 0")',
      ).default(""),
    )
    .addHelpText("after", USAGE)
    .exitOverride()
    .configureOutput({ writeOut: (s) => process.stdout.write(s), writeErr: () => {} })
    .allowExcessArguments(false);
  try {
    program.parse([...argv], { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError && error.code === "commander.helpDisplayed") throw error;
    if (error instanceof CommanderError) throw new BenchUsageError(error.message.replace(/^error: /, ""));
    throw error;
  }
  const o = program.opts<Record<string, string | undefined>>();
  const scenarios = String(o.scenario)
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  for (const s of scenarios) {
    if (!(SCENARIOS as readonly string[]).includes(s)) {
      throw new BenchUsageError(`--scenario: unknown "${s}" (choose from ${SCENARIOS.join(", ")})`);
    }
  }
  if (scenarios.length === 0) throw new BenchUsageError("--scenario needs at least one scenario");
  const threads = String(o.threads)
    .split(",")
    .map((t) => positiveInt(t, "--threads", 256));
  if (o.url !== undefined) {
    try {
      new URL(o.url);
    } catch {
      throw new BenchUsageError(`--url must be a URL like http://127.0.0.1:8080, got "${o.url}"`);
    }
  }
  let minRatio: number | undefined;
  if (o.minRatio !== undefined) {
    minRatio = Number(o.minRatio);
    if (!(minRatio > 0 && minRatio <= 10))
      throw new BenchUsageError(`--min-ratio must be a number above 0, got "${o.minRatio}"`);
    if (o.compare === undefined) throw new BenchUsageError("--min-ratio needs --compare");
  }
  if (compareStore(o.compare) !== undefined && o.compare === o.store) {
    throw new BenchUsageError(`--compare ${o.compare} would measure the same thing as --store ${o.store}`);
  }
  if (o.compare !== undefined && o.compare !== "baseline" && compareStore(o.compare) === undefined) {
    try {
      new URL(o.compare);
    } catch {
      throw new BenchUsageError(
        `--compare takes a URL, baseline, or a store mode (${STORE_MODES.join(", ")}), got "${o.compare}"`,
      );
    }
  }
  const connections = positiveInt(String(o.connections), "--connections", 100_000);
  return Object.freeze({
    url: o.url,
    connections,
    durationMs: parseDuration(String(o.duration), "--duration"),
    warmupMs: parseDuration(String(o.warmup), "--warmup"),
    pipelining: positiveInt(String(o.pipelining), "--pipelining", 1024),
    threads: Object.freeze(threads),
    scenarios: Object.freeze(scenarios as ScenarioName[]),
    json: o.json,
    markdown: o.markdown,
    html: o.html,
    perSecond: o.perSecond !== undefined || o.html !== undefined || o.wrkSlices !== undefined,
    wrkSlices: o.wrkSlices !== undefined,
    compare: o.compare,
    store: storeMode(String(o.store), "--store"),
    rounds: positiveInt(String(o.rounds), "--rounds", 50),
    minRatio,
    generator: o.generator as Generator,
    timeoutSeconds: positiveInt(String(o.timeout), "--timeout", 600),
    liveSubscribers: positiveInt(String(o.liveSubscribers), "--live-subscribers", 100_000),
    serverArgs: Object.freeze(String(o.serverArgs).split(" ").filter(Boolean)),
    forwardedFor: o.forwardedFor !== undefined,
  });
}

function storeMode(text: string, flag: string): StoreMode {
  if ((STORE_MODES as readonly string[]).includes(text)) return text as StoreMode;
  throw new BenchUsageError(`${flag} must be one of ${STORE_MODES.join(", ")}, got "${text}"`);
}

/** A --compare value that names a store mode (a second traffic-tracker), else undefined. */
export function compareStore(compare: string | undefined): StoreMode | undefined {
  return (STORE_MODES as readonly string[]).includes(compare ?? "") ? (compare as StoreMode) : undefined;
}
