import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { pathToFileURL } from "node:url";
import { createLogger } from "../../src/log.js";
import { watchForReload } from "../../src/server/dev-reload.js";
import type { Supervisor } from "../../src/server/supervisor.js";

test("--dev reloads the workers once per burst of source changes, ignoring other files", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), "tt-src-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  let reloads = 0;
  const supervisor = { reload: async () => void reloads++ } as unknown as Supervisor;
  const stop = watchForReload(pathToFileURL(`${dir}/`), supervisor, createLogger("silent"));
  t.after(stop);
  writeFileSync(join(dir, "notes.txt"), "not code");
  await new Promise((r) => setTimeout(r, 400));
  assert.equal(reloads, 0);
  for (let i = 0; i < 5; i++) writeFileSync(join(dir, "routes.ts"), `export const v = ${i};`);
  await new Promise((r) => setTimeout(r, 600));
  assert.equal(reloads, 1);
});
