import assert from "node:assert/strict";
import { _isFormatIpv4 } from "typia/lib/internal/_isFormatIpv4";
import { _isFormatIpv6 } from "typia/lib/internal/_isFormatIpv6";
import { visitBodies } from "../../bench/scenarios.js";
import { parseVisit, scanFlags } from "../../src/http/visit-body.js";
import {
  ACCEPTED,
  HAS_IP_ADDRESS,
  HAS_LINE_BREAK,
  HAS_USER_AGENT,
  isIpv4At,
  isIpv6At,
  scanVisit,
  UNDECIDED,
} from "../../src/http/visit-scan.js";
import { describe, test } from "../helpers/node-test.js";

const bytes = (text: string) => new TextEncoder().encode(text);

/** Small deterministic PRNG (mulberry32), so a failure can be replayed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The scanner's one duty: whatever it decides, parseVisit agrees with (valid,
 * and the same optional fields present). UNDECIDED is always allowed.
 */
function assertAgrees(body: Uint8Array): number {
  const fast = scanVisit(body);
  if (fast !== UNDECIDED) {
    const full = parseVisit(body);
    const text = Buffer.from(body).toString("latin1");
    assert.ok(full.ok, `scanVisit accepted what parseVisit refuses: ${text}`);
    // scanFlags cannot know of line breaks (it assumes some); the scanner must say exactly.
    assert.equal(fast & ~HAS_LINE_BREAK, scanFlags(full.visit) & ~HAS_LINE_BREAK, `flags differ for ${text}`);
    const hasBreak = body.includes(0x0a) || body.includes(0x0d);
    assert.equal((fast & HAS_LINE_BREAK) !== 0, hasBreak, `line break flag wrong for ${JSON.stringify(text)}`);
  }
  return fast;
}

