/**
 * @module Lifecycle logging: one JSON line per event, or readable text in dev
 * mode. Nothing is logged per request.
 */

export type LogFields = Record<string, unknown>;

export interface Logger {
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

export function createLogger(
  format: "json" | "pretty" | "silent",
  write: (line: string) => unknown = (line) => process.stdout.write(line),
): Logger {
  if (format === "silent") return { info() {}, warn() {}, error() {} };
  const emit = (level: string, msg: string, fields: LogFields = {}) => {
    if (format === "json") {
      write(`${JSON.stringify({ level, time: new Date().toISOString(), msg, ...fields })}\n`);
    } else {
      const extra = Object.entries(fields)
        .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
        .join(" ");
      write(`${level === "info" ? "" : `${level.toUpperCase()} `}${msg}${extra ? `  ${extra}` : ""}\n`);
    }
  };
  return {
    info: (msg, fields) => emit("info", msg, fields),
    warn: (msg, fields) => emit("warn", msg, fields),
    error: (msg, fields) => emit("error", msg, fields),
  };
}
