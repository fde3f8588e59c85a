/**
 * @module --dev: when a file under src/ changes, start fresh worker threads
 * from the TypeScript source and retire the old ones. Counts live in the
 * shared buffer, so they survive a reload; main-thread code needs a restart.
 */
import { watch } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Logger } from "../log.js";
import type { Supervisor } from "./supervisor.js";

const DEBOUNCE_MS = 150;

export function watchForReload(srcDir: URL, supervisor: Supervisor, log: Logger): () => void {
  let timer: NodeJS.Timeout | undefined;
  let reloading = false;
  let again = false;
  const changed: Set<string> = new Set();
  const reload = async () => {
    if (reloading) {
      again = true;
      return;
    }
    reloading = true;
    const files = [...changed];
    changed.clear();
    try {
      await supervisor.reload();
      log.info("reloaded worker threads", { changed: files });
    } catch (error) {
      log.error("reload failed; the previous workers keep serving", { error: (error as Error).message });
    } finally {
      reloading = false;
      if (again) {
        again = false;
        void reload();
      }
    }
  };
  const watcher = watch(fileURLToPath(srcDir), { recursive: true }, (_event, file) => {
    if (!file || !/\.(ts|mjs)$/.test(file)) return;
    changed.add(String(file));
    clearTimeout(timer);
    timer = setTimeout(() => void reload(), DEBOUNCE_MS);
  });
  return () => {
    clearTimeout(timer);
    watcher.close();
  };
}
