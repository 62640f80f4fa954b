/**
 * Image references parsed by the distribution reference grammar
 * (github.com/distribution/reference, `reference.go` + `normalize.go`):
 *
 *   reference := name [ ":" tag ] [ "@" digest ]
 *   name      := [domain '/'] remote-name
 *   domain    := host [':' port]   -- the first component is a domain only if it contains '.' or ':',
 *                                    or is exactly "localhost", or has upper-case letters (docker's rule)
 *
 * Docker Hub defaults: no domain -> "docker.io"; a single-component name on docker.io -> "library/<name>".
 */
import { stripUserinfo } from "../util/index.js";

export interface ImageRef {
  /** The string as written in the manifest. */
  original: string;
  registry: string;
  repository: string;
  tag?: string;
  digest?: string;
  /** registry/repository, the identity of the image family. */
  name: string;
}

const TAG_RE = /^[\w][\w.-]{0,127}$/;
/** digest := algorithm ":" encoded (reference/regexp.go); encoded is hex, at least 32 digits. */
const DIGEST_RE = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;
/**
 * go-digest only accepts registered algorithms, each with an exact lower-case hex length
 * (opencontainers/go-digest algorithm.go); anything else fails `digest.Parse` and so the reference.
 */
const DIGEST_HEX_LENGTH: Readonly<Record<string, number>> = { sha256: 64, sha384: 96, sha512: 128 };
/** NameTotalLengthMax in reference.go: the name (domain and path, as written) is at most 255 characters. */
const NAME_TOTAL_LENGTH_MAX = 255;
const PATH_COMPONENT_RE = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN_RE =
  /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:.]+\])(?::[0-9]+)?$/;

export const DEFAULT_REGISTRY = "docker.io";

export type ImageRefResult = { ok: true; ref: ImageRef } | { ok: false; error: string };

export function parseImageRef(written: string): ImageRefResult {
  // Credentials in the registry part (`user:secret@registry/app`) are never kept: not in `original`, not in errors.
  const input = stripUserinfo(written);
  const s = input;
  if (s === "") return { ok: false, error: "empty image reference" };
  // Kubernetes API validation rejects images with leading or trailing whitespace (validation.go, validateContainers).
  if (s.trim() !== s) return { ok: false, error: "image reference has leading or trailing whitespace" };
  if (s.length > 4096) return { ok: false, error: "image reference longer than 4096 characters" };
  let rest = s;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST_RE.test(digest)) return { ok: false, error: `invalid digest "${digest}"` };
    const [algorithm = "", encoded = ""] = digest.split(":");
    const want = Object.hasOwn(DIGEST_HEX_LENGTH, algorithm) ? DIGEST_HEX_LENGTH[algorithm] : undefined;
    if (want === undefined) return { ok: false, error: `unsupported digest algorithm "${algorithm}"` };
    if (encoded.length !== want || encoded !== encoded.toLowerCase())
      return { ok: false, error: `invalid ${algorithm} digest: expected ${want} lower-case hex digits` };
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf("/");
  const colon = rest.lastIndexOf(":");
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG_RE.test(tag)) return { ok: false, error: `invalid tag "${tag}"` };
  }
  if (rest === "") return { ok: false, error: "missing repository name" };
  if (rest.length > NAME_TOTAL_LENGTH_MAX)
    return { ok: false, error: `repository name longer than ${NAME_TOTAL_LENGTH_MAX} characters` };
  const parts = rest.split("/");
  let registry = DEFAULT_REGISTRY;
  const first = parts[0] ?? "";
  if (
    parts.length > 1 &&
    (first.includes(".") || first.includes(":") || first === "localhost" || first !== first.toLowerCase())
  ) {
    if (!DOMAIN_RE.test(first)) return { ok: false, error: `invalid registry "${first}"` };
    registry = first;
    parts.shift();
  }
  if (registry === "index.docker.io") registry = DEFAULT_REGISTRY;
  for (const p of parts) {
    if (!PATH_COMPONENT_RE.test(p)) return { ok: false, error: `invalid repository component "${p}"` };
  }
  if (registry === DEFAULT_REGISTRY && parts.length === 1) parts.unshift("library");
  const repository = parts.join("/");
  const ref: ImageRef = { original: input, registry, repository, name: `${registry}/${repository}` };
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) ref.digest = digest;
  return { ok: true, ref };
}

/** Canonical string: registry/repository[:tag][@digest]. */
export function formatImageRef(r: ImageRef): string {
  return `${r.name}${r.tag !== undefined ? `:${r.tag}` : ""}${r.digest !== undefined ? `@${r.digest}` : ""}`;
}
