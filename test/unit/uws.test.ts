import assert from "node:assert/strict";
import { loadUws, loadUwsBinary, UwsLoadError } from "../../src/server/uws.js";
import { test } from "../helpers/node-test.js";

test("loads the native uWebSockets.js binary for this Node, never the JS fallback", () => {
  const { uws, build } = loadUws();
  assert.equal(build.binary, `uws_${process.platform}_${process.arch}_${process.versions.modules}.node`);
  assert.equal(typeof uws.App, "function");
  assert.equal(typeof uws.us_listen_socket_close, "function");
  assert.match(build.package, /uws-js-unofficial 20\.30\.0/);
});

test("a missing binary is one clear error naming the ABI, glibc and what to do", () => {
  assert.throws(
    () => loadUwsBinary("999"),
    (error: unknown) => {
      assert.ok(error instanceof UwsLoadError);
      assert.match(error.message, /uws_linux_x64_999\.node/);
      assert.match(error.message, /ABI 999/);
      assert.match(error.message, /glibc \d+\.\d+/);
      assert.match(error.message, /run on Node 20/);
      return true;
    },
  );
});
