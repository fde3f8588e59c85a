/**
 * @module Every service option, declared once: its flag, environment
 * variable, help text, parser (exact messages) and default. The table drives
 * both the command line (`parse-args.ts`) and the frozen `Config`, whose type
 * is derived from it: adding an option is one entry here.
 */
import { availableParallelism } from "node:os";
import { clusterKey, nodeId, redisUrl } from "../cluster/cluster-options.js";
import { MAX_RING_BYTES, MIN_RING_BYTES } from "../store/ring.js";
import {
  adminToken,
  ConfigError,
  dataDir,
  durability,
  flag,
  IN_MEMORY,
  nonEmpty,
  origins,
  powerOfTwoKiB,
  sampleRate,
  type ValueParser,
  wholeNumber,
} from "./parsers.js";

export { ConfigError, IN_MEMORY } from "./parsers.js";

export const MAX_WORKERS = 256;

/** One option: where its text comes from, and the parser that turns it into a value. */
export interface OptionSpec<T> extends ValueParser<T> {
  /** Commander flags, e.g. `-p, --port <port>`; `[value]` makes the value optional. */
  readonly flags: string;
  readonly help: string;
  /** Environment variable read when no flag gives the option (flags win). */
  readonly env?: string;
  /** The text a `[value]` flag stands for when given alone. */
  readonly bare?: string;
  /** Other flags that give the same option. */
  readonly aliases?: readonly OptionAlias[];
}

export interface OptionAlias {
  readonly flags: string;
  readonly help: string;
  /** The text this flag stands for (it takes no value); checked against the flag or environment. */
  readonly means?: string;
  /** The message when this alias and the option's own flag (or variable) disagree. */
  readonly disagree?: (chosen: RawOption, alias: RawOption) => string;
}

/** An option's text and where it came from ("--port", "PORT"). */
export interface RawOption {
  readonly text: string;
  readonly from: string;
}

const option = <T>(spec: OptionSpec<T>): OptionSpec<T> => spec;
const KiB = 1024;
const MiB = 1024 * KiB;

