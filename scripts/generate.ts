/**
 * Regenerates src/generated/ from src/templates/ with typia (generate mode:
 * tsx applies no transform). `--check` regenerates into a temporary folder
 * and fails if the committed file differs, so CI catches a stale one.
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const bin = (name: string) => join(root, "node_modules", ".bin", name);
const check = process.argv.includes("--check");

function generate(output: string): void {
  execFileSync(
    bin("typia"),
    ["generate", "--input", "src/templates", "--output", output, "--project", "tsconfig.json"],
    {
      cwd: root,
      stdio: ["ignore", "ignore", "inherit"],
    },
  );
}

if (!check) {
  generate("src/generated");
  console.log("src/generated/ regenerated from src/templates/");
} else {
  {
    // The output folder must sit where the relative imports still resolve.
    const probe = join("src", `.generated-check-${process.pid}`);
    generate(probe);
    const stale: string[] = [];
    for (const file of readdirSync(join(root, probe))) {
      const fresh = readFileSync(join(root, probe, file), "utf8");
      let committed = "";
      try {
        committed = readFileSync(join(root, "src/generated", file), "utf8");
      } catch {}
      if (fresh !== committed) stale.push(file);
    }
    rmSync(join(root, probe), { recursive: true, force: true });
    if (stale.length > 0) {
      console.error(`src/generated/ is stale (${stale.join(", ")}): run \`npm run generate\` and commit the result`);
      process.exit(1);
    }
    console.log("src/generated/ is current");
  }
}
