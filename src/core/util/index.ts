/** Small pure helpers shared by every domain. */

const globCache = new Map<string, RegExp>();

/** Glob match with `*` (any run of characters, including `/`) and `?` (one character). Anchored. */
export function globMatch(pattern: string, value: string): boolean {
  let re = globCache.get(pattern);
  if (re === undefined) {
    const body = pattern
      .replace(/[.+^${}()|[\]\\]/g, "\\$&")
      .replace(/\*/g, ".*")
      .replace(/\?/g, ".");
    re = new RegExp(`^${body}$`, "s");
    if (globCache.size > 10_000) globCache.clear();
    globCache.set(pattern, re);
  }
  return re.test(value);
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

export function asString(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}

export function asArray(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

/** Read a string-to-string map (labels, annotations), ignoring non-string values. */
export function asStringMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  if (!isRecord(v)) return out;
  // Object.keys, not Object.entries: no [key, value] pair per entry (labels and annotations of every object).
  const keys = Object.keys(v);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i] as string;
    const val = v[k];
    if (typeof val === "string") out[k] = val;
    else if (typeof val === "number" || typeof val === "boolean") out[k] = String(val);
  }
  return out;
}

/** Keys that must never appear in parsed input: they would reach Object.prototype through naive merges. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(["__proto__", "constructor", "prototype"]);

/** Stable JSON: object keys sorted, so equal data gives byte-identical text. */
export function stableStringify(value: unknown, indent = 2): string {
  return JSON.stringify(sortKeys(value), null, indent);
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (isRecord(v)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      const val = v[k];
      if (val !== undefined) out[k] = sortKeys(val);
    }
    return out;
  }
  return v;
}
