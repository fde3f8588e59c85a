import assert from "node:assert/strict";
import { formatIpv6, peerAddress } from "../../src/http/peer-address.js";
import { describe, test } from "../helpers/node-test.js";

const v6 = (...groups: number[]) => {
  const b = new Uint8Array(16);
  groups.forEach((g, i) => {
    b[2 * i] = g >> 8;
    b[2 * i + 1] = g & 0xff;
  });
  return b;
};

/** Node's URL parser writes IPv6 hosts the RFC 5952 way (WHATWG URL: lower case, first longest zero run of 2+). */
const canonical = (b: Uint8Array) => {
  const full = Array.from({ length: 8 }, (_, i) =>
    (((b[2 * i] as number) << 8) | (b[2 * i + 1] as number)).toString(16),
  );
  return new URL(`http://[${full.join(":")}]/`).hostname.slice(1, -1);
};

describe("the peer address from uWS's bytes", () => {
  test("IPv4, and IPv4-mapped IPv6, come back as the address's 32-bit number", () => {
    assert.equal(peerAddress(Uint8Array.from([127, 0, 0, 1])), 0x7f000001);
    assert.equal(peerAddress(Uint8Array.from([203, 0, 113, 255])), 0xcb0071ff);
    assert.equal(peerAddress(v6(0, 0, 0, 0, 0, 0xffff, 0xc000, 0x0201)), 0xc0000201);
    assert.equal(peerAddress(v6(0, 0, 0, 0, 1, 0xffff, 0xc000, 0x0201)), "::1:ffff:c000:201", "not mapped: IPv6");
  });

  test("IPv6 is written as RFC 5952 text", () => {
    const cases: Array<[Uint8Array, string]> = [
      [v6(0, 0, 0, 0, 0, 0, 0, 1), "::1"],
      [v6(0, 0, 0, 0, 0, 0, 0, 0), "::"],
      [v6(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1), "2001:db8::1"],
      [v6(0x2001, 0xdb8, 0, 0, 1, 0, 0, 1), "2001:db8::1:0:0:1"],
      [v6(0x2001, 0, 0, 1, 0, 0, 0, 1), "2001:0:0:1::1"],
      [v6(0x2001, 0xdb8, 0, 1, 1, 1, 1, 1), "2001:db8:0:1:1:1:1:1"],
      [v6(0xfe80, 0, 0, 0, 0, 0, 0, 0), "fe80::"],
      [v6(0xabcd, 0xef01, 0x2345, 0x6789, 0xabcd, 0xef01, 0x2345, 0x6789), "abcd:ef01:2345:6789:abcd:ef01:2345:6789"],
    ];
    for (const [bytes, text] of cases) assert.equal(peerAddress(bytes), text);
  });

  test("IPv6 text matches Node's URL serializer over random addresses with zero runs", () => {
    let seed = 20261201;
    const next = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 2 ** 32;
    };
    for (let n = 0; n < 20_000; n++) {
      const groups = Array.from({ length: 8 }, () => (next() < 0.45 ? 0 : Math.floor(next() * 0x10000)));
      const bytes = v6(...groups);
      assert.equal(formatIpv6(bytes), canonical(bytes), groups.map((g) => g.toString(16)).join(":"));
    }
  });

  test("an address of any other length (uWS gives an empty one for a closed socket) is undefined", () => {
    assert.equal(peerAddress(new Uint8Array(0)), undefined);
    assert.equal(peerAddress(new Uint8Array(8)), undefined);
  });
});
