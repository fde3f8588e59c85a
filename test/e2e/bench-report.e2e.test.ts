/**
 * The bench's --html report in a real browser: a short two-scenario run
 * writes the page and the JSON report, Debian's Chromium (headless, driven by
 * playwright-core, offline from a file) draws them, and the test reads what
 * was drawn. A screenshot is saved to test/e2e/artifacts/.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { chromium } from "playwright-core";
import { runBench } from "../../bench/bench.js";
import { parseBenchArgs } from "../../bench/options.js";
import { writeReports } from "../../bench/outputs.js";
import type { BenchReport } from "../../bench/report.js";
import { type TestContext, test } from "../helpers/node-test.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const ARTIFACTS = fileURLToPath(new URL("./artifacts/", import.meta.url));
const FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"];

/** What the page drew, per chart, read from its uPlot instances. */
interface Drawn {
  kind: string;
  scenario: string | undefined;
  points: number;
  /** Plotted values per series (null where the series has no point). */
  series: Array<{ label: string; values: Array<number | null> }>;
  markers: Array<{ x: number; label: string }>;
  /** Canvas pixels in the first series' colour: the line or bars were really painted. */
  paintedInSeriesColour: number;
  canvasWidth: number;
}

for (const generator of ["autocannon", "wrk"] as const) {
  const how = generator === "wrk" ? " (wrk: answers counted per second in one process)" : "";
  test(
    `--html writes one page that Chromium draws: a chart per scenario, a point per second, samples adding up to the run${how}`,
    {
      timeout: 180_000,
    },
    (t) => checkPage(t, generator),
  );
}

