import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runBench } from "../../bench/bench.js";
import { parseBenchArgs } from "../../bench/options.js";
import { renderMarkdown } from "../../bench/report.js";
import { test } from "../helpers/node-test.js";

test("the bench runs end to end, and its cross-check runs and passes for every scenario", {
  timeout: 120_000,
}, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "bench-smoke-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const options = parseBenchArgs([
    "--duration",
    "2s",
    "--warmup",
    "1s",
    "--connections",
    "8",
    "--threads",
    "1",
    "--scenario",
    "visit,mixed",
  ]);
  const lines: string[] = [];
  const report = await runBench(options, (line) => lines.push(line));
  assert.deepEqual(report.failures, []);
  assert.deepEqual(
    report.runs.map((r) => r.scenario),
    ["visit", "mixed"],
  );
  for (const r of report.runs) {
    assert.equal(r.crossCheck.checked, true, `${r.scenario} was cross-checked`);
    assert.equal(r.crossCheck.exact, true);
    assert.equal(r.crossCheck.ok, true, r.crossCheck.note);
    assert.ok(r.crossCheck.counted > 100, `${r.scenario} sent real load (${r.crossCheck.counted} visits)`);
    assert.equal(r.crossCheck.grew, r.crossCheck.counted);
    assert.equal(r.result.errors + r.result.non2xx, 0);
  }
  // Mixed: the stats reads are not visits, so fewer visits than responses.
  const mixed = report.runs.find((r) => r.scenario === "mixed");
  assert.ok(mixed && mixed.crossCheck.counted < mixed.result.requests);
  assert.ok(
    lines.some((l) => /req\/s/.test(l)),
    "progress was reported",
  );
  const md = join(dir, "report.md");
  const { writeFileSync } = await import("node:fs");
  writeFileSync(md, renderMarkdown(report));
  assert.match(readFileSync(md, "utf8"), /cross-check/);
});
