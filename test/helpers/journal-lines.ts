/** Journal lines back to rows, for tests (the service never decodes its own lines). */
import { parseVisitLine, type VisitRow } from "../../src/store/journal-repair.js";

/** The rows of journal lines (views of a ring, or a file's bytes). */
export function decodeLines(views: readonly Uint8Array[]): VisitRow[] {
  return Buffer.concat(views)
    .toString("utf8")
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map(parseVisitLine);
}
