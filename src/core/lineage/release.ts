import { cmp } from "../findings/index.js";
import { dpkg } from "../versions/index.js";
import type { Lineage, LineageNode } from "./model.js";

/**
 * A tag read as a release: its version and its variant. Tags of one repository order only within a variant:
 * `3.12-slim` and `3.13-slim` are two releases of the slim variant, `3.12-alpine` is another line. The variant is
 * the tag with its leading version and every digit run blanked, so `1.2.3-1~deb12u1` and `1.2.4-2~deb12u1` are
 * the same variant (`-#~deb#u#`) and `bookworm-20240101`, `20240201` or `latest` are others (or none).
 */
export interface TagRelease {
  /** The tag without a leading `v`: what is compared. */
  version: string;
  variant: string;
}

/** The release a tag names, or undefined when it does not start with a version (`latest`, `stable`, `main`). */
export function tagRelease(tag: string): TagRelease | undefined {
  const m = /^v?(\d+(?:\.\d+)*)(.*)$/.exec(tag);
  if (!m) return undefined;
  const version = `${m[1] as string}${m[2] as string}`;
  // dpkg order is the tag scheme: numeric runs compare as numbers (1.10 > 1.9), `~` sorts before anything (a
  // pre-release), letters after; it orders semver-like tags as semver does, except build metadata.
  if (!dpkg.isValid(version)) return undefined;
  return { version, variant: (m[2] as string).replace(/\d+/g, "#") };
}

/** Compare two tags by their scheme: undefined when they are not versions of one variant. */
export function compareTags(a: string, b: string): number | undefined {
  const ra = tagRelease(a);
  const rb = tagRelease(b);
  if (!ra || !rb || ra.variant !== rb.variant) return undefined;
  return dpkg.compare(ra.version, rb.version);
}

/** Tags of a node under one repository (`registry/repository`). */
export function tagsIn(node: LineageNode, repository: string): string[] {
  const prefix = `${repository}:`;
  return node.refs.filter((r) => r.startsWith(prefix)).map((r) => r.slice(prefix.length));
}

/** Earliest config `created` among a node's images, when known. */
export function nodeCreated(lineage: Lineage, node: LineageNode): string | undefined {
  const c = lineage.representative.get(node.id)?.created;
  return c !== undefined && !Number.isNaN(Date.parse(c)) ? c : undefined;
}

/**
 * Whether node `b` is a later release than node `a` of `repository`: by the tags' scheme when some tag of each
 * orders against one of the other (the highest tag of each shared variant compared), else by the images' config
 * creation time. Undefined when neither orders them (no versioned tags of one variant, no creation times): such an
 * image is not taken for a newer release.
 */
export function releaseOrder(
  lineage: Lineage,
  a: LineageNode,
  b: LineageNode,
  repository: string,
): number | undefined {
  const best = (n: LineageNode): Map<string, string> => {
    const out = new Map<string, string>();
    for (const t of tagsIn(n, repository)) {
      const r = tagRelease(t);
      if (!r) continue;
      const cur = out.get(r.variant);
      if (cur === undefined || dpkg.compare(r.version, cur) > 0) out.set(r.variant, r.version);
    }
    return out;
  };
  const ba = best(a);
  const bb = best(b);
  for (const variant of [...ba.keys()].sort(cmp)) {
    const vb = bb.get(variant);
    if (vb !== undefined) {
      const c = dpkg.compare(vb, ba.get(variant) as string);
      if (c !== 0) return c > 0 ? 1 : -1;
    }
  }
  const ca = nodeCreated(lineage, a);
  const cb = nodeCreated(lineage, b);
  if (ca !== undefined && cb !== undefined && ca !== cb) return Date.parse(cb) > Date.parse(ca) ? 1 : -1;
  return undefined;
}
