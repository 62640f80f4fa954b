import { type CoverageEntry, cmp } from "../findings/index.js";
import { canonicalRef, isDigest, repositoryOf } from "./known-image.js";
import {
  BASE_DIGEST_ANNOTATION,
  BASE_NAME_ANNOTATION,
  type KnownImage,
  type Lineage,
  type LineageNode,
} from "./model.js";

/** Display label of a node: its first ref, else its id. */
export function nodeLabel(n: LineageNode): string {
  return n.refs[0] ?? n.id;
}

/**
 * Build the image tree over every known image.
 *
 * Parent by layers: the node whose layer chain is the LONGEST PROPER PREFIX of this node's chain. Chains are
 * compared as ordered prefixes, like OCI ChainIDs (image-spec config.md "Layer ChainID": ChainID(L0..Ln) =
 * Digest(ChainID(L0..Ln-1) + " " + DiffID(Ln))): each prefix is interned to a small integer built from the
 * previous prefix's integer and the next diff_id, which is injective on ordered prefixes exactly as a ChainID is,
 * without hashing. Two images with the same diff_ids in another order are unrelated.
 *
 * Parent by annotation: `org.opencontainers.image.base.digest` (preferred) or `.base.name`, used only when no
 * layer prefix is known (a squashed or rebased image); a claim that contradicts the layer evidence, names an
 * unknown image, crosses platforms or closes a cycle is a coverage entry and the edge is dropped, never a loop.
 */
