/**
 * @module The typia schemas as /openapi.json shows them: the values typia's
 * validators accept, spelled so that JSON Schema 2020-12 validators, linters
 * (redocly's recommended rules) and client generators read them the same way.
 */
import { schemas } from "../generated/validators.js";

export type JsonSchema = { [key: string]: unknown };

/** Schemas only ever used inline (as an operation's parameters), not as components. */
const INLINE_ONLY = ["StatsQuery"];

export interface DocumentSchemas {
  /** `components.schemas` of the document. */
  readonly components: Record<string, JsonSchema>;
  /** Schema of each property of the inline-only schemas, by schema then property name. */
  readonly inline: Record<string, Record<string, JsonSchema>>;
}

export function documentSchemas(): DocumentSchemas {
  const all = structuredClone((schemas.components as { schemas: Record<string, JsonSchema> }).schemas);
  const inline: Record<string, Record<string, JsonSchema>> = {};
  for (const name of INLINE_ONLY) {
    inline[name] = (all[name]?.properties ?? {}) as Record<string, JsonSchema>;
    delete all[name];
  }
  for (const schema of Object.values(all)) {
    mergeStringFormats(schema);
    closeTuples(schema);
  }
  return { components: all, inline };
}

/**
 * A `oneOf` whose branches are plain strings differing only by `format`
 * (typia's spelling of `(string & Format<"ipv4">) | (string & Format<"ipv6">)`)
 * becomes one string branch with an `anyOf` of the formats. A validator that
 * ignores formats would see two identical branches, and a `oneOf` must match
 * exactly one; no string is two of these formats at once, so the accepted
 * values do not change.
 */
export function mergeStringFormats(schema: unknown): void {
  if (typeof schema !== "object" || schema === null) return;
  for (const child of Object.values(schema)) mergeStringFormats(child);
  const node = schema as JsonSchema;
  if (!Array.isArray(node.oneOf)) return;
  const branches = node.oneOf as unknown[];
  const formats = branches.filter(isPlainStringFormat);
  if (formats.length < 2) return;
  const merged = { type: "string", anyOf: formats.map((branch) => ({ format: branch.format })) };
  const at = branches.indexOf(formats[0]);
  const rest = branches.filter((branch) => !formats.includes(branch as JsonSchema));
  rest.splice(at, 0, merged);
  node.oneOf = rest;
}

function isPlainStringFormat(branch: unknown): branch is JsonSchema {
  if (typeof branch !== "object" || branch === null) return false;
  const keys = Object.keys(branch).sort().join(",");
  return keys === "format,type" && (branch as JsonSchema).type === "string";
}

/**
 * typia spells a closed tuple `prefixItems` + `additionalItems: false`, the
 * draft-07 keyword, which JSON Schema 2020-12 (OpenAPI 3.1) no longer has:
 * validators ignore it, so the tuple would accept extra items. 2020-12 says
 * `items: false` after `prefixItems`.
 */
export function closeTuples(schema: unknown): void {
  if (typeof schema !== "object" || schema === null) return;
  for (const child of Object.values(schema)) closeTuples(child);
  const node = schema as JsonSchema;
  if (!("prefixItems" in node) || !("additionalItems" in node) || "items" in node) return;
  node.items = node.additionalItems;
  delete node.additionalItems;
}
