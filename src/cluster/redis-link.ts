/**
 * @module One node-redis connection to the shared Redis: reconnects forever,
 * never queues commands while offline (the sync loop retries by itself), times
 * out calls to a paused server, loads the function library when it is missing,
 * and never lets the URL's password reach a log line or an error.
 */
import { createClient } from "redis";
import { LIBRARY_CODE } from "./library.js";

/** A call to a Redis that does not answer in this long fails (it may still apply: batches are idempotent). */
export const CALL_TIMEOUT_MS = 1000;
/** Reconnect delays: quick at first, then at most this far apart. */
const MAX_RECONNECT_DELAY_MS = 500;

export type Reply = number | string | null | Reply[];

/** The URL as it may be shown: no password (the user name stays). */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password === "") return url;
    parsed.password = "";
    return parsed.toString();
  } catch {
    return "(unparseable Redis URL)";
  }
}

/** Checks a --redis value at start-up; returns the problem, or undefined. */
export function checkRedisUrl(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return "must be a URL like redis://host:6379/0 or rediss://host:6380";
  }
  if (parsed.protocol !== "redis:" && parsed.protocol !== "rediss:") {
    return `must start with redis:// or rediss:// (got ${parsed.protocol}//)`;
  }
  return undefined;
}

export class RedisLink {
  readonly shownUrl: string;
  private readonly secret: string;
  private readonly client;
  private libraryLoaded = false;
  /** Calls that failed (timeouts, refused connections, error replies) and connection errors. */
  errors = 0;

  constructor(url: string, onError: (message: string) => void) {
    this.shownUrl = redactUrl(url);
    this.secret = safePassword(url);
    this.client = createClient({
      url,
      disableOfflineQueue: true,
      socket: {
        connectTimeout: CALL_TIMEOUT_MS,
        reconnectStrategy: (retries: number) => Math.min(50 * (retries + 1), MAX_RECONNECT_DELAY_MS),
      },
    });
    // Without an 'error' listener node-redis throws; each reconnect attempt reports here.
    this.client.on("error", (error: unknown) => {
      this.errors++;
      onError(this.describe(error));
    });
  }

  /** Starts connecting in the background (retrying forever); calls fail until it is up. */
  start(): void {
    this.client.connect().catch(() => {
      // Reported through the 'error' listener; the client keeps reconnecting.
    });
  }

  get connected(): boolean {
    return this.client.isReady;
  }

  /** FCALL with the library loaded first (again after a Redis that lost it, e.g. a fresh server). */
  async fcall(name: string, args: readonly (string | number)[]): Promise<Reply> {
    if (!this.libraryLoaded) await this.loadLibrary();
    try {
      return await this.call(["FCALL", name, "0", ...args.map(String)]);
    } catch (error) {
      if (error instanceof Error && /Function not found/i.test(error.message)) {
        this.libraryLoaded = false;
        await this.loadLibrary();
        return await this.call(["FCALL", name, "0", ...args.map(String)]);
      }
      throw error;
    }
  }

  /**
   * One command, failing after CALL_TIMEOUT_MS. node-redis's own `timeout`
   * covers only the wait before the command is written, not a server that
   * took it and went silent (paused): this one does. The late reply is ignored.
   */
  async call(args: readonly string[]): Promise<Reply> {
    let timer: NodeJS.Timeout | undefined;
    const silent = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no reply from Redis within ${CALL_TIMEOUT_MS} ms`)), CALL_TIMEOUT_MS);
    });
    try {
      const reply: unknown = await Promise.race([this.client.sendCommand(args, { timeout: CALL_TIMEOUT_MS }), silent]);
      return reply as Reply;
    } catch (error) {
      this.errors++;
      throw new Error(this.describe(error));
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    try {
      if (this.client.isOpen) await this.client.close();
    } catch {
      this.client.destroy();
    }
  }

  private async loadLibrary(): Promise<void> {
    await this.call(["FUNCTION", "LOAD", "REPLACE", LIBRARY_CODE]);
    this.libraryLoaded = true;
  }

  /** An error's message, with the password (should a message ever carry it) blanked out. */
  describe(error: unknown): string {
    const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return this.secret === "" ? text : text.split(this.secret).join("***");
  }
}

function safePassword(url: string): string {
  try {
    const parsed = new URL(url);
    return parsed.password === "" ? "" : decodeURIComponent(parsed.password);
  } catch {
    return "";
  }
}
