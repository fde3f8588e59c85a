/**
 * @module Parsers of the cluster-mode options (declared in config/options.ts).
 * A message never repeats the Redis URL: it may hold a password.
 */
import { ConfigError, type ValueParser } from "../config/parsers.js";
import { checkRedisUrl } from "./redis-link.js";

/** `--redis`: a redis:// or rediss:// URL; absent: no cluster mode. */
export const redisUrl: ValueParser<string | null> = {
  parse(text, from) {
    const url = text.trim();
    const problem = checkRedisUrl(url);
    if (problem !== undefined) throw new ConfigError(`${from} ${problem}`);
    return url;
  },
  default: null,
  shown: "none: one instance on its own",
};

/** Node ids and cluster keys go into Redis key names and logs: printable, no spaces, bounded. */
const NAME = /^[A-Za-z0-9._:@\-[\]]{1,128}$/;

export const nodeId: ValueParser<string | null> = {
  parse(text, from) {
    const id = text.trim();
    if (!NAME.test(id)) throw new ConfigError(`${from} must be 1-128 letters, digits or . _ : @ - [ ], got "${text}"`);
    return id;
  },
  default: null,
  shown: "<hostname>:<port>",
};

export const clusterKey: ValueParser<string> = {
  parse(text, from) {
    const key = text.trim();
    if (!NAME.test(key) || /[{}]/.test(key)) {
      throw new ConfigError(`${from} must be 1-128 letters, digits or . _ : @ - [ ], got "${text}"`);
    }
    return key;
  },
  default: "traffic-tracker",
};
