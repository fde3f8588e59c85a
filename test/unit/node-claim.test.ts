/** The newcomer's side of a node id's lease, on an injected clock (ms). */
import assert from "node:assert/strict";
import { NodeClaim } from "../../src/cluster/node-claim.js";
import { test } from "../helpers/node-test.js";

test("a held node id: waited for while its stamp stands still, taken over after a whole lease, refused once it moves", () => {
  const claim = new NodeClaim(5000);
  assert.equal(claim.lapsedStamp(0), "", "nothing seen: claim only a free id");
  assert.equal(claim.refused("171", 0), "first sight");
  assert.equal(claim.refused("171", 4999), "waiting");
  assert.equal(claim.lapsedStamp(4999), "", "within the lease");
  assert.equal(claim.lapsedStamp(5000), "171", "a whole lease without a beat: claim over that stamp");
  assert.equal(claim.refused("172", 1200), "in use", "the holder beat: alive");
  assert.notEqual(new NodeClaim().token, claim.token, "a token per process");
});
