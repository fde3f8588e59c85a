/**
 * @module GET /dashboard: one HTML page and its assets, every one served by
 * the service (no CDN): the page's own script and styles (page.ts,
 * dashboard-script.ts) and uPlot from the installed package.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { Asset } from "../analytics/routes.js";
import { DASHBOARD_SCRIPT } from "./dashboard-script.js";
import { DASHBOARD_CSS, DASHBOARD_HTML } from "./page.js";

const require = createRequire(import.meta.url);

function packageFile(pkg: string, file: string): () => Buffer {
  let cached: Buffer | undefined;
  return () => {
    cached ??= readFileSync(join(dirname(require.resolve(`${pkg}/package.json`)), file));
    return cached;
  };
}

const JS = "application/javascript; charset=utf-8";
const CSS = "text/css; charset=utf-8";

export function dashboardAssets(): { html: () => string; assets: ReadonlyMap<string, Asset> } {
  return {
    html: () => DASHBOARD_HTML,
    assets: new Map<string, Asset>([
      ["/dashboard/app.js", { contentType: JS, load: () => DASHBOARD_SCRIPT }],
      ["/dashboard/app.css", { contentType: CSS, load: () => DASHBOARD_CSS }],
      ["/dashboard/uplot.min.js", { contentType: JS, load: packageFile("uplot", "dist/uPlot.iife.min.js") }],
      ["/dashboard/uplot.min.css", { contentType: CSS, load: packageFile("uplot", "dist/uPlot.min.css") }],
    ]),
  };
}