describe("scanVisit decides the common bodies in one pass", () => {
  const cases: Array<[string, string, number]> = [
    ["the two required fields", '{"user_id":"u","page_url":"/p"}', ACCEPTED],
    [
      "spaces and new lines between tokens",
      ' {\n\t"user_id" : "u" ,\r\n "page_url":"/p" } \n',
      ACCEPTED | HAS_LINE_BREAK,
    ],
    ["a lone CR as the only line break", '{"user_id":"u",\r"page_url":"/p"}', ACCEPTED | HAS_LINE_BREAK],
    ["a trailing LF", '{"user_id":"u","page_url":"/p"}\n', ACCEPTED | HAS_LINE_BREAK],
    ["a user agent", '{"user_id":"u","page_url":"/p","user_agent":"UA"}', ACCEPTED | HAS_USER_AGENT],
    ["an empty user agent", '{"user_id":"u","page_url":"/p","user_agent":""}', ACCEPTED | HAS_USER_AGENT],
    ["an IPv4 address", '{"user_id":"u","page_url":"/p","ip_address":"203.0.113.7"}', ACCEPTED | HAS_IP_ADDRESS],
    [
      "null optionals (they count as absent)",
      '{"user_id":"u","page_url":"/p","user_agent":null,"ip_address":null,"referrer":null}',
      ACCEPTED,
    ],
    ["unknown string and null fields", '{"utm":"x","user_id":"u","page_url":"/p","campaign":null}', ACCEPTED],
    ["a 256-character user_id", `{"user_id":"${"u".repeat(256)}","page_url":"/p"}`, ACCEPTED],
    ["a 2048-character page_url", `{"user_id":"u","page_url":"${"p".repeat(2048)}"}`, ACCEPTED],
    [
      "a 1024-character user_agent",
      `{"user_id":"u","page_url":"/p","user_agent":"${"a".repeat(1024)}"}`,
      ACCEPTED | HAS_USER_AGENT,
    ],
    ["a 2048-character referrer", `{"user_id":"u","page_url":"/p","referrer":"${"r".repeat(2048)}"}`, ACCEPTED],
  ];
  for (const [name, body, expected] of cases) {
    test(`accepts ${name}`, () => assert.equal(assertAgrees(bytes(body)), expected));
  }

  test("accepts every body the bench sends", () => {
    for (const body of visitBodies()) assert.equal(assertAgrees(bytes(body)) & ACCEPTED, ACCEPTED, body);
  });

  test("a key one byte away from a field's name is an unknown field, never that field", () => {
    // Each body is the one where mistaking the key for the field would change the verdict or the flags.
    const bodyWith = (field: string, key: string) => {
      if (field === "user_id") return `{"${key}":"u","page_url":"/p"}`;
      if (field === "page_url") return `{"user_id":"u","${key}":"/p"}`;
      if (field === "referrer") return `{"user_id":"u","page_url":"/p","${key}":"${"r".repeat(2049)}"}`;
      return `{"user_id":"u","page_url":"/p","${key}":"1.2.3.4"}`; // user_agent, ip_address: a flag would show
    };
    let checked = 0;
    for (const field of ["user_id", "page_url", "user_agent", "ip_address", "referrer"]) {
      for (let at = 0; at < field.length; at++) {
        const code = field.charCodeAt(at);
        for (const other of [code ^ 0x20, code + 1, code - 1, 0x58]) {
          if (other === code || other < 0x21 || other > 0x7e || other === 0x22 || other === 0x5c) continue;
          const key = field.slice(0, at) + String.fromCharCode(other) + field.slice(at + 1);
          const required = field === "user_id" || field === "page_url";
          // A required field missing is for parseVisit to word; an unknown optional one is simply accepted.
          assert.equal(assertAgrees(bytes(bodyWith(field, key))), required ? UNDECIDED : ACCEPTED, key);
          checked++;
        }
      }
    }
    assert.ok(checked > 100, `${checked} near-miss keys`);
  });

  test("a key that extends a field's name or stops short of it is an unknown field", () => {
    // Names are matched in place, closing quote included: one byte more or less is another key.
    const bodyWith = (field: string, key: string) => {
      if (field === "user_id") return `{"${key}":"u","page_url":"/p"}`;
      if (field === "page_url") return `{"user_id":"u","${key}":"/p"}`;
      if (field === "referrer") return `{"user_id":"u","page_url":"/p","${key}":"${"r".repeat(2049)}"}`;
      return `{"user_id":"u","page_url":"/p","${key}":"1.2.3.4"}`;
    };
    for (const field of ["user_id", "page_url", "user_agent", "ip_address", "referrer"]) {
      const required = field === "user_id" || field === "page_url";
      for (const key of [`${field}x`, `${field}_`, field.slice(0, -1), `${field}${field}`]) {
        assert.equal(assertAgrees(bytes(bodyWith(field, key))), required ? UNDECIDED : ACCEPTED, key);
      }
      // An escape after the name is not plain: the full parse decides (JSON.parse reads it as another key).
      assert.equal(assertAgrees(bytes(bodyWith(field, `${field}\\u0041`))), UNDECIDED);
      // The name itself, for contrast: user_agent and ip_address set their flags.
      const flags = field === "user_agent" ? HAS_USER_AGENT : field === "ip_address" ? HAS_IP_ADDRESS : 0;
      const own = field === "referrer" ? `{"user_id":"u","page_url":"/p","referrer":"r"}` : bodyWith(field, field);
      assert.equal(assertAgrees(bytes(own)), ACCEPTED | flags, field);
    }
  });

  test("a byte a plain string cannot hold stops the scan at every position of the eight-byte rounds", () => {
    // plainStringEnd reads eight bytes a round, then one at a time: each stopper at each offset
    // of strings 1 to 24 long, in a value and in a key, must reach the byte-by-byte verdict.
    const stoppers = [0x22, 0x5c, 0x00, 0x0a, 0x1f, 0x80, 0xc3, 0xff];
    let decided = 0;
    for (let length = 1; length <= 24; length++) {
      for (let at = 0; at < length; at++) {
        for (const stopper of stoppers) {
          const text = Array.from({ length }, (_, k) => (k === at ? stopper : 0x61 + (k % 26)));
          const head = bytes('{"user_id":"u","page_url":"');
          const value = Uint8Array.from([...head, ...text, ...bytes('"}')]);
          const key = Uint8Array.from([...bytes('{"user_id":"u","page_url":"/p","'), ...text, ...bytes('":1}')]);
          assert.equal(assertAgrees(value), UNDECIDED, `value ${length}/${at}/${stopper}`);
          assert.equal(assertAgrees(key), UNDECIDED, `key ${length}/${at}/${stopper}`);
          decided += 2;
        }
      }
      // And with no stopper the same strings are accepted (the rounds must not skip the closing quote).
      const plain = "x".repeat(length);
      assert.equal(assertAgrees(bytes(`{"user_id":"u","page_url":"${plain}"}`)), ACCEPTED, `plain ${length}`);
      assert.equal(assertAgrees(bytes(`{"user_id":"u","page_url":"/p","${plain}":null}`)), ACCEPTED, `key ${length}`);
    }
    assert.equal(decided, 2 * 8 * 300);
  });

  const ipv6: string[] = [
    "2001:db8::1",
    "::",
    "::1",
    "1::",
    "FE80::a:B:c",
    "1:2:3:4:5:6:7:8",
    "1:2:3:4:5:6:7::",
    "::2:3:4:5:6:7:8",
    "::ffff:192.0.2.1",
    "1:2:3:4:5:6:1.2.3.4",
    "1:2:3:4:5::1.2.3.4",
  ];
  for (const address of ipv6) {
    test(`accepts the IPv6 address ${address}`, () =>
      assert.equal(
        assertAgrees(bytes(`{"user_id":"u","page_url":"/p","ip_address":"${address}"}`)),
        ACCEPTED | HAS_IP_ADDRESS,
      ));
  }
});

