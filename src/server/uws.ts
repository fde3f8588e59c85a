/**
 * @module Loads uWebSockets.js as its native binary, never the npm
 * republish's silent pure-JS fallback (orders of magnitude slower).
 */

import type * as Uws from "uWebSockets.js";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

export type UwsModule = typeof Uws;

const require = createRequire(import.meta.url);

export class UwsLoadError extends Error {
  override name = "UwsLoadError";
}

export interface UwsBuild {
  /** e.g. "@trufflesuite/uws-js-unofficial 20.30.0-unofficial.0" */
  readonly package: string;
  readonly binary: string;
}

let loaded: { uws: UwsModule; build: UwsBuild } | undefined;

function glibcVersion(): string {
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
  return header?.glibcVersionRuntime ?? "none (not glibc)";
}

export function loadUws(): { uws: UwsModule; build: UwsBuild } {
  loaded ??= loadUwsBinary(process.versions.modules);
  return loaded;
}

/** Loads the binary for Node ABI `abi`; exported so tests can ask for one that does not exist. */
export function loadUwsBinary(abi: string): { uws: UwsModule; build: UwsBuild } {
  let packageDir: string;
  try {
    packageDir = dirname(require.resolve("uWebSockets.js/package.json"));
  } catch {
    throw new UwsLoadError("uWebSockets.js is not installed: run `npm install` (or `npm ci`) in the project folder.");
  }
  const pkg = JSON.parse(readFileSync(join(packageDir, "package.json"), "utf8")) as { name: string; version: string };
  const binary = `uws_${process.platform}_${process.arch}_${abi}.node`;
  try {
    const uws = require(join(packageDir, "binaries", binary)) as UwsModule;
    return { uws, build: { package: `${pkg.name} ${pkg.version}`, binary } };
  } catch (error) {
    throw new UwsLoadError(
      `cannot load the uWebSockets.js native binary ${binary} from ${pkg.name} ${pkg.version} ` +
        `(Node ${process.version}, ABI ${abi}, ${process.platform}/${process.arch}, glibc ${glibcVersion()}): ` +
        `${(error as Error).message.split("\n")[0]}. ` +
        "This build ships binaries for Node 18 and 20 (ABI 108/115) on glibc >= 2.27: run on Node 20, " +
        "or point the `uWebSockets.js` dependency at a build for your Node version (see README, Platform).",
    );
  }
}
