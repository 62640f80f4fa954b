/**
 * Version strings as nodes report them (`status.nodeInfo`), reduced to the upstream release advisories name.
 *
 * Vendors append their build to the upstream version: `v1.27.4-eks-8ccc7ba`, `v1.28.3-gke.1286000`,
 * `v1.26.6+k3s1`, `v1.27.7+rke2r2`, `containerd://1.7.7-k3s1`, `containerd://1.6.21+azure-3`,
 * `containerd://1.6.20-0ubuntu1~22.04.1`. Compared as SemVer, `1.27.4-eks-8ccc7ba` is a pre-release and sorts
 * BEFORE 1.27.4, so an advisory fixed in 1.27.4 would fire on a node that has the fix. Palisade compares the
 * upstream base (`1.27.4`) and keeps the vendor suffix in the evidence: a vendor build may carry backported fixes
 * that no upstream advisory knows about, which the finding's message says. Upstream pre-releases (`-alpha.1`,
 * `-beta.0`, `-rc.2`, runc's `-rc93`) stay: they are upstream versions advisories order.
 */

/** A version as reported, and what Palisade compares. */
export interface ComponentVersion {
  /** As the node reports it, e.g. `v1.27.4-eks-8ccc7ba`. */
  raw: string;
  /** Upstream SemVer without a leading `v`, e.g. `1.27.4`; undefined when the string holds none. */
  upstream?: string | undefined;
  /** What followed the upstream version (a vendor build), e.g. `-eks-8ccc7ba`, `+azure-3`. */
  vendorSuffix?: string | undefined;
}

const UPSTREAM_PRERELEASE = /^-(?:alpha|beta|rc)(?:\.?\d+)?(?:\.\d+)*/;
const CORE = /^v?(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})/;
/** Longest version string considered (status fields are short; a hostile Node object is not). */
const MAX_VERSION_LENGTH = 256;

/** Parse a reported component version; never throws. */
export function parseComponentVersion(raw: string): ComponentVersion {
  const s = raw.trim();
  if (s.length === 0 || s.length > MAX_VERSION_LENGTH) return { raw };
  const m = CORE.exec(s);
  if (!m) return { raw };
  let upstream = `${m[1]}.${m[2]}.${m[3]}`;
  let rest = s.slice(m[0].length);
  const pre = UPSTREAM_PRERELEASE.exec(rest);
  // `-rc.1` (Kubernetes, containerd) and `-rc93` (runc) are upstream pre-releases; `-rc1-foo` keeps `-rc1`.
  if (pre && (rest.length === pre[0].length || /^[-+~]/.test(rest.slice(pre[0].length)))) {
    upstream += pre[0];
    rest = rest.slice(pre[0].length);
  }
  // A fourth numeric field (`1.6.20.1`) is not SemVer: no upstream release of these components has one.
  if (/^\.\d/.test(rest)) return { raw };
  const out: ComponentVersion = { raw, upstream };
  if (rest.length > 0) out.vendorSuffix = rest;
  return out;
}

/** Split `containerd://1.7.2` into the runtime name and its version string. */
export function splitRuntimeVersion(raw: string): { runtime: string; version: string } | undefined {
  const i = raw.indexOf("://");
  if (i <= 0) return undefined;
  const runtime = raw.slice(0, i).trim().toLowerCase();
  if (!/^[a-z0-9][a-z0-9._-]{0,63}$/.test(runtime)) return undefined;
  return { runtime, version: raw.slice(i + 3).trim() };
}

/** SemVer precedence on the `upstream` forms this module produces (numeric core, optional pre-release). */
export function compareUpstream(a: string, b: string): number {
  const pa = splitPre(a);
  const pb = splitPre(b);
  for (let i = 0; i < 3; i++) {
    const d = (pa.core[i] ?? 0) - (pb.core[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  if (pa.pre === pb.pre) return 0;
  if (pa.pre === "") return 1;
  if (pb.pre === "") return -1;
  const xa = pa.pre.split(".");
  const xb = pb.pre.split(".");
  for (let i = 0; i < Math.max(xa.length, xb.length); i++) {
    const u = xa[i];
    const v = xb[i];
    if (u === undefined) return -1;
    if (v === undefined) return 1;
    const nu = /^\d+$/.test(u);
    const nv = /^\d+$/.test(v);
    if (nu && nv) {
      const d = Number(u) - Number(v);
      if (d !== 0) return d < 0 ? -1 : 1;
    } else if (nu !== nv) return nu ? -1 : 1;
    else if (u !== v) return u < v ? -1 : 1;
  }
  return 0;
}

function splitPre(v: string): { core: number[]; pre: string } {
  const i = v.indexOf("-");
  const core = (i < 0 ? v : v.slice(0, i)).split(".").map(Number);
  return { core, pre: i < 0 ? "" : v.slice(i + 1) };
}

/** `major.minor` of an upstream version. */
export function minorOf(v: string): string {
  const [a, b] = v.split(/[.-]/);
  return `${a}.${b}`;
}