export function buildLineage(images: readonly KnownImage[]): Lineage {
  const coverage: CoverageEntry[] = [];
  // Same digest seen twice (e.g. stored under two refs): one image, refs merged.
  const byDigestImg = new Map<string, KnownImage>();
  for (const img of images) {
    if (img.layers.length === 0) {
      coverage.push({
        reason: "invalid",
        subject: img.refs[0] ?? img.digest,
        message: `image ${img.digest} has no layers; left out of the image tree`,
      });
      continue;
    }
    const prev = byDigestImg.get(img.digest);
    if (prev)
      byDigestImg.set(img.digest, { ...prev, refs: [...new Set([...prev.refs, ...img.refs])].sort(cmp) });
    else byDigestImg.set(img.digest, img);
  }
  const sorted = [...byDigestImg.values()].sort((a, b) => cmp(a.digest, b.digest));

  // Intern ordered prefixes: prefix ids are positive integers, one per distinct (previous prefix, diff_id).
  const prefixIntern = new Map<string, number>();
  const prefixIdsOf = (layers: readonly string[]): number[] => {
    const out: number[] = [];
    let prev = 0;
    for (const d of layers) {
      const k = `${prev} ${d}`;
      let id = prefixIntern.get(k);
      if (id === undefined) {
        id = prefixIntern.size + 1;
        prefixIntern.set(k, id);
      }
      out.push(id);
      prev = id;
    }
    return out;
  };
  const chainKey = (platform: string | undefined, prefixId: number): string =>
    `${platform ?? ""}\u0000${prefixId}`;

  const nodes = new Map<string, LineageNode>();
  const nodeByChain = new Map<string, LineageNode>();
  const prefixesOf = new Map<LineageNode, number[]>();
  const representative = new Map<string, KnownImage>();
  const membersOf = new Map<LineageNode, KnownImage[]>();
  for (const img of sorted) {
    const prefixes = prefixIdsOf(img.layers);
    const key = chainKey(img.platform, prefixes[prefixes.length - 1] as number);
    const existing = nodeByChain.get(key);
    if (existing) {
      existing.digests.push(img.digest);
      existing.refs = [...new Set([...existing.refs, ...img.refs])].sort(cmp);
      membersOf.get(existing)?.push(img);
      continue;
    }
    // Images are visited by ascending digest, so the first member's digest is the smallest: the node id.
    const node: LineageNode = {
      id: img.digest,
      digests: [img.digest],
      refs: [...img.refs],
      repositories: [],
      layers: img.layers,
      ownLayerStart: 0,
      children: [],
      depth: 0,
    };
    if (img.platform !== undefined) node.platform = img.platform;
    nodes.set(node.id, node);
    nodeByChain.set(key, node);
    prefixesOf.set(node, prefixes);
    representative.set(node.id, img);
    membersOf.set(node, [img]);
  }

  const byDigest = new Map<string, string>();
  const byIndex = new Map<string, Map<string, string>>();
  const byRef = new Map<string, string[]>();
  for (const node of nodes.values()) {
    node.repositories = [
      ...new Set(node.refs.map((r) => repositoryOf(r)).filter((r) => r !== undefined)),
    ].sort(cmp);
    for (const img of membersOf.get(node) ?? []) {
      byDigest.set(img.digest, node.id);
      if (img.configDigest !== undefined && !byDigest.has(img.configDigest))
        byDigest.set(img.configDigest, node.id);
      if (img.index !== undefined && img.platform !== undefined) {
        const m = byIndex.get(img.index) ?? new Map<string, string>();
        if (!m.has(img.platform)) m.set(img.platform, node.id);
        byIndex.set(img.index, m);
      }
    }
    for (const r of node.refs) {
      const list = byRef.get(r) ?? [];
      list.push(node.id);
      byRef.set(r, list);
    }
  }
  for (const [ref, ids] of byRef) {
    ids.sort(cmp);
    const platforms = ids.map((id) => nodes.get(id)?.platform ?? "");
    if (new Set(platforms).size < platforms.length)
      coverage.push({
        reason: "invalid",
        subject: ref,
        message: `${ref} names ${ids.length} different images of the same platform (${ids.join(", ")}); lookups by this tag use ${ids[0]}`,
      });
  }

  // Parent by the longest proper prefix of the chain.
  for (const node of nodes.values()) {
    const prefixes = prefixesOf.get(node) ?? [];
    for (let k = prefixes.length - 2; k >= 0; k--) {
      const p = nodeByChain.get(chainKey(node.platform, prefixes[k] as number));
      if (p) {
        node.parent = p.id;
        node.parentSource = "layers";
        node.ownLayerStart = k + 1;
        break;
      }
    }
  }

  const isAncestor = (candidate: string, of: LineageNode): boolean => {
    let cur = of.parent;
    for (let guard = 0; cur !== undefined && guard <= nodes.size; guard++) {
      if (cur === candidate) return true;
      cur = nodes.get(cur)?.parent;
    }
    return false;
  };

  // Claimed bases, in node-id order so the dropped edge of a cycle is always the same one.
  for (const node of [...nodes.values()].sort((a, b) => cmp(a.id, b.id))) {
    const label = nodeLabel(node);
    const claims = (membersOf.get(node) ?? []).filter(
      (m) =>
        m.annotations[BASE_DIGEST_ANNOTATION] !== undefined ||
        m.annotations[BASE_NAME_ANNOTATION] !== undefined,
    );
    const img = claims[0];
    if (!img) continue;
    const claimedDigest = img.annotations[BASE_DIGEST_ANNOTATION];
    const claimedName = img.annotations[BASE_NAME_ANNOTATION];
    const claimText = [claimedName, claimedDigest].filter((x) => x !== undefined).join("@");
    let base: LineageNode | undefined;
    if (claimedDigest !== undefined) {
      if (!isDigest(claimedDigest)) {
        coverage.push({
          reason: "invalid",
          subject: label,
          message: `${label}: annotation ${BASE_DIGEST_ANNOTATION} "${claimedDigest}" is not a digest; ignored`,
        });
        continue;
      }
      const id = byDigest.get(claimedDigest);
      if (id !== undefined) base = nodes.get(id);
    } else if (claimedName !== undefined) {
      const c = canonicalRef(claimedName);
      const ids = c !== undefined ? byRef.get(c) : undefined;
      const id = ids?.find((i) => nodes.get(i)?.platform === node.platform) ?? ids?.[0];
      if (id !== undefined) base = nodes.get(id);
    }
    if (!base) {
      coverage.push({
        reason: "missing",
        subject: label,
        message: `${label}: claimed base image ${claimText} was never analyzed (palisade images add it to place ${label} under it)`,
      });
      continue;
    }
    if (base.id === node.id) {
      coverage.push({
        reason: "invalid",
        subject: label,
        message: `${label}: base image annotation names the image itself; ignored`,
      });
      continue;
    }
    if (node.parent !== undefined) {
      // Layer evidence wins; a claim naming the layer parent or one of its ancestors agrees with it.
      if (base.id !== node.parent && !isAncestor(base.id, node))
        coverage.push({
          reason: "invalid",
          subject: label,
          message: `${label}: annotation claims base ${nodeLabel(base)} but the layer chain shows ${nodeLabel(nodes.get(node.parent) as LineageNode)}; using the layer chain`,
        });
      continue;
    }
    if (base.platform !== node.platform) {
      coverage.push({
        reason: "unsupported",
        subject: label,
        message: `${label} (${node.platform ?? "unknown platform"}): claimed base ${nodeLabel(base)} is ${base.platform ?? "of unknown platform"}; not linked`,
      });
      continue;
    }
    if (base.id === node.id || isAncestor(node.id, base)) {
      const path = [nodeLabel(base)];
      let cur = base.parent;
      for (let guard = 0; cur !== undefined && cur !== node.id && guard <= nodes.size; guard++) {
        const n = nodes.get(cur) as LineageNode;
        path.push(nodeLabel(n));
        cur = n.parent;
      }
      coverage.push({
        reason: "invalid",
        subject: label,
        message: `base image annotations form a cycle (${[label, ...path, label].join(" -> ")}); the edge ${label} -> ${nodeLabel(base)} is ignored`,
      });
      continue;
    }
    node.parent = base.id;
    node.parentSource = "annotation";
    let common = 0;
    while (
      common < node.layers.length &&
      common < base.layers.length &&
      node.layers[common] === base.layers[common]
    )
      common++;
    node.ownLayerStart = common;
  }

  for (const node of nodes.values())
    if (node.parent !== undefined) nodes.get(node.parent)?.children.push(node.id);
  const byLabel = (a: string, b: string): number => {
    const na = nodes.get(a) as LineageNode;
    const nb = nodes.get(b) as LineageNode;
    return cmp(nodeLabel(na), nodeLabel(nb)) || cmp(a, b);
  };
  for (const node of nodes.values()) node.children.sort(byLabel);
  const roots = [...nodes.values()]
    .filter((n) => n.parent === undefined)
    .map((n) => n.id)
    .sort(byLabel);
  const order: string[] = [];
  const stack = [...roots].reverse();
  while (stack.length > 0) {
    const id = stack.pop() as string;
    const n = nodes.get(id) as LineageNode;
    n.depth = n.parent !== undefined ? (nodes.get(n.parent) as LineageNode).depth + 1 : 0;
    order.push(id);
    for (let i = n.children.length - 1; i >= 0; i--) stack.push(n.children[i] as string);
  }
  return { nodes, byDigest, byIndex, byRef, roots, order, representative, coverage };
}

/** Every descendant of a node (not the node), in tree order. */
export function descendants(lineage: Lineage, id: string): string[] {
  const out: string[] = [];
  const stack = [...(lineage.nodes.get(id)?.children ?? [])].reverse();
  while (stack.length > 0) {
    const c = stack.pop() as string;
    out.push(c);
    const kids = lineage.nodes.get(c)?.children ?? [];
    for (let i = kids.length - 1; i >= 0; i--) stack.push(kids[i] as string);
  }
  return out;
}

/** Ancestors of a node, nearest first. */
export function ancestors(lineage: Lineage, id: string): string[] {
  const out: string[] = [];
  let cur = lineage.nodes.get(id)?.parent;
  while (cur !== undefined && out.length <= lineage.nodes.size) {
    out.push(cur);
    cur = lineage.nodes.get(cur)?.parent;
  }
  return out;
}
