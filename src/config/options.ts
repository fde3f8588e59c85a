/**
 * @module Service options: one defaults object, one validation pass with exact
 * messages, then frozen. The CLI and tests both go through `resolveConfig`.
 */
import { availableParallelism } from "node:os";
import type { LiveLimits } from "../live/live-feed.js";
import type { Durability } from "../store/messages.js";
import { MAX_RING_BYTES, MIN_RING_BYTES } from "../store/ring.js";

export const MAX_WORKERS = 256;

export interface Config {
  /** Worker threads, each a uWS App on the same port. */
  readonly nWorkers: number;
  readonly port: number;
  readonly host: string;
  /** `["*"]`, or the origins allowed to call the API from a browser. */
  readonly corsOrigins: readonly string[];
  /** Reload workers on source change, readable logs, one worker. */
  readonly dev: boolean;
  /** Fraction of requests written to the access log: 0 (off, the default) to 1. */
  readonly accessLogRate: number;
  /** Where the visit store lives; null: in memory only (nothing survives a restart). */
  readonly dataDir: string | null;
  /** batch: answer once the visit is in the ring; strict: once it is committed. */
  readonly durability: Durability;
  /** Record the first X-Forwarded-For hop as the client address. */
  readonly trustProxy: boolean;
  /** Bytes of each worker's ring to the recorder (a power of two). */
  readonly ringBytes: number;
  /** How long a failing store is retried (visits refused meanwhile) before the service stops. */
  readonly storeRetryMs: number;
  /** Journal backlog (bytes) up to which DuckDB imports wait for idle CPU; 0 imports at once. */
  readonly journalDeferBytes: number;
  /** GET /live (WebSocket) limits, per worker thread. */
  readonly live: LiveLimits;
}

export const defaults = Object.freeze({
  nWorkers: availableParallelism(),
  port: 8080,
  host: "0.0.0.0",
  corsOrigins: Object.freeze(["*"]),
  dev: false,
  devWorkers: 1,
  accessLogRate: 0,
  /** `--access-log` with no rate. */
  accessLogSampleRate: 0.01,
  dataDir: "./data",
  durability: "batch" as Durability,
  trustProxy: false,
  /** 4 MiB per worker: ~15,000 typical visits, a quarter second of one thread's peak. */
  ringKiB: 4096,
  storeRetrySeconds: 30,
  /** 512 MiB of journal ≈ 2.5 million visits: a spike of ~50 s at one box's peak before imports compete with it. */
  journalDeferMiB: 512,
  liveMaxConnections: 10_000,
  liveIdleSeconds: 120,
  liveBackpressureKiB: 64,
});

/** `--data-dir` value that keeps everything in memory. */
export const IN_MEMORY = ":memory:";

/** A bad option: one line for the operator, exit status 2. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Raw option texts and where each came from ("--port", "PORT"), as the CLI collected them. */
export interface RawOptions {
  nWorkers?: { text: string; from: string };
  port?: { text: string; from: string };
  host?: { text: string; from: string };
  corsOrigins?: { text: string; from: string };
  dev?: boolean;
  /** `true` for the flag alone, or the rate text. */
  accessLog?: { text: string | true; from: string };
  dataDir?: { text: string; from: string };
  /** `--no-persist`. */
  noPersist?: boolean;
  durability?: { text: string; from: string };
  trustProxy?: boolean;
  ringKiB?: { text: string; from: string };
  storeRetrySeconds?: { text: string; from: string };
  journalDeferMiB?: { text: string; from: string };
  liveMaxConnections?: { text: string; from: string };
  liveIdleSeconds?: { text: string; from: string };
  liveBackpressureKiB?: { text: string; from: string };
}

function wholeNumber(raw: { text: string; from: string }, min: number, max: number): number {
  const text = raw.text.trim();
  const value = /^[0-9]+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigError(`${raw.from} must be a whole number from ${min} to ${max}, got "${raw.text}"`);
  }
  return value;
}

function origins(raw: { text: string; from: string }): string[] {
  const list = raw.text
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  if (list.length === 0) throw new ConfigError(`${raw.from} needs at least one origin, or *`);
  for (const origin of list) {
    if (origin === "*") continue;
    let parsed: URL | undefined;
    try {
      parsed = new URL(origin);
    } catch {}
    if (!parsed || !/^https?:$/.test(parsed.protocol) || parsed.origin !== origin) {
      throw new ConfigError(
        `${raw.from}: "${origin}" is not an origin like https://shop.example or http://localhost:3000 (no path, no trailing slash), nor *`,
      );
    }
  }
  return list.includes("*") ? ["*"] : list;
}

