import type { SourceLocation } from "../findings/index.js";
import { formatFieldPath, parseFieldPath } from "./field-path.js";
import type { KObject } from "./model.js";

/**
 * Where a field of an object is written, for findings: the field itself, else its nearest located ancestor,
 * else the object's own position. Objects that did not come from a file (a live cluster, line 0) have no
 * location: a finding must not point at a file that does not exist.
 */
export function sourceLocation(
  obj: Pick<KObject, "source"> | undefined,
  fieldPath?: string,
): SourceLocation | undefined {
  const src = obj?.source;
  if (!src || src.line < 1) return undefined;
  if (src.locate && fieldPath !== undefined && fieldPath !== "") {
    let segs = parseFieldPath(fieldPath);
    while (segs.length > 0) {
      const loc = src.locate(formatFieldPath(segs));
      if (loc) return loc;
      segs = segs.slice(0, -1);
    }
  }
  return { file: src.file, line: src.line, column: src.column };
}
