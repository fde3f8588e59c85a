/** @module What the sync task's modules share about calls to Redis: the caller, and reading replies. */
import type { Reply } from "./redis-link.js";

/** What the sync task needs from a Redis connection (RedisLink; a fake in unit tests). */
export interface RedisCaller {
  fcall(name: string, args: readonly (string | number)[]): Promise<Reply>;
  readonly errors: number;
}

/** A reply that must be an array. */
export function list(reply: Reply): Reply[] {
  if (!Array.isArray(reply)) throw new Error(`unexpected reply from Redis: ${String(reply)}`);
  return reply;
}

export function num(value: Reply | undefined): number {
  return typeof value === "number" ? value : Number(value ?? 0);
}

export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
