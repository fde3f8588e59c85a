import assert from "node:assert/strict";
import { declaresOversize, isJsonContentType, MAX_BODY_BYTES } from "../../src/http/visit-body.js";
import { describe, test } from "../helpers/node-test.js";

describe("declaresOversize reads the Content-Length header", () => {
  const cases: [string, boolean][] = [
    ["", false], // absent (chunked, or no body)
    ["0", false],
    ["9999", false],
    ["10000", false],
    [String(MAX_BODY_BYTES), false], // 16384: the limit itself is allowed
    [String(MAX_BODY_BYTES + 1), true],
    ["99999", true],
    ["00016385", true], // leading zeros do not hide a large value
    ["000000016", false], // nor make a small one large
    ["1000000000000", true],
  ];
  for (const [header, expected] of cases) {
    test(`${JSON.stringify(header)} → ${expected}`, () => assert.equal(declaresOversize(header), expected));
  }
});

describe("isJsonContentType takes what the old service parsed as JSON", () => {
  const cases: [string, boolean][] = [
    ["", true], // missing: parsed as JSON
    ["application/json", true],
    ["application/json; charset=utf-8", true],
    ["Application/JSON", true],
    ["application/merge-patch+json", true],
    ["application/vnd.api+json;charset=UTF-8", true],
    ["text/plain", false],
    ["application/x-www-form-urlencoded", false],
    ["application/jsonp", false],
    ["text/json+xml", false],
  ];
  for (const [header, expected] of cases) {
    test(`${JSON.stringify(header)} → ${expected}`, () => assert.equal(isJsonContentType(header), expected));
  }
});