export const OPTIONS = {
  /** Worker threads, each a uWS App on the same port. */
  nWorkers: option({
    flags: "-n, --n-workers <n>",
    env: "N_WORKERS",
    help: `worker threads, 1-${MAX_WORKERS}`,
    ...wholeNumber({ min: 1, max: MAX_WORKERS, default: availableParallelism() }),
    shown: `${availableParallelism()}, the available parallelism; 1 with --dev`,
    aliases: [{ flags: "-t, --threads <n>", help: "alias of --n-workers" }],
  }),
  port: option({
    flags: "-p, --port <port>",
    env: "PORT",
    help: "port to listen on, 0 picks a free one",
    ...wholeNumber({ min: 0, max: 65535, default: 8080 }),
  }),
  host: option({ flags: "-H, --host <host>", env: "HOST", help: "address to listen on", ...nonEmpty("0.0.0.0") }),
  /** `["*"]`, or the origins allowed to call the API from a browser. */
  corsOrigins: option({
    flags: "--cors-origin <origins>",
    help: "comma-separated origins browsers may call from, or *",
    ...origins,
  }),
  /** Reload workers on source change, readable logs, one worker. */
  dev: option({
    flags: "--dev",
    help: "development: reload workers when src/ changes, readable logs, 1 worker",
    ...flag,
  }),
  /** Fraction of requests written to the access log: 0 (off, the default) to 1. */
  accessLogRate: option({
    flags: "--access-log [rate]",
    help: "log a sample of requests as JSON lines (rate when given alone: 0.01)",
    bare: "0.01",
    ...sampleRate,
  }),
  /** Where the visit store lives; null: in memory only (nothing survives a restart). */
  dataDir: option({
    flags: "-d, --data-dir <dir>",
    env: "DATA_DIR",
    help: `where visits are stored (DuckDB), ${IN_MEMORY} for memory only`,
    ...dataDir,
    aliases: [
      {
        flags: "--no-persist",
        help: `keep counts in memory only, same as --data-dir ${IN_MEMORY}`,
        means: IN_MEMORY,
        disagree: (chosen) =>
          `--no-persist keeps visits in memory, but ${chosen.from} names a directory: give one of them`,
      },
    ],
  }),
  /** batch: answer once the visit is queued to the store; strict: once it is committed. */
  durability: option({
    flags: "--durability <mode>",
    env: "DURABILITY",
    help: "batch: answer once queued, commit every 10 ms; strict: answer once committed",
    ...durability,
  }),
  /** Store the client address for a visit without ip_address (off: null, as sent; shoppers' addresses are personal data). */
  recordClientAddress: option({
    flags: "--record-client-address",
    help: "store the client address for a visit without ip_address (the peer; see --trust-proxy); off: null",
    ...flag,
  }),
  /** With --record-client-address: the first X-Forwarded-For hop instead of the peer. */
  trustProxy: option({
    flags: "--trust-proxy",
    help: "with --record-client-address: record the first X-Forwarded-For hop instead of the peer",
    ...flag,
  }),
  /** Bytes of each worker's queue to the store (a power of two); the default absorbs a fraction of a second of one thread's peak. */
  ringBytes: option({
    flags: "--ring-kib <KiB>",
    help: "per-thread queue to the store, a power of two; full: 503",
    ...powerOfTwoKiB({ min: MIN_RING_BYTES / KiB, max: MAX_RING_BYTES / KiB, default: 4096 }),
  }),
  /** How long a failing store is retried (visits refused meanwhile) before the service stops. */
  storeRetryMs: option({
    flags: "--store-retry-seconds <s>",
    help: "how long a failing store is retried, visits refused, before the service stops",
    ...wholeNumber({ min: 1, max: 3600, default: 30, times: 1000 }),
  }),
  /** Journal backlog (bytes) up to which DuckDB imports wait for idle CPU, so a spike is not slowed by them; 0 imports at once. */
  journalDeferBytes: option({
    flags: "--journal-defer-mib <MiB>",
    help: "journal backlog up to which DuckDB imports wait for idle CPU; 0: import every second",
    ...wholeNumber({ min: 0, max: 1_048_576, default: 512, times: MiB }),
  }),
  /** Cluster mode: several instances count one campaign in a shared Redis (docs/cluster.md). */
  cluster: {
    redisUrl: option({
      flags: "--redis <url>",
      env: "REDIS_URL",
      help: "cluster mode: the shared Redis, redis://[:password@]host:6379/0 (rediss:// for TLS)",
      ...redisUrl,
    }),
    nodeId: option({
      flags: "--node-id <id>",
      env: "NODE_ID",
      help: "this instance's name in the cluster, unique",
      ...nodeId,
    }),
    clusterKey: option({
      flags: "--cluster-key <name>",
      env: "CLUSTER_KEY",
      help: "the campaign's name in Redis (one Redis can hold several)",
      ...clusterKey,
    }),
  },
  /** Bearer token of /analytics, /export, /dashboard; null: loopback clients only. Never logged. */
  adminToken: option({
    flags: "--admin-token <token>",
    env: "ADMIN_TOKEN",
    help: "bearer token for /analytics, /export, /dashboard (16+ characters)",
    ...adminToken,
  }),
  /** GET /live (WebSocket) limits, per worker thread. */
  live: {
    maxConnections: option({
      flags: "--live-max-connections <n>",
      help: "GET /live WebSocket connections per thread; more get 503",
      ...wholeNumber({ min: 0, max: 1_000_000, default: 10_000 }),
    }),
    // uWS counts idle time in 4 s steps and pings before it expires: 8 s is its floor, 960 s its ceiling.
    idleSeconds: option({
      flags: "--live-idle-seconds <s>",
      help: "close a /live connection silent this long, 8-960",
      ...wholeNumber({ min: 8, max: 960, default: 120 }),
    }),
    maxBackpressureBytes: option({
      flags: "--live-backpressure-kib <KiB>",
      help: "drop a /live client once this much waits for it",
      ...wholeNumber({ min: 1, max: 65_536, default: 64, times: KiB }),
    }),
  },
};

