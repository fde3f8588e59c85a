/**
 * @module Translates typia's validation reports into FastAPI/pydantic error
 * items. typia says *what* failed (the tag in `expected`); we only reword it.
 */
import type { IValidation } from "typia";
import { problem } from "./errors.js";
import type { ValidationErrorItem } from "./types.js";

const TAG = /\b(MinLength|MaxCodePoints|Minimum|Maximum)<([0-9.e+-]+)>/;

/** `$input.user_id` → ["body", "user_id"]. */
function locOf(path: string, root: string): Array<string | number> {
  const loc: Array<string | number> = [root];
  for (const part of path.replace(/^\$input\.?/, "").split(".")) if (part !== "") loc.push(part);
  return loc;
}

export function toValidationItems(errors: IValidation.IError[], root: "body" | "query"): ValidationErrorItem[] {
  const items: ValidationErrorItem[] = [];
  for (const error of errors) {
    const loc = locOf(error.path, root);
    if (error.value === undefined) {
      items.push(problem.missing(loc));
      continue;
    }
    const tag = TAG.exec(error.expected);
    const bound = tag ? Number(tag[2]) : Number.NaN;
    if (typeof error.value === "string" && tag?.[1] === "MinLength") items.push(problem.tooShort(loc, bound));
    else if (typeof error.value === "string" && tag?.[1] === "MaxCodePoints") items.push(problem.tooLong(loc, bound));
    else if (typeof error.value === "number" && tag?.[1] === "Minimum") items.push(problem.atLeast(loc, bound));
    else if (typeof error.value === "number" && tag?.[1] === "Maximum") items.push(problem.atMost(loc, bound));
    else if (typeof error.value === "string" && error.expected.includes('Format<"ipv4">'))
      items.push(problem.ipAddress(loc));
    else items.push(problem.stringType(loc));
  }
  return items;
}
