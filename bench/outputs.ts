/** @module The report files a run asked for: --json, --markdown, --html. */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { renderHtml } from "./html/render-html.js";
import type { BenchOptions } from "./options.js";
import { type BenchReport, renderMarkdown } from "./report.js";

const write = (file: string, text: string) => {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
};

export function writeReports(options: Pick<BenchOptions, "json" | "markdown" | "html">, report: BenchReport): void {
  if (options.json) write(options.json, `${JSON.stringify(report, null, 2)}\n`);
  if (options.markdown) write(options.markdown, renderMarkdown(report));
  if (options.html) write(options.html, renderHtml(report));
}
