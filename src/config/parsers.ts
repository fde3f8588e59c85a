/**
 * @module Option value parsers: text in, value out, or a `ConfigError` whose
 * message names where the text came from (`--port`, `PORT`). Each returns the
 * value in the unit the service uses (bytes, ms) while validating the unit
 * the operator typed (KiB, s).
 */
import type { Durability } from "../store/messages.js";

/** A bad option: one line for the operator, exit status 2. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/** `--data-dir` value that keeps everything in memory. */
export const IN_MEMORY = ":memory:";

/** What a parser gives an option: how to read its text, its default, and how --help shows that default. */
export interface ValueParser<T> {
  readonly parse: (text: string, from: string) => T;
  readonly default: T;
  /** The default as the operator would type it, when `String(default)` is not that. */
  readonly shown?: string;
}

function whole(text: string, from: string, min: number, max: number): number {
  const trimmed = text.trim();
  const value = /^[0-9]+$/.test(trimmed) ? Number(trimmed) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigError(`${from} must be a whole number from ${min} to ${max}, got "${text}"`);
  }
  return value;
}

/** A whole number of `unit`s typed by the operator, kept as `value * times` (KiB → bytes, s → ms). */
export function wholeNumber(o: { min: number; max: number; default: number; times?: number }): ValueParser<number> {
  const times = o.times ?? 1;
  return {
    parse: (text, from) => whole(text, from, o.min, o.max) * times,
    default: o.default * times,
    ...(times !== 1 ? { shown: String(o.default) } : {}),
  };
}

/** A whole number of KiB that is a power of two, kept in bytes. */
export function powerOfTwoKiB(o: { min: number; max: number; default: number }): ValueParser<number> {
  return {
    parse(text, from) {
      const value = whole(text, from, o.min, o.max);
      if (!Number.isInteger(Math.log2(value))) {
        throw new ConfigError(`${from} must be a power of two (KiB), like 1024 or 4096; got "${text}"`);
      }
      return value * 1024;
    },
    default: o.default * 1024,
    shown: String(o.default),
  };
}

/** A non-empty text, trimmed. */
export function nonEmpty(fallback: string): ValueParser<string> {
  return {
    parse(text, from) {
      const trimmed = text.trim();
      if (trimmed === "") throw new ConfigError(`${from} must not be empty`);
      return trimmed;
    },
    default: fallback,
  };
}

/** A flag without a value: true when given. */
export const flag: ValueParser<boolean> = { parse: () => true, default: false };

export const origins: ValueParser<readonly string[]> = {
  parse(text, from) {
    const list = text
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s !== "");
    if (list.length === 0) throw new ConfigError(`${from} needs at least one origin, or *`);
    for (const origin of list) {
      if (origin === "*") continue;
      let parsed: URL | undefined;
      try {
        parsed = new URL(origin);
      } catch {}
      if (!parsed || !/^https?:$/.test(parsed.protocol) || parsed.origin !== origin) {
        throw new ConfigError(
          `${from}: "${origin}" is not an origin like https://shop.example or http://localhost:3000 (no path, no trailing slash), nor *`,
        );
      }
    }
    return Object.freeze(list.includes("*") ? ["*"] : list);
  },
  default: Object.freeze(["*"]),
  shown: '"*"',
};

/** A directory, or `IN_MEMORY` (null: nothing survives a restart). */
export const dataDir: ValueParser<string | null> = {
  parse(text, from) {
    const trimmed = text.trim();
    if (trimmed === "")
      throw new ConfigError(`${from} must not be empty (use ${IN_MEMORY} to keep visits in memory only)`);
    return trimmed === IN_MEMORY ? null : trimmed;
  },
  default: "./data",
  shown: '"./data"',
};

export const durability: ValueParser<Durability> = {
  parse(text, from) {
    const mode = text.trim().toLowerCase();
    if (mode === "batch" || mode === "strict") return mode;
    throw new ConfigError(
      `${from} is batch (answer once the visit is queued; a crash may lose the last ≤ 10 ms) or strict (answer once it is committed), got "${text}"`,
    );
  },
  default: "batch",
};

/** A fraction of requests, above 0 and at most 1; absent: 0 (off). */
export const sampleRate: ValueParser<number> = {
  parse(text, from) {
    const rate = /^(0|1|0?\.[0-9]+|1\.0*)$/.test(text.trim()) ? Number(text) : Number.NaN;
    if (!(rate > 0 && rate <= 1))
      throw new ConfigError(
        `${from} takes a sample rate above 0 and at most 1 (0.01 logs 1 request in 100), got "${text}"`,
      );
    return rate;
  },
  default: 0,
  shown: "off",
};

/** A bearer token: it travels in a header, so printable ASCII without spaces, and long enough not to be guessed. */
export const adminToken: ValueParser<string | null> = {
  parse(text, from) {
    const token = text.trim();
    if (!/^[\x21-\x7e]{16,}$/.test(token)) {
      throw new ConfigError(
        `${from} must be at least 16 printable ASCII characters without spaces (e.g. the output of: openssl rand -hex 32)`,
      );
    }
    return token;
  },
  default: null,
  shown: "none: loopback clients only",
};
