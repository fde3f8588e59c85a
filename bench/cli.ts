/**
 * `npm run bench [-- options]`: what one box holds, with a correctness
 * cross-check. Exit 0 pass, 1 a failed check (errors, timeouts, non-2xx, a
 * count mismatch, a ratio below --min-ratio), 2 bad options.
 */
import { CommanderError } from "commander";
import { runBench } from "./bench.js";
import { parseClusterSweepArgs, runClusterSweep } from "./cluster-sweep.js";
import { BenchUsageError, parseBenchArgs } from "./options.js";
import { writeReports } from "./outputs.js";
import { renderInstanceScaling, renderText } from "./report.js";

// --cluster N or 1,2,3: its own run (Redis plus N instances, per count), see cluster-bench.ts and cluster-sweep.ts.
if (process.argv.some((a) => a === "--cluster" || a.startsWith("--cluster="))) {
  try {
    const sweep = parseClusterSweepArgs(process.argv.slice(2));
    const { text, report } = await runClusterSweep(sweep, (line) => process.stderr.write(`${line}\n`));
    process.stdout.write(text);
    if (sweep.counts.length > 1) process.stdout.write(renderInstanceScaling(report.runs));
    writeReports({ json: sweep.json, markdown: undefined, html: sweep.html }, report);
    // As before the sweep: exit 1 when the totals differ (the page's verdict also lists non-2xx answers).
    process.exit(report.runs.every((r) => r.crossCheck.ok) ? 0 : 1);
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
