/**
 * `npm run bench [-- options]`: what one box holds, with a correctness
 * cross-check. Exit 0 pass, 1 a failed check (errors, timeouts, non-2xx, a
 * count mismatch, a ratio below --min-ratio), 2 bad options.
 */
import { CommanderError } from "commander";
import { runBench } from "./bench.js";
import { parseClusterArgs, renderClusterReport, runClusterBench } from "./cluster-bench.js";
import { BenchUsageError, parseBenchArgs } from "./options.js";
import { writeReports } from "./outputs.js";
import { renderText } from "./report.js";

// --cluster N: its own run (Redis plus N instances), see cluster-bench.ts.
if (process.argv.includes("--cluster")) {
  try {
    const report = await runClusterBench(parseClusterArgs(process.argv.slice(2)), (line) =>
      process.stderr.write(`${line}\n`),
    );
    process.stdout.write(renderClusterReport(report));
    process.exit(report.exact ? 0 : 1);
  } catch (error) {
    if (error instanceof CommanderError) process.exit(error.exitCode);
    process.stderr.write(`bench: ${(error as Error).message}\n`);
    process.exit(1);
  }
}

let options: ReturnType<typeof parseBenchArgs>;
try {
  options = parseBenchArgs(process.argv.slice(2));
} catch (error) {
  if (error instanceof CommanderError) process.exit(0); // --help was printed
  if (error instanceof BenchUsageError) {
    process.stderr.write(`bench: ${error.message}\n(see npm run bench -- --help)\n`);
    process.exit(2);
  }
  throw error;
}

try {
  const report = await runBench(options);
  process.stdout.write(renderText(report));
  writeReports(options, report);
  process.exitCode = report.failures.length === 0 ? 0 : 1;
} catch (error) {
  process.stderr.write(`bench: ${(error as Error).message}\n`);
  process.exitCode = 1;
}
