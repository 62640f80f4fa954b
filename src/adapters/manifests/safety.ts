import type { PathSegment } from "../../core/inventory/index.js";
import { FORBIDDEN_KEYS } from "../../core/util/index.js";

/** Why a parsed value was refused. `path` points at the offending key or the first too-deep node. */
export type SafetyProblem =
  | { kind: "unsafe"; key: string; path: PathSegment[] }
  | { kind: "depth"; path: PathSegment[] };

interface Frame {
  v: object;
  depth: number;
  parent: Frame | undefined;
  seg: PathSegment;
}

function pathOf(f: Frame | undefined, last?: PathSegment): PathSegment[] {
  const out: PathSegment[] = last === undefined ? [] : [last];
  for (let cur = f; cur?.parent !== undefined; cur = cur.parent) out.push(cur.seg);
  return out.reverse();
}

/**
 * Walk a parsed JSON-like value iteratively (no recursion, so hostile nesting cannot overflow the stack) and
 * report the first forbidden key (`__proto__`, `constructor`, `prototype`) or the first node nested deeper
 * than `maxDepth`. JSON.parse defines `__proto__` as an own property, so it is looked for with Object.keys,
 * never with `in`. Paths are rebuilt from parent links only on failure, to keep the happy path cheap.
 */
export function checkValue(root: unknown, maxDepth: number): SafetyProblem | undefined {
  if (typeof root !== "object" || root === null) return undefined;
  const stack: Frame[] = [{ v: root, depth: 0, parent: undefined, seg: "" }];
  while (stack.length > 0) {
    const f = stack.pop()!;
    if (f.depth >= maxDepth) return { kind: "depth", path: pathOf(f) };
    if (Array.isArray(f.v)) {
      const a = f.v as unknown[];
      for (let i = a.length - 1; i >= 0; i--) {
        const c = a[i];
        if (typeof c === "object" && c !== null) stack.push({ v: c, depth: f.depth + 1, parent: f, seg: i });
      }
      continue;
    }
    const rec = f.v as Record<string, unknown>;
    const keys = Object.keys(rec);
    for (const k of keys) {
      if (FORBIDDEN_KEYS.has(k)) return { kind: "unsafe", key: k, path: pathOf(f, k) };
    }
    for (let i = keys.length - 1; i >= 0; i--) {
      const k = keys[i]!;
      const c = rec[k];
      if (typeof c === "object" && c !== null) stack.push({ v: c, depth: f.depth + 1, parent: f, seg: k });
    }
  }
  return undefined;
}
