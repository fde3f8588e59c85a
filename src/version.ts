/** @module The package version, found from source (src/) or build (dist/src/). */
import { existsSync, readFileSync } from "node:fs";

export function packageVersion(): string {
  for (const up of ["../package.json", "../../package.json"]) {
    const url = new URL(up, import.meta.url);
    if (existsSync(url)) {
      const pkg = JSON.parse(readFileSync(url, "utf8")) as { name?: string; version?: string };
      if (pkg.name === "traffic-tracker" && pkg.version) return pkg.version;
    }
  }
  return "0.0.0";
}
