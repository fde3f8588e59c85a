import assert from "node:assert/strict";
import { digitCount, putDigits, putSmall } from "../../src/bytes/digits.js";
import { visitBody, visitBodyBytes } from "../../src/http/visit-ok.js";
import { describe, test } from "../helpers/node-test.js";

const text = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("latin1");

/** Every digit-count boundary up to 2^53, and around the 2^31 and 1e8 switches inside putDigits. */
const edges = [1, 2, 9, 2 ** 31 - 1, 2 ** 31, 2 ** 31 + 1, 99_999_999, 100_000_000, 100_000_001, 2 ** 53 - 1, 2 ** 53];
for (let p = 10; p <= 1e15; p *= 10) edges.push(p - 1, p, p + 1);

describe("the POST /visit 200 body written as bytes", () => {
  test("equals the string body, for every digit count and its edges", () => {
    for (const n of edges) assert.equal(text(visitBodyBytes(n)), visitBody(n), `n = ${n}`);
  });

  test("is the contract's JSON, with the count twice", () => {
    const parsed = JSON.parse(text(visitBodyBytes(1247)));
    assert.deepEqual(parsed, {
      success: true,
      visit_count: 1247,
      message: "Visit logged successfully. Total visits: 1247",
    });
  });

  test("a template reused for another count of the same length holds only the new count", () => {
    // Counts in random order, lengths mixed: a stale digit from an earlier call would show.
    let seed = 7;
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed;
    };
    for (let k = 0; k < 20_000; k++) {
      const n = Math.floor((next() / 2 ** 31) * 10 ** (1 + (next() % 15))) + 1;
      assert.equal(text(visitBodyBytes(n)), visitBody(n), `n = ${n}`);
    }
  });

  test("past 2^53 (never a real count) it is still the right text, not a crash", () => {
    assert.equal(text(visitBodyBytes(1e17)), visitBody(1e17));
  });
});

describe("decimal digits into bytes", () => {
  test("digitCount, putDigits and putSmall write String(n) and not one byte more, before or after", () => {
    const AT = 3;
    const FILL = 0xee;
    const bytes = new Uint8Array(AT + 20 + 3);
    for (const n of [0, ...edges]) {
      const digits = String(n).length;
      assert.equal(digitCount(n), digits, `digitCount(${n})`);
      const writers: Array<[string, (b: Uint8Array, at: number, n: number) => number]> = [["putDigits", putDigits]];
      if (n < 2 ** 31) writers.push(["putSmall", putSmall]);
      for (const [name, put] of writers) {
        bytes.fill(FILL);
        const end = put(bytes, AT, n);
        assert.equal(end, AT + digits, `${name}(${n}) returns the position after it`);
        const expected = new Uint8Array(bytes.length).fill(FILL);
        expected.set(new TextEncoder().encode(String(n)), AT);
        assert.deepEqual(bytes, expected, `${name}(${n}): every byte of the buffer`);
      }
    }
  });
});
