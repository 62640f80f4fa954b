/**
 * Field paths in the Kubernetes style used by kubectl and admission messages:
 * `spec.template.spec.containers[0].securityContext.privileged`, map keys with dots quoted as
 * `metadata.annotations["container.apparmor.security.beta.kubernetes.io/app"]`.
 */
export type PathSegment = string | number;

/**
 * A key written bare (`/^[A-Za-z_$][\w$-]*$/`), tested by character: posture rules join thousands of paths a second
 * in admission, and the regular expression was a visible part of it.
 */
function isSimpleKey(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const letter = (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 36; // A-Z a-z _ $
    if (letter || (i > 0 && ((c >= 48 && c <= 57) || c === 45))) continue; // then also 0-9 -
    return false;
  }
  return true;
}

/** `segment` appended to the path `out` ("" for none). */
function appendSegment(out: string, s: PathSegment): string {
  if (typeof s === "number") return `${out}[${s}]`;
  if (isSimpleKey(s)) return out === "" ? s : `${out}.${s}`;
  return `${out}[${JSON.stringify(s)}]`;
}

export function formatFieldPath(segments: readonly PathSegment[]): string {
  let out = "";
  for (const s of segments) out = appendSegment(out, s);
  return out;
}

export function parseFieldPath(path: string): PathSegment[] {
  const out: PathSegment[] = [];
  let i = 0;
  while (i < path.length) {
    const c = path[i];
    if (c === ".") {
      i++;
      continue;
    }
    if (c === "[") {
      const end = path[i + 1] === '"' ? findQuoteEnd(path, i + 2) + 1 : path.indexOf("]", i);
      const inner = path.slice(i + 1, end);
      out.push(inner.startsWith('"') ? (JSON.parse(inner) as string) : Number(inner));
      i = end + 1;
      continue;
    }
    let j = i;
    while (j < path.length && path[j] !== "." && path[j] !== "[") j++;
    out.push(path.slice(i, j));
    i = j;
  }
  return out;
}

function findQuoteEnd(s: string, from: number): number {
  for (let i = from; i < s.length; i++) {
    if (s[i] === "\\") i++;
    else if (s[i] === '"') return i;
  }
  return s.length;
}

/** Join a base path and a relative one: `formatFieldPath` of the base's segments and `rest`. */
export function joinPath(base: string, ...rest: PathSegment[]): string {
  // Each segment appended to the base: the same text as formatting `rest` alone and joining it with a "."
  // unless it starts with "[", without the intermediate string.
  let out = base;
  for (const s of rest) out = appendSegment(out, s);
  return out;
}
