/**
 * @module Logging with pino: one JSON line per lifecycle event (start, worker
 * died or replaced, shutdown, errors), or readable text in --dev. Nothing is
 * logged per request unless sampled access logs are turned on.
 */
import { Writable } from "node:stream";
import pino from "pino";

export type LogFields = Record<string, unknown>;

export interface Logger {
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

/** Readable lines for --dev: `msg  key=value …`, level shown unless info. */
export function prettyLine(json: string): string {
  const {
    level,
    msg,
    time: _time,
    pid: _pid,
    hostname: _host,
    ...fields
  } = JSON.parse(json) as Record<string, unknown>;
  const extra = Object.entries(fields)
    .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
    .join(" ");
  return `${level === "info" ? "" : `${String(level).toUpperCase()} `}${String(msg)}${extra ? `  ${extra}` : ""}\n`;
}

export function createLogger(
  format: "json" | "pretty" | "silent",
  write: (line: string) => unknown = (line) => process.stdout.write(line),
): Logger {
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      const line = chunk.toString("utf8");
      write(format === "pretty" ? prettyLine(line) : line);
      done();
    },
  });
  const log = pino(
    {
      level: format === "silent" ? "silent" : "info",
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
  return {
    info: (msg, fields = {}) => log.info(fields, msg),
    warn: (msg, fields = {}) => log.warn(fields, msg),
    error: (msg, fields = {}) => log.error(fields, msg),
  };
}