interface OptionTable {
  readonly [key: string]: OptionSpec<unknown> | OptionTable;
}

type ValuesOf<T> = { readonly [K in keyof T]: T[K] extends OptionSpec<infer V> ? V : ValuesOf<T[K]> };

/** The service's options, resolved and frozen. */
export type Config = ValuesOf<typeof OPTIONS>;

const isSpec = (entry: OptionSpec<unknown> | OptionTable): entry is OptionSpec<unknown> =>
  typeof entry.flags === "string";

/** Every option, in the table's order (the order of --help). */
export function* allOptions(table: OptionTable = OPTIONS): Generator<OptionSpec<unknown>> {
  for (const entry of Object.values(table)) {
    if (isSpec(entry)) yield entry;
    else yield* allOptions(entry);
  }
}

/** What the command line gave for a flag string: its text, true/false for a flag without one, undefined if absent. */
export type FlagLookup = (flags: string) => string | boolean | undefined;

/** The option's text: its flag, a value alias, its variable, then an alias that stands for a text. */
function rawOf(spec: OptionSpec<unknown>, given: FlagLookup, env: NodeJS.ProcessEnv): RawOption | undefined {
  const text = (value: string | boolean | undefined) => (typeof value === "string" ? value : (spec.bare ?? ""));
  const own = given(spec.flags);
  let chosen = own === undefined ? undefined : { text: text(own), from: longFlag(spec.flags) };
  const later: OptionAlias[] = [];
  for (const alias of spec.aliases ?? []) {
    if (alias.means !== undefined) later.push(alias);
    else chosen = pickAlias(chosen, alias, given(alias.flags), text);
  }
  const variable = spec.env === undefined ? undefined : env[spec.env];
  if (chosen === undefined && variable !== undefined && spec.env) chosen = { text: variable, from: spec.env };
  for (const alias of later) chosen = pickAlias(chosen, alias, given(alias.flags), () => alias.means ?? "");
  return chosen;
}

function pickAlias(
  chosen: RawOption | undefined,
  alias: OptionAlias,
  value: string | boolean | undefined,
  text: (value: string | boolean | undefined) => string,
): RawOption | undefined {
  if (value === undefined) return chosen;
  const raw = { text: text(value), from: longFlag(alias.flags) };
  if (chosen === undefined) return raw;
  if (chosen.text === raw.text) return chosen;
  throw new ConfigError(
    alias.disagree?.(chosen, raw) ??
      `${chosen.from} ${chosen.text} and ${raw.from} ${raw.text} disagree: give one of them`,
  );
}

/** `--port` from `-p, --port <port>`; `--no-persist` stays as typed. */
export const longFlag = (flags: string): string => flags.match(/--[a-z0-9-]+/)?.[0] ?? flags;

/** One validation pass over every option, the rules between options, then frozen. */
export function resolveConfig(given: FlagLookup, env: NodeJS.ProcessEnv = {}): Config {
  const raws = new Map<OptionSpec<unknown>, RawOption | undefined>();
  const resolve = (table: OptionTable): Record<string, unknown> => {
    const values: Record<string, unknown> = {};
    for (const [key, entry] of Object.entries(table)) {
      if (!isSpec(entry)) {
        values[key] = Object.freeze(resolve(entry));
        continue;
      }
      const raw = rawOf(entry, given, env);
      raws.set(entry, raw);
      values[key] = raw ? entry.parse(raw.text, raw.from) : entry.default;
    }
    return values;
  };
  const values = resolve(OPTIONS);
  // Rules between options.
  const workers = raws.get(OPTIONS.nWorkers);
  if (values.dev === true && workers === undefined) values.nWorkers = 1;
  if (values.dev === true && workers !== undefined && (values.nWorkers as number) > 1) {
    throw new ConfigError(
      `--dev runs 1 worker thread so a reload is instant, but ${workers.from} asks for ${values.nWorkers}: drop ${workers.from} (or set it to 1), or drop --dev`,
    );
  }
  return Object.freeze(values) as unknown as Config;
}
