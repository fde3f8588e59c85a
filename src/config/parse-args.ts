/**
 * @module The command line, built from the option table: commander parses
 * the flags, `resolveConfig` validates them. Separate from running so tests
 * never need to spawn the CLI.
 */
import { Command, CommanderError, Option } from "commander";
import { packageVersion } from "../version.js";
import { allOptions, type Config, ConfigError, longFlag, type OptionSpec, resolveConfig } from "./options.js";

const EXAMPLES = `
Examples:
  $ traffic-tracker                               # 0.0.0.0:8080, one thread per core
  $ traffic-tracker --port 9000 --n-workers 4
  $ traffic-tracker --host 127.0.0.1 --threads 2
  $ traffic-tracker --cors-origin https://shop.example,https://www.shop.example
  $ traffic-tracker --data-dir /var/lib/traffic-tracker --durability strict
  $ traffic-tracker --no-persist                  # demo: counts live in memory only
  $ PORT=9000 npm start
  $ npm run dev                                   # --dev: one thread, reloads on change
  $ traffic-tracker export --data-dir ./data --out visits.parquet   # a stopped store as a file (--help for more)
`;

/** Thrown for --help/--version: print `output`, exit 0. */
export class HelpRequested extends Error {
  readonly output: string;
  constructor(output: string) {
    super("help");
    this.output = output;
  }
}

function helpOf(spec: OptionSpec<unknown>): string {
  if (spec.default === false) return spec.help;
  return `${spec.help} (default: ${spec.shown ?? String(spec.default)})`;
}

function environmentHelp(): string {
  const lines = [...allOptions()]
    .filter((spec) => spec.env !== undefined)
    .map((spec) => `  ${(spec.env ?? "").padEnd(12)} default for ${longFlag(spec.flags)} (the flag wins)`);
  return `\nEnvironment:\n${lines.join("\n")}\n`;
}

/** The commander program, and each option's attribute name by its flags string. */
function buildProgram(): { program: Command; attributes: Map<string, string> } {
  const program = new Command("traffic-tracker")
    .description("Counts shopper visits during promotions; POST /visit, GET /stats, GET /health.")
    .version(packageVersion(), "-v, --version");
  const attributes = new Map<string, string>();
  const add = (flags: string, help: string) => {
    const option = new Option(flags, help);
    attributes.set(flags, option.attributeName());
    program.addOption(option);
  };
  for (const spec of allOptions()) {
    add(spec.flags, helpOf(spec));
    for (const alias of spec.aliases ?? []) add(alias.flags, alias.help);
  }
  program
    .addHelpText("after", environmentHelp() + EXAMPLES)
    .exitOverride()
    .configureOutput({ writeOut: () => {}, writeErr: () => {} })
    .allowExcessArguments(false);
  return { program, attributes };
}

/** argv without the node and script entries; env for the variables the options name (PORT, HOST, …). */
export function parseArgs(argv: readonly string[], env: NodeJS.ProcessEnv = {}): Config {
  const { program, attributes } = buildProgram();
  let captured = "";
  program.configureOutput({ writeOut: (s) => (captured += s), writeErr: () => {} });
  try {
    program.parse([...argv], { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === "commander.helpDisplayed" || error.code === "commander.version")
        throw new HelpRequested(captured);
      throw new ConfigError(error.message.replace(/^error: /, ""));
    }
    throw error;
  }
  const values = program.opts<Record<string, string | boolean>>();
  return resolveConfig((flags) => {
    const name = attributes.get(flags) ?? "";
    return program.getOptionValueSource(name) === "cli" ? values[name] : undefined;
  }, env);
}