describe("scanVisit leaves everything else to parseVisit", () => {
  const cases: Array<[string, string]> = [
    ["an empty body", ""],
    ["an empty object (fields missing)", "{}"],
    ["a missing page_url", '{"user_id":"u"}'],
    ["an empty user_id", '{"user_id":"","page_url":"/p"}'],
    ["a null user_id", '{"user_id":null,"page_url":"/p"}'],
    ["a 257-character user_id", `{"user_id":"${"u".repeat(257)}","page_url":"/p"}`],
    ["a 2049-character page_url", `{"user_id":"u","page_url":"${"p".repeat(2049)}"}`],
    ["a 1025-character user_agent", `{"user_id":"u","page_url":"/p","user_agent":"${"a".repeat(1025)}"}`],
    ["a 2049-character referrer", `{"user_id":"u","page_url":"/p","referrer":"${"r".repeat(2049)}"}`],
    ["an escape in a value", '{"user_id":"u\\u0041","page_url":"/p"}'],
    ["an escape in a key", '{"user\\u005fid":"u","page_url":"/p"}'],
    ["non-ASCII text", '{"user_id":"ü","page_url":"/p"}'],
    ["a raw control character in a string", '{"user_id":"u\tv","page_url":"/p"}'],
    [
      "a repeated field (JSON.parse keeps the last)",
      '{"user_id":"u","page_url":"/p","user_agent":"UA","user_agent":null}',
    ],
    ["a number value", '{"user_id":"u","page_url":"/p","n":1}'],
    ["a nested unknown field", '{"user_id":"u","page_url":"/p","o":{}}'],
    ["an IPv6 address with two ::", '{"user_id":"u","page_url":"/p","ip_address":"1::2::3"}'],
    ["an IPv6 address with nine groups", '{"user_id":"u","page_url":"/p","ip_address":"1:2:3:4:5:6:7:8:9"}'],
    ["an IPv6 address with a zone", '{"user_id":"u","page_url":"/p","ip_address":"fe80::1%eth0"}'],
    ["an IPv4 address alone in IPv6 clothing", '{"user_id":"u","page_url":"/p","ip_address":"::1.2.3"}'],
    ["an IPv4 address with a leading zero", '{"user_id":"u","page_url":"/p","ip_address":"10.0.0.01"}'],
    ["an IPv4 part over 255", '{"user_id":"u","page_url":"/p","ip_address":"10.0.0.256"}'],
    ["a trailing comma", '{"user_id":"u","page_url":"/p",}'],
    ["text after the object", '{"user_id":"u","page_url":"/p"}x'],
    ["two objects", '{"user_id":"u","page_url":"/p"}{}'],
    ["a truncated body", '{"user_id":"u","page_url":"/p"'],
    ["a truncated null", '{"user_id":"u","page_url":"/p","referrer":nul'],
    ["a UTF-8 byte-order mark", '\uFEFF{"user_id":"u","page_url":"/p"}'],
    ["an array", '[{"user_id":"u","page_url":"/p"}]'],
  ];
  for (const [name, body] of cases) {
    test(`on ${name}`, () => assert.equal(assertAgrees(bytes(body)), UNDECIDED));
  }
});

