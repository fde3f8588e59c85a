/** @module What a bench report records about the machine, and the warnings that follow from it. */
import { execFileSync } from "node:child_process";
import { availableParallelism, cpus, loadavg } from "node:os";

export interface Environment {
  readonly cpus: number;
  readonly cpuModel: string;
  readonly node: string;
  readonly platform: string;
  readonly commit: string;
  readonly loadAverage: readonly number[];
  readonly date: string;
}

export function readEnvironment(): Environment {
  let commit = "unknown";
  try {
    commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--untracked-files=no"], { encoding: "utf8" }).trim();
    if (dirty) commit += "+dirty";
  } catch {}
  return {
    cpus: availableParallelism(),
    cpuModel: cpus()[0]?.model ?? "unknown",
    node: process.version,
    platform: `${process.platform}/${process.arch}`,
    commit,
    loadAverage: loadavg().map((l) => Math.round(l * 100) / 100),
    date: new Date().toISOString(),
  };
}

/** The generator needs about one core of its own; say so when it does not have it. */
export function coreWarnings(cpus: number, serverThreads: number, generator: string, wrkInstalled: boolean): string[] {
  if (serverThreads + 1 <= cpus) return [];
  const warnings = [
    `generator and server share ${cpus} core(s): ${serverThreads} server thread(s) + the ${generator} generator (about one core). ` +
      "Absolute req/s are a floor for this box; compare ratios measured in one run.",
  ];
  if (generator === "autocannon" && wrkInstalled)
    warnings.push("wrk is installed and lighter: try --generator wrk to cross-check the numbers.");
  if (generator === "autocannon" && !wrkInstalled)
    warnings.push("a lighter generator, wrk, is available from apt (apt-get install -y wrk): then --generator wrk.");
  return warnings;
}
