import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { createLogger } from "../../src/log.js";
import { watchForReload } from "../../src/server/dev-reload.js";
import type { Supervisor } from "../../src/server/supervisor.js";
import { test } from "../helpers/node-test.js";
import { until } from "../helpers/wait.js";

test("--dev reloads the workers once per burst of source changes, ignoring other files", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "tt-src-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  let reloads = 0;
  const supervisor = { reload: async () => void reloads++ } as unknown as Supervisor;
  const lines: string[] = [];
  const stop = watchForReload(
    pathToFileURL(`${dir}/`),
    supervisor,
    createLogger("json", (line) => lines.push(line)),
  );
  t.after(stop);
  /** The files each reload was for, in order. */
  const reloaded = () =>
    lines
      .map((line) => JSON.parse(line))
      .filter((e) => e.msg === "reloaded worker threads")
      .map((e) => e.changed);
  writeFileSync(join(dir, "notes.txt"), "not code");
  for (let i = 0; i < 5; i++) writeFileSync(join(dir, "routes.ts"), `export const v = ${i};`);
  await until("a reload for the burst", () => reloaded().length >= 1, { detail: () => `${reloads} reloads` });
  // One more change, later: had the burst (or the notes) reloaded more than once, its reload would not be the second.
  writeFileSync(join(dir, "later.ts"), "export const w = 1;");
  await until("a reload for the later change", () => reloaded().length >= 2, { detail: () => `${reloads} reloads` });
  assert.deepEqual(reloaded(), [["routes.ts"], ["later.ts"]]);
  assert.equal(reloads, 2);
});