export function resolveConfig(raw: RawOptions): Config {
  const dev = raw.dev ?? defaults.dev;
  const nWorkers = raw.nWorkers
    ? wholeNumber(raw.nWorkers, 1, MAX_WORKERS)
    : dev
      ? defaults.devWorkers
      : defaults.nWorkers;
  if (dev && nWorkers > 1) {
    throw new ConfigError(
      `--dev runs 1 worker thread so a reload is instant, but ${raw.nWorkers?.from} asks for ${nWorkers}: drop ${raw.nWorkers?.from} (or set it to 1), or drop --dev`,
    );
  }
  const host = raw.host ? raw.host.text.trim() : defaults.host;
  if (host === "") throw new ConfigError(`${raw.host?.from} must not be empty`);
  return Object.freeze({
    nWorkers,
    port: raw.port ? wholeNumber(raw.port, 0, 65535) : defaults.port,
    host,
    corsOrigins: Object.freeze(raw.corsOrigins ? origins(raw.corsOrigins) : [...defaults.corsOrigins]),
    dev,
    accessLogRate: raw.accessLog ? sampleRate(raw.accessLog) : defaults.accessLogRate,
    dataDir: dataDir(raw),
    durability: raw.durability ? durability(raw.durability) : defaults.durability,
    trustProxy: raw.trustProxy ?? defaults.trustProxy,
    ringBytes: raw.ringKiB ? ringKiB(raw.ringKiB) * 1024 : defaults.ringKiB * 1024,
    live: Object.freeze({
      maxConnections: raw.liveMaxConnections
        ? wholeNumber(raw.liveMaxConnections, 0, 1_000_000)
        : defaults.liveMaxConnections,
      // uWS counts idle time in 4 s steps and pings before it expires: 8 s is its floor, 960 s its ceiling.
      idleSeconds: raw.liveIdleSeconds ? wholeNumber(raw.liveIdleSeconds, 8, 960) : defaults.liveIdleSeconds,
      maxBackpressureBytes:
        (raw.liveBackpressureKiB ? wholeNumber(raw.liveBackpressureKiB, 1, 65_536) : defaults.liveBackpressureKiB) *
        1024,
    }),
    storeRetryMs:
      (raw.storeRetrySeconds ? wholeNumber(raw.storeRetrySeconds, 1, 3600) : defaults.storeRetrySeconds) * 1000,
    journalDeferBytes:
      (raw.journalDeferMiB ? wholeNumber(raw.journalDeferMiB, 0, 1_048_576) : defaults.journalDeferMiB) * 1024 * 1024,
  });
}

function dataDir(raw: RawOptions): string | null {
  if (raw.noPersist) {
    if (raw.dataDir && raw.dataDir.text !== IN_MEMORY) {
      throw new ConfigError(
        `--no-persist keeps visits in memory, but ${raw.dataDir.from} names a directory: give one of them`,
      );
    }
    return null;
  }
  if (!raw.dataDir) return defaults.dataDir;
  const text = raw.dataDir.text.trim();
  if (text === "")
    throw new ConfigError(`${raw.dataDir.from} must not be empty (use ${IN_MEMORY} to keep visits in memory only)`);
  return text === IN_MEMORY ? null : text;
}

function durability(raw: { text: string; from: string }): Durability {
  const text = raw.text.trim().toLowerCase();
  if (text === "batch" || text === "strict") return text;
  throw new ConfigError(
    `${raw.from} is batch (answer once the visit is queued; a crash may lose the last ≤ 10 ms) or strict (answer once it is committed), got "${raw.text}"`,
  );
}

function ringKiB(raw: { text: string; from: string }): number {
  const value = wholeNumber(raw, MIN_RING_BYTES / 1024, MAX_RING_BYTES / 1024);
  if (!Number.isInteger(Math.log2(value))) {
    throw new ConfigError(`${raw.from} must be a power of two (KiB), like 1024 or 4096; got "${raw.text}"`);
  }
  return value;
}

function sampleRate(raw: { text: string | true; from: string }): number {
  if (raw.text === true) return defaults.accessLogSampleRate;
  const rate = /^(0|1|0?\.[0-9]+|1\.0*)$/.test(raw.text.trim()) ? Number(raw.text) : Number.NaN;
  if (!(rate > 0 && rate <= 1))
    throw new ConfigError(
      `${raw.from} takes a sample rate above 0 and at most 1 (0.01 logs 1 request in 100), got "${raw.text}"`,
    );
  return rate;
}
