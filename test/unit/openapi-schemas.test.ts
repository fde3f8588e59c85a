import assert from "node:assert/strict";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import {
  closeTuples,
  documentSchemas,
  type JsonSchema,
  mergeStringFormats,
} from "../../src/contract/openapi-schemas.js";
import { isVisitRequest, schemas } from "../../src/generated/validators.js";
import { describe, test } from "../helpers/node-test.js";

const ajv = new Ajv2020({ strict: false });
(addFormats as unknown as (ajv: Ajv2020) => void)(ajv);

const typiaSchemas = (schemas.components as { schemas: Record<string, JsonSchema> }).schemas;
const properties = (schema: JsonSchema | undefined) => (schema?.properties ?? {}) as Record<string, JsonSchema>;

const ADDRESSES: unknown[] = [
  null,
  "192.0.2.1",
  "0.0.0.0",
  "255.255.255.255",
  "::1",
  "2001:db8::1",
  "::ffff:192.0.2.1",
  "fe80::1",
  "256.1.1.1",
  "1.2.3",
  "01.2.3.4",
  "2001:db8:::1",
  "",
  "localhost",
  " 192.0.2.1",
  1,
  true,
  {},
];

describe("the document's schemas", () => {
  test("ip_address: one string branch with the formats as anyOf, beside null", () => {
    const ip = properties(documentSchemas().components.VisitRequest).ip_address;
    assert.deepEqual(ip?.oneOf, [
      { type: "null" },
      { type: "string", anyOf: [{ format: "ipv4" }, { format: "ipv6" }] },
    ]);
  });

  test("ip_address accepts and rejects what typia's schema does, and what the server's validator does", () => {
    const before = ajv.compile(properties(typiaSchemas.VisitRequest).ip_address as object);
    const after = ajv.compile(properties(documentSchemas().components.VisitRequest).ip_address as object);
    for (const value of ADDRESSES) {
      const verdict = before(value);
      assert.equal(after(value), verdict, `document vs typia schema on ${JSON.stringify(value)}`);
      const body = { user_id: "u", page_url: "/p", ip_address: value };
      assert.equal(isVisitRequest(body), verdict, `document vs the server's validator on ${JSON.stringify(value)}`);
    }
  });

  test("only plain string branches that differ by format are merged", () => {
    const untouched = {
      oneOf: [
        { type: "string", format: "ipv4", maxLength: 15 },
        { type: "string", format: "ipv6" },
      ],
    };
    const copy = structuredClone(untouched);
    mergeStringFormats(copy);
    assert.deepEqual(copy, untouched);
    const nested = {
      items: {
        oneOf: [
          { type: "string", format: "email" },
          { type: "string", format: "uri" },
        ],
      },
    };
    mergeStringFormats(nested);
    assert.deepEqual(nested, {
      items: { oneOf: [{ type: "string", anyOf: [{ format: "email" }, { format: "uri" }] }] },
    });
  });

  test("a closed tuple is spelled the 2020-12 way, so validators reject extra items", () => {
    const typia = {
      type: "array",
      prefixItems: [{ type: "string" }, { type: "integer" }],
      additionalItems: false,
    };
    assert.equal(ajv.validate(typia, ["a", 1, "extra"]), true, "2020-12 ignores additionalItems");
    const tuple = structuredClone(typia) as JsonSchema;
    closeTuples({ nested: tuple });
    assert.deepEqual(tuple, { type: "array", prefixItems: [{ type: "string" }, { type: "integer" }], items: false });
    assert.equal(ajv.validate(tuple, ["a", 1, "extra"]), false);
    assert.equal(ajv.validate(tuple, ["a", 1]), true);
  });

  test("StatsQuery is inline only: its property schemas are kept, the component is not", () => {
    const { components, inline } = documentSchemas();
    assert.equal(components.StatsQuery, undefined);
    assert.deepEqual(inline.StatsQuery?.timeframe_hours, properties(typiaSchemas.StatsQuery).timeframe_hours);
  });
});
