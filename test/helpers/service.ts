/** A real service on a free loopback port for one test file, stopped in `after`. */
import type { TestContext } from "node:test";
import { resolveConfig } from "../../src/config/options.js";
import { SharedManualClock } from "../../src/counters/clock.js";
import { createLogger, type Logger } from "../../src/log.js";
import { type Service, type ServiceExtras, startService } from "../../src/server/service.js";

export interface TestService extends Service {
  readonly clock: SharedManualClock | undefined;
  readonly logs: string[];
}

export interface TestServiceOptions {
  nWorkers?: number;
  /** Listen address (default 127.0.0.1; "::" is dual-stack). */
  host?: string;
  corsOrigins?: string;
  manualClock?: boolean;
  allowFaultInjection?: boolean;
  /** A visit store directory (default: in memory). */
  dataDir?: string;
  durability?: "batch" | "strict";
  ringKiB?: number;
  storeRetrySeconds?: number;
  /** --journal-defer-mib (0: DuckDB imports every second whatever the load). */
  journalDeferMiB?: number;
  trustProxy?: boolean;
  /** The recorder sleeps this long before every commit. */
  commitDelayMs?: number;
  onFatal?: (message: string) => void;
  liveMaxConnections?: number;
  liveIdleSeconds?: number;
}

type Hooks = Pick<TestContext, "after"> | { after: (fn: () => Promise<void>) => void };

export async function startTestService(hooks: Hooks, options: TestServiceOptions = {}): Promise<TestService> {
  const config = resolveConfig({
    nWorkers: { text: String(options.nWorkers ?? 2), from: "test" },
    port: { text: "0", from: "test" },
    host: { text: options.host ?? "127.0.0.1", from: "test" },
    ...(options.corsOrigins ? { corsOrigins: { text: options.corsOrigins, from: "test" } } : {}),
    dataDir: { text: options.dataDir ?? ":memory:", from: "test" },
    ...(options.durability ? { durability: { text: options.durability, from: "test" } } : {}),
    ...(options.ringKiB ? { ringKiB: { text: String(options.ringKiB), from: "test" } } : {}),
    ...(options.storeRetrySeconds
      ? { storeRetrySeconds: { text: String(options.storeRetrySeconds), from: "test" } }
      : {}),
    ...(options.journalDeferMiB !== undefined
      ? { journalDeferMiB: { text: String(options.journalDeferMiB), from: "test" } }
      : {}),
    trustProxy: options.trustProxy ?? false,
    ...(options.liveIdleSeconds !== undefined
      ? { liveIdleSeconds: { text: String(options.liveIdleSeconds), from: "test" } }
      : {}),
    ...(options.liveMaxConnections !== undefined
      ? { liveMaxConnections: { text: String(options.liveMaxConnections), from: "test" } }
      : {}),
  });
  const logs: string[] = [];
  const log: Logger = createLogger("json", (line) => logs.push(line));
  const clock = options.manualClock ? new SharedManualClock(Date.UTC(2026, 10, 25, 10, 0, 0, 500)) : undefined;
  const extras: ServiceExtras = {
    log,
    allowFaultInjection: options.allowFaultInjection ?? false,
    ...(clock ? { clock } : {}),
    ...(options.commitDelayMs ? { commitDelayMs: options.commitDelayMs } : {}),
    ...(options.onFatal ? { onFatal: options.onFatal } : {}),
  };
  const service = await startService(config, extras);
  hooks.after(() => service.stop());
  return { ...service, clock, logs };
}
