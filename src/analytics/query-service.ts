/**
 * @module The recorder thread's end of the analytics channel: answers the
 * workers' requests with the QueryRunner.
 */
import { BroadcastChannel } from "node:worker_threads";
import type { DuckDBConnection } from "@duckdb/node-api";
import type { AnalyticsMessage } from "./messages.js";
import { QueryRunner } from "./query-runner.js";

export interface QueryService {
  /** Stops answering, waits for a fold running to stop, and closes the idle connections (before the store closes). */
  close(): Promise<void>;
}

export function serveQueries(
  channelName: string,
  dataDir: string,
  connect: () => Promise<DuckDBConnection>,
): QueryService {
  const channel = new BroadcastChannel(channelName);
  const runner = new QueryRunner(dataDir, connect);
  // The summary tables are created (or checked) before the first query can come, then kept up to date in idle time.
  void runner.folder.start().catch(() => {}); // queries fold and create them too
  channel.onmessage = (event) => {
    const message = (event as { data: AnalyticsMessage }).data;
    if (message.kind === "answer") return;
    runner.handle(message).then(
      (answer) => {
        if (answer) channel.postMessage(answer);
      },
      () => {}, // handle() answers its own failures
    );
  };
  return {
    close() {
      channel.close();
      return runner.close();
    },
  };
}
