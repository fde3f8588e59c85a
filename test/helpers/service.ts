/** A real service on a free loopback port for one test file, stopped in `after`. */
import type { TestContext } from "node:test";
import { parseArgs } from "../../src/config/parse-args.js";
import { SharedManualClock } from "../../src/counters/clock.js";
import { createLogger, type Logger } from "../../src/log.js";
import { type Service, type ServiceExtras, startService } from "../../src/server/service.js";
import { within } from "./wait.js";

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
  /** --record-client-address: store the peer (or, with trustProxy, the first X-Forwarded-For hop) for a visit without ip_address. */
  recordClientAddress?: boolean;
  trustProxy?: boolean;
  /** The recorder sleeps this long before every commit. */
  commitDelayMs?: number;
  onFatal?: (message: string) => void;
  liveMaxConnections?: number;
  liveIdleSeconds?: number;
  /** Cluster mode: --redis, --node-id, --cluster-key. */
  redis?: string;
  nodeId?: string;
  clusterKey?: string;
  /** --admin-token for the operators' endpoints. */
  adminToken?: string;
}

type Hooks = Pick<TestContext, "after"> | { after: (fn: () => Promise<void>) => void };

export async function startTestService(hooks: Hooks, options: TestServiceOptions = {}): Promise<TestService> {
  const flags: Array<[string, string | number | boolean | undefined]> = [
    ["--n-workers", options.nWorkers ?? 2],
    ["--port", 0],
    ["--host", options.host ?? "127.0.0.1"],
    ["--cors-origin", options.corsOrigins],
    ["--data-dir", options.dataDir ?? ":memory:"],
    ["--durability", options.durability],
    ["--ring-kib", options.ringKiB],
    ["--store-retry-seconds", options.storeRetrySeconds],
    ["--journal-defer-mib", options.journalDeferMiB],
    ["--record-client-address", options.recordClientAddress],
    ["--trust-proxy", options.trustProxy],
    ["--live-idle-seconds", options.liveIdleSeconds],
    ["--live-max-connections", options.liveMaxConnections],
    ["--redis", options.redis],
    ["--node-id", options.nodeId],
    ["--cluster-key", options.clusterKey],
    ["--admin-token", options.adminToken],
  ];
  const argv = flags.flatMap(([flag, value]) =>
    value === undefined || value === false ? [] : value === true ? [flag] : [flag, String(value)],
  );
  const config = parseArgs(argv);
  const logs: string[] = [];
  const log: Logger = createLogger("json", (line) => logs.push(line));
  const clock = options.manualClock ? new SharedManualClock(Date.UTC(2026, 10, 25, 10, 0, 0, 500)) : undefined;
  const extras: ServiceExtras = {
    log,
    testHooks: {
      faults: options.allowFaultInjection ?? false,
      ...(clock ? { clock } : {}),
      ...(options.commitDelayMs ? { commitDelayMs: options.commitDelayMs } : {}),
    },
    ...(options.onFatal ? { onFatal: options.onFatal } : {}),
  };
  // Hooks have no timeout of their own (Node 20): a start or stop that hangs fails here, by name.
  const service = await within("the service to start", startService(config, extras), 60_000);
  hooks.after(() => within("the service to stop", service.stop(), 60_000));
  return { ...service, clock, logs };
}
