/**
 * @module `traffic-tracker export --data-dir DIR --out FILE [--format F]
 * [--from T] [--to T]`: the records of a stopped data directory as a file,
 * without the service. DuckDB allows one process per store, so a directory a
 * running service holds is refused with the way out (GET /export). Journal
 * segments a crash left unimported are included, as the service would.
 */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { Command, CommanderError, Option } from "commander";
import { listSegments } from "../store/journal.js";
import { STORE_FILE, STORED_NODE_ID_SQL } from "../store/visit-store.js";
import { EXPORT_FORMATS, parseInstant } from "./params.js";
import { DUCKDB_MEMORY_LIMIT } from "./query-runner.js";
import { ALL_TIME, type ExportFormat, exportSql } from "./sql.js";

export interface ExportOptions {
  readonly dataDir: string;
  readonly out: string;
  readonly format: ExportFormat;
  readonly fromMs: number;
  readonly toMs: number;
  /** The node_id column's value (default: the node id the store recorded in cluster mode; none: no column). */
  readonly nodeId?: string;
}

/** A problem the operator must fix; exit status 2 for bad options, 1 otherwise. */
export class ExportError extends Error {
  override name = "ExportError";
  readonly exitCode: number;
  constructor(message: string, exitCode: number) {
    super(message);
    this.exitCode = exitCode;
  }
}

const formatFromName = (out: string): ExportFormat | undefined =>
  EXPORT_FORMATS.find((f) => out.toLowerCase().endsWith(`.${f}`));

export function parseExportArgs(argv: readonly string[], env: NodeJS.ProcessEnv = {}): ExportOptions | string {
  const program = new Command("traffic-tracker export")
    .description("Writes the visits of a stopped data directory to a file (Parquet, CSV or NDJSON).")
    .addOption(
      new Option("-d, --data-dir <dir>", 'the stopped service\'s data directory (default: $DATA_DIR or "./data")'),
    )
    .addOption(new Option("-o, --out <file>", "file to write (replaced if it exists)"))
    .addOption(
      new Option("-f, --format <format>", "parquet, csv or ndjson (default: from the file name, else parquet)"),
    )
    .addOption(new Option("--from <instant>", "visits at or after this ISO 8601 instant (a date alone: UTC midnight)"))
    .addOption(new Option("--to <instant>", "visits before this instant"))
    .addOption(
      new Option(
        "--node-id <id>",
        "a node_id column with this value (default: the node id the store recorded when it last ran in cluster mode, if any)",
      ),
    )
    .exitOverride()
    .allowExcessArguments(false);
  let help = "";
  program.configureOutput({ writeOut: (s) => (help += s), writeErr: () => {} });
  try {
    program.parse([...argv], { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError && error.code === "commander.helpDisplayed") return help;
    if (error instanceof CommanderError) throw new ExportError(error.message.replace(/^error: /, ""), 2);
    throw error;
  }
  const o = program.opts<{
    dataDir?: string;
    out?: string;
    format?: string;
    from?: string;
    to?: string;
    nodeId?: string;
  }>();
  if (!o.out) throw new ExportError("--out <file> is required", 2);
  const format =
    o.format === undefined ? (formatFromName(o.out) ?? "parquet") : EXPORT_FORMATS.find((f) => f === o.format);
  if (!format) throw new ExportError(`--format is parquet, csv or ndjson, got "${o.format}"`, 2);
  const instant = (name: "--from" | "--to", text: string | undefined, fallback: number) => {
    if (text === undefined) return fallback;
    const ms = parseInstant(text);
    if (Number.isNaN(ms))
      throw new ExportError(`${name} must be an ISO 8601 instant like 2026-12-02T09:30:00Z, got "${text}"`, 2);
    return ms;
  };
  return {
    dataDir: o.dataDir ?? env.DATA_DIR ?? "./data",
    out: o.out,
    format,
    fromMs: instant("--from", o.from, ALL_TIME.fromMs),
    toMs: instant("--to", o.to, ALL_TIME.toMs),
    ...(o.nodeId === undefined ? {} : { nodeId: o.nodeId }),
  };
}

/** Writes the file; returns the number of rows. */
export async function runExport(options: ExportOptions): Promise<number> {
  const file = join(options.dataDir, STORE_FILE);
  if (!existsSync(file))
    throw new ExportError(
      `${resolve(file)} does not exist: no traffic-tracker store in ${resolve(options.dataDir)}`,
      1,
    );
  let instance: DuckDBInstance;
  try {
    instance = await DuckDBInstance.create(file, { access_mode: "READ_ONLY", memory_limit: DUCKDB_MEMORY_LIMIT });
  } catch (error) {
    const message = (error as Error).message ?? String(error);
    if (/Could not set lock|Conflicting lock/i.test(message)) {
      const holder = /\(PID (\d+)\)/.exec(message)?.[1];
      throw new ExportError(
        `${resolve(options.dataDir)} is in use by a running traffic-tracker${holder ? ` (PID ${holder})` : ""}: stop it first, or download GET /export from it`,
        1,
      );
    }
    throw new ExportError(`cannot open ${resolve(file)}: ${message.split("\n")[0]}`, 1);
  }
  try {
    const connection = await instance.connect();
    try {
      const segments = listSegments(options.dataDir).map((s) => s.path);
      const range = { fromMs: options.fromMs, toMs: options.toMs, lastMs: ALL_TIME.toMs };
      const stored = (await connection.runAndReadAll(STORED_NODE_ID_SQL)).getRowsJS()[0]?.[0];
      const nodeId = options.nodeId ?? stored?.toString();
      const result = await connection.run(exportSql(segments, range, options.format, resolve(options.out), nodeId));
      return Number(result.rowsChanged);
    } finally {
      connection.closeSync();
    }
  } finally {
    instance.closeSync();
  }
}

/** The subcommand's entry: prints, sets the exit status. */
export async function exportMain(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<void> {
  try {
    const parsed = parseExportArgs(argv, env);
    if (typeof parsed === "string") {
      process.stdout.write(parsed);
      return;
    }
    const started = performance.now();
    const rows = await runExport(parsed);
    const seconds = (performance.now() - started) / 1000;
    process.stderr.write(
      `traffic-tracker export: ${rows} visits written to ${parsed.out} (${parsed.format}, ${seconds.toFixed(1)} s)\n`,
    );
  } catch (error) {
    if (!(error instanceof ExportError)) throw error;
    process.stderr.write(`traffic-tracker export: ${error.message}\n`);
    process.exitCode = error.exitCode;
  }
}