async function checkPage(t: TestContext, generator: "autocannon" | "wrk"): Promise<void> {
  assert.ok(existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM} (apt-get install -y chromium)`);
  const dir = mkdtempSync(join(tmpdir(), "bench-html-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const html = join(dir, "report.html");
  const json = join(dir, "report.json");
  const options = parseBenchArgs([
    ...["--scenario", "visit,spike", "--duration", "2s", "--warmup", "1s", "--connections", "8"],
    ...["--threads", "1", "--store", "memory", "--html", html, "--json", json, "--generator", generator],
  ]);
  const produced = await runBench(options, () => {});
  writeReports(options, produced);
  const report = JSON.parse(readFileSync(json, "utf8")) as BenchReport;
  assert.deepEqual(report.failures, []);

  const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
  t.after(() => browser.close());
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  const pageErrors: string[] = [];
  page.on("pageerror", (e) => pageErrors.push(e.message));
  // Self-contained: any request other than the file itself is a failure.
  const requests: string[] = [];
  page.on("request", (r) => requests.push(r.url()));
  await page.goto(pathToFileURL(html).href);
  await page.waitForFunction("document.body.dataset.charts !== undefined", null, { timeout: 15_000 });
  assert.deepEqual(pageErrors, []);
  assert.deepEqual(requests, [pathToFileURL(html).href]);

  const drawn = (await page.evaluate(`window.benchCharts.map(({ spec, plot }) => {
    const stroke = plot.series[1].stroke;
    const hex = typeof stroke === "function" ? stroke(plot, 1) : stroke;
    const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
    const px = plot.ctx.getImageData(0, 0, plot.ctx.canvas.width, plot.ctx.canvas.height).data;
    let painted = 0;
    for (let i = 0; i < px.length; i += 4)
      if (Math.abs(px[i] - r) < 8 && Math.abs(px[i + 1] - g) < 8 && Math.abs(px[i + 2] - b) < 8 && px[i + 3] > 200) painted++;
    return {
      kind: spec.kind,
      scenario: spec.scenario,
      points: plot.data[0].length,
      series: plot.series.slice(1).map((s, i) => ({ label: s.label, values: Array.from(plot.data[i + 1]) })),
      markers: spec.markers ?? [],
      paintedInSeriesColour: painted,
      canvasWidth: plot.ctx.canvas.width,
    };
  })`)) as Drawn[];
  const embedded = JSON.parse((await page.textContent("#bench-data")) ?? "{}") as { report: BenchReport };

  // Every chart the page lists was drawn.
  assert.equal(await page.locator("figure.chart").count(), drawn.length);
  assert.equal(await page.locator("figure.chart canvas").count(), drawn.length);
  for (const c of drawn) {
    assert.ok(c.canvasWidth > 0, `${c.kind} ${c.scenario ?? ""} has a canvas`);
    // The errors chart of a clean run has only zero-height bars.
    if (c.kind !== "errors")
      assert.ok(c.paintedInSeriesColour > 0, `${c.kind} ${c.scenario ?? ""} painted its first series`);
  }
  assert.deepEqual([...new Set(drawn.map((c) => c.kind))], ["timeline", "cpu", "errors"]);

  for (const run of report.runs) {
    const where = run.scenario;
    const timelines = drawn.filter((c) => c.kind === "timeline" && c.scenario === run.scenario);
    assert.equal(timelines.length, 1, `one chart for ${where}`);
    assert.equal(await page.locator(`figure[data-chart="timeline"][data-scenario="${run.scenario}"]`).count(), 1);
    const [chart] = timelines as [Drawn];
    const samples = run.result.samples ?? [];
    // As many points as seconds measured (± 1), every one of them plotted.
    assert.ok(
      Math.abs(chart.points - run.result.durationSeconds) <= 1,
      `${where}: ${chart.points} points for ${run.result.durationSeconds} s measured`,
    );
    assert.equal(samples.length, chart.points);
    const reqPerSec = chart.series.find((s) => s.label.startsWith("req/s"));
    assert.ok(reqPerSec, `${where} plots req/s`);
    assert.equal(reqPerSec.values.filter((v) => v !== null).length, chart.points);
    // The samples add up to the run's request count, and the plotted rates are theirs.
    const sum = samples.reduce((n, s) => n + s.requests, 0);
    assert.equal(sum, run.result.requests, `${where}: per-second samples sum to the run's requests`);
    if (generator === "autocannon") {
      assert.ok(
        chart.series.some((s) => s.label.startsWith("p50")) && chart.series.some((s) => s.label.startsWith("p99")),
      );
      assert.equal(sum, run.crossCheck.grew, `${where}: …and to what the server counted (every request is a visit)`);
    } else {
      // No latency line, and the chart says where latency over time is; the run's percentiles are wrk's.
      assert.deepEqual(
        chart.series.map((s) => s.label),
        ["req/s · traffic-tracker"],
      );
      const caption = (await page.textContent(`figure[data-chart="timeline"][data-scenario="${run.scenario}"]`)) ?? "";
      assert.match(caption, /latency over time needs autocannon or --wrk-slices/);
      assert.ok(run.result.latency.p99 > 0, "the run's p99 from wrk's histogram");
      // wrk stops on a timer: the server may have counted up to one more request per connection.
      const grew = run.crossCheck.grew;
      assert.ok(grew >= sum && grew - sum <= run.result.connections, `${where}: server ${grew}, samples ${sum}`);
    }
    samples.forEach((s, i) => {
      assert.ok(Math.abs((reqPerSec.values[i] as number) * s.seconds - s.requests) < 1e-6, `${where} second ${i + 1}`);
    });
    // The page embeds the same samples as the JSON report.
    const same = embedded.report.runs.find((r) => r.scenario === run.scenario && r.round === run.round);
    assert.deepEqual(same?.result.samples, samples);
  }

  const spike = drawn.find((c) => c.kind === "timeline" && c.scenario === "spike");
  const spikeRun = report.runs.find((r) => r.scenario === "spike");
  assert.deepEqual(spike?.markers, [
    { x: 0, label: `the sale opens: ${spikeRun?.result.connections} connections at once` },
  ]);

  // The environment block and the verdict.
  assert.match((await page.textContent("#verdict")) ?? "", /PASS/);
  assert.match(
    (await page.textContent("#environment")) ?? "",
    new RegExp(report.environment.commit.replace("+", "\\+")),
  );
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({
    path: `${ARTIFACTS}bench-report${generator === "wrk" ? "-wrk" : ""}.png`,
    fullPage: true,
  });
}
