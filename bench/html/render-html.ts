/**
 * @module `--html`: the report as one self-contained page. uPlot (its
 * script and stylesheet) is inlined from node_modules, the report and the
 * chart data are embedded as JSON, and charts.js draws them: it opens offline,
 * from a file, with no request to anywhere.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { BenchReport } from "../report.js";
import { renderText } from "../report.js";
import { chartsOf } from "./chart-data.js";

const require = createRequire(import.meta.url);
const read = (file: string | URL) => readFileSync(file, "utf8");

/** Code inlined in a <script> element must not close it. */
function scriptSafe(code: string, name: string): string {
  if (/<\/script|<!--/i.test(code)) throw new Error(`${name} cannot be inlined: it contains "</script" or "<!--"`);
  return code;
}

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] as string,
  );

function table(rows: string[][]): string {
  const [head, ...body] = rows;
  if (!head) return "";
  const cells = (r: string[], tag: string) => r.map((c) => `<${tag}>${escapeHtml(c)}</${tag}>`).join("");
  return `<table><thead><tr>${cells(head, "th")}</tr></thead><tbody>${body.map((r) => `<tr>${cells(r, "td")}</tr>`).join("")}</tbody></table>`;
}

export function renderHtml(report: BenchReport): string {
  const uplotJs = read(require.resolve("uplot/dist/uPlot.iife.min.js"));
  const uplotCss = read(require.resolve("uplot/dist/uPlot.min.css"));
  const pageJs = read(new URL("./charts.js", import.meta.url));
  const pageCss = read(new URL("./page.css", import.meta.url));
  const e = report.environment;
  const pass = report.failures.length === 0;
  // JSON in a script element: "<" escaped everywhere keeps any string from closing it.
  const data = JSON.stringify({ report, charts: chartsOf(report) }).replace(/</g, "\\u003c");
  const verdict = pass
    ? `<p>PASS: no errors, no timeouts, no non-2xx, every cross-check held.</p>`
    : `<ul>${report.failures.map((f) => `<li>FAIL: ${escapeHtml(f)}</li>`).join("")}</ul>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>traffic-tracker bench, ${escapeHtml(e.date)}</title>
<style>${uplotCss}</style>
<style>${pageCss}</style>
</head>
<body>
<header>
<h1>traffic-tracker bench</h1>
<p>${escapeHtml(e.date)} · commit ${escapeHtml(e.commit)} · ${escapeHtml(String(report.settings.generator))}</p>
</header>
<section id="verdict" class="${pass ? "pass" : "fail"}"><h2>Verdict</h2>${verdict}</section>
${report.warnings.length > 0 ? `<section id="warnings"><h2>Warnings</h2><ul>${report.warnings.map((w) => `<li>${escapeHtml(w)}</li>`).join("")}</ul></section>` : ""}
<section id="environment"><h2>Environment</h2>
${table([
  ["cpus", "cpu", "node", "platform", "commit", "load avg", "date"],
  [String(e.cpus), e.cpuModel, e.node, e.platform, e.commit, e.loadAverage.join(" "), e.date],
])}
${table([["setting", "value"], ...Object.entries(report.settings).map(([k, v]) => [k, String(v)])])}
${table([["target", "runs"], ...Object.entries(report.targets)])}
</section>
<main id="charts"></main>
<details id="tables"><summary>All numbers (the text report)</summary><pre>${escapeHtml(renderText(report))}</pre></details>
<script id="bench-data" type="application/json">${data}</script>
<script>${scriptSafe(uplotJs, "uPlot")}</script>
<script>${scriptSafe(pageJs, "charts.js")}</script>
</body>
</html>
`;
}
