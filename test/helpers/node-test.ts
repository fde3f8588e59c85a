/**
 * node:test with a deadline on every test: Node 20 has no default timeout
 * (`--test-timeout` bounds a whole file), so a test that hangs would hold the
 * suite until that cap, unnamed. Here it fails within a minute, by name.
 * Tests import `test` (and the rest of node:test they use) from this module.
 * The price: a report's `location` for a test is this file (node takes the
 * caller of test()); the test's name, and an assertion's stack, name the test.
 */
import {
  type HookFn,
  after as nodeAfter,
  before as nodeBefore,
  test as nodeTest,
  type TestContext,
  type TestOptions,
} from "node:test";

export { describe, type TestContext } from "node:test";

/** Every test's deadline unless it sets its own `timeout` (a bench run may need longer). */
export const TEST_TIMEOUT_MS = 60_000;

type TestFn = (t: TestContext) => void | Promise<void>;

export function test(name: string, fn: TestFn): Promise<void>;
export function test(name: string, options: TestOptions, fn: TestFn): Promise<void>;
export function test(name: string, optionsOrFn: TestOptions | TestFn, maybeFn?: TestFn): Promise<void> {
  const options = typeof optionsOrFn === "function" ? {} : optionsOrFn;
  const fn = typeof optionsOrFn === "function" ? optionsOrFn : maybeFn;
  return nodeTest(name, { timeout: TEST_TIMEOUT_MS, ...options }, fn);
}

/** A file's `after` hook, with the same deadline (a stop that hangs fails instead of holding the file). */
export const after = (fn: HookFn) => nodeAfter(fn, { timeout: TEST_TIMEOUT_MS });
/** A file's `before` hook (e.g. starting servers), with the same deadline. */
export const before = (fn: HookFn) => nodeBefore(fn, { timeout: TEST_TIMEOUT_MS });
