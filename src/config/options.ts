/**
 * @module Service options: one defaults object, one validation pass with exact
 * messages, then frozen. The CLI and tests both go through `resolveConfig`.
 */
import { availableParallelism } from "node:os";

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
});

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
  });
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