describe("scanVisit against parseVisit on random bodies", () => {
  const KEYS = ["user_id", "page_url", "user_agent", "ip_address", "referrer", "utm", "user_i", "page_urls", ""];
  const CHARS = ["a", "Z", "/", " ", ":", ".", "0", "9", "\\", '"', "\t", "é", "😀", "\\n", "\\u00e9", "\u0001"];
  const IPS = [
    "1.2.3.4",
    "255.255.255.255",
    "0.0.0.0",
    "256.1.1.1",
    "01.2.3.4",
    "1.2.3",
    "1.2.3.4.5",
    "::1",
    "1.2.3.4 ",
  ];
  const LENGTHS = [0, 1, 2, 15, 255, 256, 257, 1023, 1024, 1025, 2047, 2048, 2049];
  const SPACES = ["", "", " ", "\n", "\t", "\r\n", "\u00a0"];

  function randomBody(next: () => number): string {
    const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
    const value = (): string => {
      const r = next();
      if (r < 0.08) return "null";
      if (r < 0.12) return pick(["1", "true", "[]", "{}", '{"a":"b"}', "nul", '"x"']);
      if (r < 0.3) return `"${pick(IPS)}"`;
      if (r < 0.65) return `"${"x".repeat(pick(LENGTHS))}"`;
      let text = "";
      for (let n = Math.floor(next() * 12); n > 0; n--) text += pick(CHARS);
      return `"${text}"`;
    };
    // Half the bodies keep every value plausible, so that valid ones are common too.
    const plausible = next() < 0.5;
    const plausibleValue = (key: string) => {
      if (key !== "user_id" && key !== "page_url" && next() < 0.2) return "null";
      return key === "ip_address" ? `"${pick(IPS.slice(0, 3))}"` : `"${"x".repeat(1 + Math.floor(next() * 20))}"`;
    };
    const member = (key: string) => `"${key}":${plausible ? plausibleValue(key) : value()}`;
    const members: string[] = [];
    if (next() < 0.9) members.push(plausible ? member("user_id") : `"user_id":${next() < 0.8 ? '"u"' : value()}`);
    if (next() < 0.9) members.push(plausible ? member("page_url") : `"page_url":${next() < 0.8 ? '"/p"' : value()}`);
    for (let n = Math.floor(next() * 4); n > 0; n--) members.push(member(pick(KEYS)));
    members.sort(() => next() - 0.5);
    const s = () => pick(plausible ? SPACES.slice(0, -1) : SPACES);
    return `${s()}{${s()}${members.map((m) => m.replace(":", `${s()}:${s()}`)).join(`${s()},${s()}`)}${s()}}${s()}`;
  }

  /** Flip, drop or insert one byte: malformed bodies near valid ones. */
  function mutate(body: Uint8Array, next: () => number): Uint8Array {
    const at = Math.floor(next() * (body.length + 1));
    const byte = Math.floor(next() * 256);
    const r = next();
    if (r < 0.33) return Uint8Array.from([...body.subarray(0, at), ...body.subarray(at + 1)]);
    if (r < 0.66) return Uint8Array.from([...body.subarray(0, at), byte, ...body.subarray(at)]);
    const copy = Uint8Array.from(body);
    if (at < copy.length) copy[at] = byte;
    return copy;
  }

  test("never accepts what the full parse refuses, and decides a real share itself", () => {
    const next = random(20261201);
    let accepted = 0;
    let refusedByBoth = 0;
    const rounds = 20_000;
    for (let n = 0; n < rounds; n++) {
      let body: Uint8Array = bytes(randomBody(next));
      if (next() < 0.3) body = mutate(body, next);
      const fast = assertAgrees(body);
      if (fast !== UNDECIDED) accepted++;
      else if (!parseVisit(body).ok) refusedByBoth++;
    }
    // Both kinds must occur, or the generator tests nothing.
    assert.ok(accepted > rounds / 10, `only ${accepted} of ${rounds} bodies took the fast path`);
    assert.ok(refusedByBoth > rounds / 10, `only ${refusedByBoth} of ${rounds} bodies were invalid`);
  });

  test("its IPv6 check matches typia's ipv6 format", () => {
    const next = random(11);
    const pick = (items: string) => items[Math.floor(next() * items.length)] as string;
    for (let n = 0; n < 100_000; n++) {
      let text = "";
      // Groups and separators, sometimes an IPv4 tail: near-misses of real addresses.
      for (let k = Math.floor(next() * 10); k > 0; k--) {
        text += next() < 0.15 ? "" : pick("0123456789abcdefABCDEFg").repeat(1 + Math.floor(next() * 5));
        text += next() < 0.85 ? ":" : pick("::.:%");
      }
      if (next() < 0.3)
        text += `${Math.floor(next() * 300)}.${Math.floor(next() * 300)}.${Math.floor(next() * 300)}.${Math.floor(next() * 300)}`;
      else if (next() < 0.5) text = text.slice(0, -1);
      if (next() < 0.2) text = `:${text}`;
      const b = bytes(text);
      assert.equal(isIpv6At(b, 0, b.length), _isFormatIpv6(text), text);
    }
  });

  test("its IPv4 check matches typia's ipv4 format", () => {
    const next = random(7);
    const ALPHABET = "0123456789.";
    for (let n = 0; n < 50_000; n++) {
      let text = "";
      for (let k = 1 + Math.floor(next() * 16); k > 0; k--) text += ALPHABET[Math.floor(next() * ALPHABET.length)];
      if (next() < 0.5)
        text = `${Math.floor(next() * 300)}.${Math.floor(next() * 300)}.${Math.floor(next() * 300)}.${Math.floor(next() * 300)}`;
      const b = bytes(text);
      assert.equal(isIpv4At(b, 0, b.length), _isFormatIpv4(text), text);
    }
  });
});
