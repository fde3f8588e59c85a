/**
 * Which client address POST /visit hands the store, and that by default it
 * never asks uWS for the peer: the handler runs against a stand-in for uWS
 * that counts getRemoteAddress() calls and the headers read.
 */

import type { HttpRequest, HttpResponse } from "uWebSockets.js";
import assert from "node:assert/strict";
import { type ClientAddressSource, clientAddressSource, clientAddressWarnings } from "../../src/http/client-address.js";
import { CorsPolicy } from "../../src/http/cors.js";
import { Responder } from "../../src/http/respond.js";
import { visitHandler } from "../../src/http/visit-route.js";
import type { Pending, SinkOutcome, VisitSink } from "../../src/sink/visit-sink.js";
import { describe, test } from "../helpers/node-test.js";

describe("the client address source", () => {
  test("off unless --record-client-address; the X-Forwarded-For hop only with --trust-proxy too; none in memory", () => {
    const cases: Array<[boolean, boolean, string | null, ClientAddressSource]> = [
      [false, false, "./data", "none"],
      [false, true, "./data", "none"],
      [true, false, "./data", "peer"],
      [true, true, "./data", "forwarded-for"],
      [true, true, null, "none"],
    ];
    for (const [recordClientAddress, trustProxy, dataDir, expected] of cases) {
      assert.equal(clientAddressSource({ recordClientAddress, trustProxy, dataDir }), expected);
    }
  });

  test("a flag that does nothing in its combination is reported", () => {
    const o = { recordClientAddress: false, trustProxy: false, dataDir: "./data" };
    assert.deepEqual(clientAddressWarnings(o), []);
    assert.deepEqual(clientAddressWarnings({ ...o, recordClientAddress: true, trustProxy: true }), []);
    assert.match(clientAddressWarnings({ ...o, trustProxy: true }).join(), /--trust-proxy alone records no client/);
    assert.match(
      clientAddressWarnings({ ...o, recordClientAddress: true, dataDir: null }).join(),
      /no effect in memory mode/,
    );
  });
});

/** A sink that records the request (as the store's does) and keeps what it was given. */
class KeepingSink implements VisitSink {
  readonly answersLater = false;
  readonly addresses: Array<string | number | undefined> = [];
  readonly recordsRequest: boolean;
  constructor(recordsRequest: boolean) {
    this.recordsRequest = recordsRequest;
  }
  accept(_b: Uint8Array, _o: boolean, _u: string | undefined, address: string | number | undefined, _p: Pending) {
    this.addresses.push(address);
    return this.addresses.length as SinkOutcome;
  }
}

/** One POST /visit through the handler; counts the peer-address calls and X-Forwarded-For reads. */
function post(handle: ReturnType<typeof visitHandler>, body: object, forwardedFor = "") {
  const seen = { peerCalls: 0, forwardedForReads: 0, answer: "" };
  const bytes = Buffer.from(JSON.stringify(body));
  const res = {
    onAborted: () => res,
    onData: (cb: (chunk: ArrayBuffer, isLast: boolean) => void) => {
      cb(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength), true);
      return res;
    },
    cork: (cb: () => void) => {
      cb();
      return res;
    },
    getRemoteAddress: () => {
      seen.peerCalls++;
      return new Uint8Array([127, 0, 0, 1]).buffer;
    },
    writeStatus: () => res,
    writeHeader: () => res,
    end: (text: string | Uint8Array) => {
      seen.answer = Buffer.from(text).toString();
      return res;
    },
  } as unknown as HttpResponse;
  const req = {
    getHeader: (name: string | ArrayBuffer) => {
      const text = typeof name === "string" ? name : Buffer.from(name).toString("latin1");
      if (text === "x-forwarded-for") {
        seen.forwardedForReads++;
        return forwardedFor;
      }
      return text === "content-type" ? "application/json" : text === "content-length" ? String(bytes.length) : "";
    },
  } as unknown as HttpRequest;
  handle(res, req);
  assert.match(seen.answer, /"success":true/, "the visit was accepted");
  return seen;
}

function handler(source: ClientAddressSource, recordsRequest = true) {
  const sink = new KeepingSink(recordsRequest);
  const cors = new CorsPolicy(["*"]);
  const handle = visitHandler({
    sink,
    cors,
    responder: new Responder({ cors }),
    onError: () => {},
    clientAddress: source,
  });
  return { sink, handle };
}

describe("POST /visit's client address", () => {
  const noAddress = { user_id: "u", page_url: "/p" };
  const ownAddress = { user_id: "u", page_url: "/p", ip_address: "2001:db8::7" };
  const xff = "203.0.113.9, 10.0.0.2";

  test("by default: none, and neither the peer nor X-Forwarded-For is read", () => {
    const { sink, handle } = handler("none");
    for (const body of [noAddress, ownAddress]) {
      const seen = post(handle, body, xff);
      assert.deepEqual([seen.peerCalls, seen.forwardedForReads], [0, 0]);
    }
    assert.deepEqual(sink.addresses, [undefined, undefined], "ip_address is stored as sent (null when absent)");
  });

  test("--record-client-address: the peer, asked for only when the body has no ip_address", () => {
    const { sink, handle } = handler("peer");
    const without = post(handle, noAddress, xff);
    assert.deepEqual([without.peerCalls, without.forwardedForReads], [1, 0]);
    const own = post(handle, ownAddress, xff);
    assert.equal(own.peerCalls, 0);
    assert.deepEqual(sink.addresses, [0x7f000001, undefined], "127.0.0.1 as the number the line writer prints");
  });

  test("--record-client-address --trust-proxy: the first X-Forwarded-For hop, the peer without one", () => {
    const { sink, handle } = handler("forwarded-for");
    const forwarded = post(handle, noAddress, xff);
    assert.deepEqual([forwarded.peerCalls, forwarded.forwardedForReads], [0, 1]);
    assert.equal(post(handle, noAddress, "").peerCalls, 1);
    assert.equal(post(handle, ownAddress, xff).peerCalls, 0);
    assert.deepEqual(sink.addresses, ["203.0.113.9", 0x7f000001, undefined]);
  });

  test("a sink that keeps no request data (in memory) is never given an address", () => {
    const { sink, handle } = handler("peer", false);
    const seen = post(handle, noAddress, xff);
    assert.deepEqual([seen.peerCalls, seen.forwardedForReads], [0, 0]);
    assert.deepEqual(sink.addresses, [undefined]);
  });
});
