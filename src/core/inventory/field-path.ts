/**
 * Field paths in the Kubernetes style used by kubectl and admission messages:
 * `spec.template.spec.containers[0].securityContext.privileged`, map keys with dots quoted as
 * `metadata.annotations["container.apparmor.security.beta.kubernetes.io/app"]`.
 */
export type PathSegment = string | number;

const SIMPLE_KEY = /^[A-Za-z_$][\w$-]*$/;

export function formatFieldPath(segments: readonly PathSegment[]): string {
  let out = "";
  for (const s of segments) {
    if (typeof s === "number") out += `[${s}]`;
    else if (SIMPLE_KEY.test(s)) out += out === "" ? s : `.${s}`;
    else out += `[${JSON.stringify(s)}]`;
  }
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

/** Join a base path and a relative one. */
export function joinPath(base: string, ...rest: PathSegment[]): string {
  const tail = formatFieldPath(rest);
  if (base === "") return tail;
  if (tail === "") return base;
  return tail.startsWith("[") ? base + tail : `${base}.${tail}`;
}
