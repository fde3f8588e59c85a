import assert from "node:assert/strict";
import { availableParallelism } from "node:os";
import { HelpRequested, parseArgs } from "../../src/cli.js";
import { ConfigError } from "../../src/config/options.js";
import { describe, test } from "../helpers/node-test.js";

describe("parseArgs", () => {
  test("defaults: 0.0.0.0:8080, one worker per core, any origin, a batch store in ./data", () => {
    assert.deepEqual(
      { ...parseArgs([]) },
      {
        nWorkers: availableParallelism(),
        port: 8080,
        host: "0.0.0.0",
        corsOrigins: ["*"],
        dev: false,
        accessLogRate: 0,
        adminToken: null,
        dataDir: "./data",
        durability: "batch",
        recordClientAddress: false,
        trustProxy: false,
        ringBytes: 4 * 1024 * 1024,
        storeRetryMs: 30_000,
        journalDeferBytes: 512 * 1024 * 1024,
        cluster: { redisUrl: null, nodeId: null, clusterKey: "traffic-tracker" },
        live: { maxConnections: 10_000, idleSeconds: 120, maxBackpressureBytes: 65_536 },
      },
    );
  });

  const ok: Array<[string[], Record<string, string>, Record<string, unknown>]> = [
    [["--n-workers", "4"], {}, { nWorkers: 4 }],
    [["--threads", "3"], {}, { nWorkers: 3 }],
    [["-n", "2", "--threads", "2"], {}, { nWorkers: 2 }],
    [["--port", "9000", "--host", "127.0.0.1"], {}, { port: 9000, host: "127.0.0.1" }],
    [["--port", "0"], {}, { port: 0 }],
    [[], { PORT: "9001", HOST: "::", N_WORKERS: "5" }, { port: 9001, host: "::", nWorkers: 5 }],
    [["--port", "9002"], { PORT: "9001" }, { port: 9002 }],
    [["--dev"], {}, { dev: true, nWorkers: 1 }],
    [["--dev", "--n-workers", "1"], {}, { dev: true, nWorkers: 1 }],
    [
      ["--cors-origin", "https://a.example, http://localhost:3000"],
      {},
      { corsOrigins: ["https://a.example", "http://localhost:3000"] },
    ],
    [["--cors-origin", "https://a.example,*"], {}, { corsOrigins: ["*"] }],
    [["--data-dir", "/var/lib/tt", "--durability", "strict"], {}, { dataDir: "/var/lib/tt", durability: "strict" }],
    [[], { DATA_DIR: "/srv/tt", DURABILITY: "STRICT" }, { dataDir: "/srv/tt", durability: "strict" }],
    [["-d", ":memory:"], {}, { dataDir: null }],
    [["--no-persist"], {}, { dataDir: null }],
    [["--no-persist", "--data-dir", ":memory:"], {}, { dataDir: null }],
    [["--trust-proxy", "--ring-kib", "64"], {}, { trustProxy: true, ringBytes: 65_536 }],
    [["--record-client-address"], {}, { recordClientAddress: true, trustProxy: false }],
    [["--record-client-address", "--trust-proxy"], {}, { recordClientAddress: true, trustProxy: true }],
    [["--store-retry-seconds", "5"], {}, { storeRetryMs: 5000 }],
    [["--journal-defer-mib", "0"], {}, { journalDeferBytes: 0 }],
    [["--journal-defer-mib", "64"], {}, { journalDeferBytes: 64 * 1024 * 1024 }],
    [
      ["--live-max-connections", "50", "--live-idle-seconds", "30", "--live-backpressure-kib", "8"],
      {},
      { live: { maxConnections: 50, idleSeconds: 30, maxBackpressureBytes: 8192 } },
    ],
    [
      ["--redis", "redis://:pw@10.0.0.7:6379/0", "--node-id", "shop-1:8080"],
      {},
      { cluster: { redisUrl: "redis://:pw@10.0.0.7:6379/0", nodeId: "shop-1:8080", clusterKey: "traffic-tracker" } },
    ],
    [
      [],
      { REDIS_URL: "rediss://cache.example:6380", NODE_ID: "b", CLUSTER_KEY: "black-friday" },
      { cluster: { redisUrl: "rediss://cache.example:6380", nodeId: "b", clusterKey: "black-friday" } },
    ],
  ];
  for (const [argv, env, expected] of ok) {
    test(`${argv.join(" ") || "(no flags)"} ${JSON.stringify(env)}`, () => {
      const config = parseArgs(argv, env);
      for (const [key, value] of Object.entries(expected))
        assert.deepEqual(config[key as keyof typeof config], value, key);
      assert.ok(Object.isFrozen(config));
    });
  }

  const bad: Array<[string[], Record<string, string>, string]> = [
    [["--n-workers", "0"], {}, '--n-workers must be a whole number from 1 to 256, got "0"'],
    [["--n-workers", "two"], {}, '--n-workers must be a whole number from 1 to 256, got "two"'],
    [["--threads", "1.5"], {}, '--threads must be a whole number from 1 to 256, got "1.5"'],
    [["--n-workers", "257"], {}, '--n-workers must be a whole number from 1 to 256, got "257"'],
    [[], { N_WORKERS: "0" }, 'N_WORKERS must be a whole number from 1 to 256, got "0"'],
    [["--port", "70000"], {}, '--port must be a whole number from 0 to 65535, got "70000"'],
    [["--port", "http"], {}, '--port must be a whole number from 0 to 65535, got "http"'],
    [[], { PORT: "-1" }, 'PORT must be a whole number from 0 to 65535, got "-1"'],
    [["--host", " "], {}, "--host must not be empty"],
    [["-n", "2", "--threads", "3"], {}, "--n-workers 2 and --threads 3 disagree: give one of them"],
    [
      ["--dev", "--n-workers", "2"],
      {},
      "--dev runs 1 worker thread so a reload is instant, but --n-workers asks for 2: drop --n-workers (or set it to 1), or drop --dev",
    ],
    [
      ["--cors-origin", "https://a.example/path"],
      {},
      '--cors-origin: "https://a.example/path" is not an origin like https://shop.example or http://localhost:3000 (no path, no trailing slash), nor *',
    ],
    [["--cors-origin", " , "], {}, "--cors-origin needs at least one origin, or *"],
    [
      ["--no-persist", "--data-dir", "/x"],
      {},
      "--no-persist keeps visits in memory, but --data-dir names a directory: give one of them",
    ],
    [["--data-dir", " "], {}, "--data-dir must not be empty (use :memory: to keep visits in memory only)"],
    [
      ["--durability", "fast"],
      {},
      '--durability is batch (answer once the visit is queued; a crash may lose the last ≤ 10 ms) or strict (answer once it is committed), got "fast"',
    ],
    [["--ring-kib", "100"], {}, '--ring-kib must be a power of two (KiB), like 1024 or 4096; got "100"'],
    [["--ring-kib", "32"], {}, '--ring-kib must be a whole number from 64 to 1048576, got "32"'],
    [["--store-retry-seconds", "0"], {}, '--store-retry-seconds must be a whole number from 1 to 3600, got "0"'],
    [["--journal-defer-mib", "-1"], {}, '--journal-defer-mib must be a whole number from 0 to 1048576, got "-1"'],
    [["--live-idle-seconds", "2"], {}, '--live-idle-seconds must be a whole number from 8 to 960, got "2"'],
    [["--redis", "http://:pw@host"], {}, "--redis must start with redis:// or rediss:// (got http://)"],
    [[], { REDIS_URL: "not a url" }, "REDIS_URL must be a URL like redis://host:6379/0 or rediss://host:6380"],
    [["--node-id", "a b"], {}, '--node-id must be 1-128 letters, digits or . _ : @ - [ ], got "a b"'],
    [["--cluster-key", "{x}"], {}, '--cluster-key must be 1-128 letters, digits or . _ : @ - [ ], got "{x}"'],
    [
      ["--admin-token", "short"],
      {},
      "--admin-token must be at least 16 printable ASCII characters without spaces (e.g. the output of: openssl rand -hex 32)",
    ],
    [
      [],
      { ADMIN_TOKEN: "has a space in it 0123" },
      "ADMIN_TOKEN must be at least 16 printable ASCII characters without spaces (e.g. the output of: openssl rand -hex 32)",
    ],
    [["--bogus"], {}, "unknown option '--bogus'"],
    [["--port"], {}, "option '-p, --port <port>' argument missing"],
    [["serve"], {}, "too many arguments. Expected 0 arguments but got 1."],
  ];
  for (const [argv, env, message] of bad) {
    test(`rejects ${argv.join(" ") || JSON.stringify(env)}`, () => {
      assert.throws(
        () => parseArgs(argv, env),
        (error: unknown) => {
          assert.ok(error instanceof ConfigError);
          assert.equal(error.message, message);
          return true;
        },
      );
    });
  }

  test("--admin-token, or ADMIN_TOKEN (the flag wins)", () => {
    assert.equal(parseArgs(["--admin-token", "0123456789abcdef"]).adminToken, "0123456789abcdef");
    assert.equal(parseArgs([], { ADMIN_TOKEN: "from-the-environment-42" }).adminToken, "from-the-environment-42");
    assert.equal(
      parseArgs(["--admin-token", "0123456789abcdef"], { ADMIN_TOKEN: "from-the-environment-42" }).adminToken,
      "0123456789abcdef",
    );
  });

  test("--help lists every option and examples", () => {
    assert.throws(
      () => parseArgs(["--help"]),
      (error: unknown) => {
        assert.ok(error instanceof HelpRequested);
        for (const flag of [
          "--n-workers",
          "--threads",
          "--port",
          "--host",
          "--cors-origin",
          "--dev",
          "Examples:",
          "N_WORKERS",
        ]) {
          assert.ok(error.output.includes(flag), flag);
        }
        return true;
      },
    );
  });
});
