/** Package URL (https://github.com/package-url/purl-spec) parsing and formatting, just what SBOM exchange needs. */
import type { PackageType } from "./model.js";

export interface ParsedPurl {
  type: string;
  namespace?: string | undefined;
  name: string;
  version?: string | undefined;
  qualifiers: Record<string, string>;
}

const KNOWN: ReadonlySet<string> = new Set([
  "deb",
  "apk",
  "rpm",
  "npm",
  "pypi",
  "golang",
  "maven",
  "gem",
  "nuget",
  "composer",
  "cargo",
  "hex",
  "pub",
]);

/** Parse a purl; undefined when it is not one. Components are percent-decoded. */
export function parsePurl(purl: string): ParsedPurl | undefined {
  if (!purl.startsWith("pkg:") || purl.length > 4096) return undefined;
  let rest = purl.slice(4).replace(/^\/+/, "");
  const hash = rest.indexOf("#");
  if (hash >= 0) rest = rest.slice(0, hash);
  const qualifiers: Record<string, string> = Object.create(null);
  const q = rest.indexOf("?");
  if (q >= 0) {
    for (const kv of rest.slice(q + 1).split("&")) {
      const eq = kv.indexOf("=");
      if (eq > 0) qualifiers[kv.slice(0, eq).toLowerCase()] = safeDecode(kv.slice(eq + 1));
    }
    rest = rest.slice(0, q);
  }
  let version: string | undefined;
  const at = rest.lastIndexOf("@");
  if (at >= 0) {
    version = safeDecode(rest.slice(at + 1));
    rest = rest.slice(0, at);
  }
  const parts = rest.split("/").filter((p) => p.length > 0);
  const type = parts.shift()?.toLowerCase();
  const name = parts.pop();
  if (!type || !name) return undefined;
  const out: ParsedPurl = { type, name: safeDecode(name), qualifiers };
  if (parts.length > 0) out.namespace = parts.map(safeDecode).join("/");
  if (version !== undefined && version !== "") out.version = version;
  return out;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Palisade's package type for a purl type ("generic" when unknown). */
export function packageTypeOfPurl(type: string): PackageType {
  return KNOWN.has(type) ? (type as PackageType) : "generic";
}

/** Encode one purl component (spec: percent-encode, but keep ':' readable for Maven and epochs). */
function enc(s: string): string {
  return encodeURIComponent(s).replace(/%3A/gi, ":");
}

/** Format a purl from parts; qualifiers are sorted as the spec requires. */
export function formatPurl(p: ParsedPurl): string {
  const ns = p.namespace ? `${p.namespace.split("/").map(enc).join("/")}/` : "";
  const v = p.version ? `@${enc(p.version)}` : "";
  const qs = Object.keys(p.qualifiers)
    .sort()
    .map((k) => `${k}=${enc(p.qualifiers[k] as string)}`)
    .join("&");
  return `pkg:${p.type}/${ns}${enc(p.name)}${v}${qs ? `?${qs}` : ""}`;
}
