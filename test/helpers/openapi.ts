/** Validates replies against the service's own /openapi.json with ajv (JSON Schema 2020-12, as OpenAPI 3.1 uses). */
import assert from "node:assert/strict";
import { get } from "node:http";
import type { ValidateFunction } from "ajv";
import { Ajv2020 } from "ajv/dist/2020.js";
import addFormats from "ajv-formats";

type Doc = {
  paths: Record<
    string,
    Record<string, { responses: Record<string, { content?: Record<string, { schema: object }> }> }>
  >;
  components: { schemas: Record<string, object> };
};

const cache = new Map<string, Promise<ContractValidator>>();

export function contractValidator(base: string): { check: ContractValidator["check"] } {
  let validator = cache.get(base);
  if (!validator) {
    validator = fetchDoc(base).then((doc) => new ContractValidator(doc));
    cache.set(base, validator);
  }
  return { check: async (...args) => (await validator).check(...args) };
}

function fetchDoc(base: string): Promise<Doc> {
  return new Promise((resolve, reject) => {
    get(new URL("/openapi.json", base), { agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve(JSON.parse(Buffer.concat(chunks).toString("utf8")) as Doc));
    }).on("error", reject);
  });
}

export class ContractValidator {
  private readonly ajv: Ajv2020;
  readonly doc: Doc;

  constructor(doc: Doc) {
    this.doc = doc;
    this.ajv = new Ajv2020({ strict: false, allErrors: true });
    (addFormats as unknown as (ajv: Ajv2020) => void)(this.ajv);
    this.ajv.addSchema({ $id: "openapi", components: doc.components });
  }

  /** Every JSON reply of a documented route must match the schema documented for its status. */
  async check(method: string, path: string, status: number, body: unknown): Promise<void> {
    const operation = this.doc.paths[path]?.[method.toLowerCase()];
    if (!operation) {
      // Undocumented routes (404, 405, docs assets) answer the generic error shape.
      if (status >= 400)
        this.assertMatches({ $ref: "openapi#/components/schemas/HTTPError" }, body, `${method} ${path} ${status}`);
      return;
    }
    const response = operation.responses[String(status)];
    assert.ok(response, `${method} ${path} answered ${status}, which /openapi.json does not document`);
    const schema = response.content?.["application/json"]?.schema as { $ref?: string } | undefined;
    assert.ok(schema, `${method} ${path} ${status} has no JSON schema`);
    this.assertMatches({ $ref: `openapi${schema.$ref}` }, body, `${method} ${path} ${status}`);
  }

  private readonly compiled = new Map<string, ValidateFunction>();

  private assertMatches(schema: { $ref: string }, body: unknown, what: string): void {
    let validate = this.compiled.get(schema.$ref);
    if (!validate) {
      validate = this.ajv.compile(schema);
      this.compiled.set(schema.$ref, validate);
    }
    if (!validate(body))
      assert.fail(
        `${what}: reply does not match /openapi.json: ${this.ajv.errorsText(validate.errors)}\n${JSON.stringify(body)}`,
      );
  }
}
