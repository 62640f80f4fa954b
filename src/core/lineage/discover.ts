import type { CoverageEntry, CoverageReason } from "../findings/index.js";
import { cmp } from "../findings/index.js";
import { parseImageRef } from "../inventory/index.js";
import { isDigest } from "./known-image.js";
import type { KnownImage, WorkloadUsage } from "./model.js";

/**
 * One image to discover from a registry: what workloads run (a digest from pod status or a pinned reference) or
 * name (a tag, when no digest is known for it).
 */
export interface DiscoveryTarget {
  /** Dedupe key: the digest when one is known, else the canonical tag reference. */
  key: string;
  digest?: string | undefined;
  /**
   * References to pull, in the order to try: `registry/repository@digest` (one per repository the digest was
   * seen under) or a single `registry/repository:tag`.
   */
  pulls: string[];
  /** Canonical references to remember the image under (`name@digest`, and the tag when it names only this). */
  refs: string[];
  /** Workloads that use the image, and one of them (`[cluster/]namespace/Kind/name`) for messages. */
  workloads: number;
  example: string;
  /**
   * The node platforms (`os/arch[/variant]`) pods report running this digest on, sorted; absent when none is
   * known (the default platform is pulled). An image index digest is pulled once per platform: each node runs its
   * own platform's manifest.
   */
  platforms?: string[] | undefined;
}

/** The discovery plan: what to analyze, what is already known (with the refs seen now), and what was unusable. */
export interface DiscoveryPlan {
  /** Every distinct image the workloads use, sorted by key. */
  discovered: DiscoveryTarget[];
  /** Targets to pull and analyze. */
  toAnalyze: DiscoveryTarget[];
  /** Targets already in the store, each with the stored image it matched. */
  known: { target: DiscoveryTarget; image: KnownImage }[];
  coverage: CoverageEntry[];
}

interface Acc {
  digest?: string;
  platforms?: Set<string>;
  pulls: Set<string>;
  refs: Set<string>;
  workloads: Set<string>;
}

const workloadName = (u: WorkloadUsage): string =>
  `${u.cluster !== undefined ? `${u.cluster}/` : ""}${u.ref.namespace ?? ""}/${u.ref.kind}/${u.ref.name}`;

/**
 * Collect every image the workloads use, deduplicated by digest (or by canonical tag reference when no digest is
 * known), from container image references and running pods' `status.containerStatuses[].imageID` digests (already
 * read by {@link workloadUsages}).
 *
 * A tag is remembered on a digest only when it is the one digest seen for that tag: several digests under one tag
 * (a rollout in progress, a tag moved since some pods started) say nothing about which one the tag names now, so
 * the tag is then pulled by itself and the registry answers. A tag with no digest seen is pulled by tag.
 * The repository a running digest is pulled from is the container's image repository: `imageID` names the same
 * image, and the runtime resolved it from that reference.
 */
export function collectDiscoveryTargets(usages: readonly WorkloadUsage[]): {
  targets: DiscoveryTarget[];
  coverage: CoverageEntry[];
} {
  const byDigest = new Map<string, Acc>();
  /** canonical tag ref -> digests seen for it, and the workloads naming it. */
  const tags = new Map<string, { digests: Set<string>; workloads: Set<string> }>();
  const invalid = new Map<string, { error: string; workloads: Set<string> }>();
  const addDigest = (name: string, digest: string, w: string, platforms: readonly string[]): void => {
    const a = byDigest.get(digest) ?? { digest, pulls: new Set(), refs: new Set(), workloads: new Set() };
    if (platforms.length > 0) {
      const set = a.platforms ?? new Set<string>();
      for (const p of platforms) set.add(p);
      a.platforms = set;
    }
    a.pulls.add(`${name}@${digest}`);
    a.refs.add(`${name}@${digest}`);
    a.workloads.add(w);
    byDigest.set(digest, a);
  };
  for (const u of usages) {
    const w = workloadName(u);
    for (const c of u.containers) {
      const parsed = parseImageRef(c.image);
      if (!parsed.ok) {
        const e = invalid.get(c.image) ?? { error: parsed.error, workloads: new Set<string>() };
        e.workloads.add(w);
        invalid.set(c.image, e);
        continue;
      }
      const { name, tag, digest } = parsed.ref;
      const seen = new Set<string>();
      if (digest !== undefined && isDigest(digest)) seen.add(digest);
      for (const r of c.running) seen.add(r.digest);
      for (const d of seen)
        addDigest(
          name,
          d,
          w,
          c.running.flatMap((r) => (r.digest === d && r.platform !== undefined ? [r.platform] : [])),
        );
      // A reference without tag or digest is pulled as `:latest` (as the kubelet does).
      if (tag !== undefined || digest === undefined) {
        const t = `${name}:${tag ?? "latest"}`;
        const e = tags.get(t) ?? { digests: new Set<string>(), workloads: new Set<string>() };
        for (const d of seen) e.digests.add(d);
        e.workloads.add(w);
        tags.set(t, e);
      }
    }
  }
  const byTag = new Map<string, Acc>();
  for (const [t, e] of tags) {
    if (e.digests.size === 1) {
      const [d] = e.digests;
      byDigest.get(d as string)?.refs.add(t);
    } else byTag.set(t, { pulls: new Set([t]), refs: new Set([t]), workloads: e.workloads });
  }
  const toTarget = (key: string, a: Acc): DiscoveryTarget => {
    const workloads = [...a.workloads].sort(cmp);
    return {
      key,
      ...(a.digest !== undefined ? { digest: a.digest } : {}),
      pulls: [...a.pulls].sort(cmp),
      refs: [...a.refs].sort(cmp),
      workloads: workloads.length,
      example: workloads[0] ?? "",
      ...(a.platforms !== undefined && a.platforms.size > 0 ? { platforms: [...a.platforms].sort(cmp) } : {}),
    };
  };
  const targets = [
    ...[...byDigest].map(([k, a]) => toTarget(k, a)),
    ...[...byTag].map(([k, a]) => toTarget(k, a)),
  ].sort((a, b) => cmp(a.key, b.key));
  const coverage: CoverageEntry[] = [...invalid]
    .map(([image, e]): CoverageEntry => {
      const ws = [...e.workloads].sort(cmp);
      return {
        reason: "invalid",
        subject: image,
        message: `invalid image reference "${image}" (${e.error}) in ${ws.length} workload(s), e.g. ${ws[0]}; not discovered`,
      };
    })
    .sort((a, b) => cmp(a.subject ?? "", b.subject ?? ""));
  return { targets, coverage };
}

/**
 * Split targets into those already known and those to analyze. A digest target is known when a stored image has
 * that digest (manifest or config) or was stored under `name@digest` (an index digest resolves to a platform
 * manifest: the image is stored by the latter and remembers the former as a ref). A tag target is known when a
 * stored image carries the tag — tags move, so `images add` refreshes one.
 */
export function planDiscovery(
  usages: readonly WorkloadUsage[],
  stored: readonly KnownImage[],
): DiscoveryPlan {
  const { targets, coverage } = collectDiscoveryTargets(usages);
  const byKey = new Map<string, KnownImage>();
  // Iterate in digest order so that a key shared by several stored images resolves deterministically.
  for (const img of [...stored].sort((a, b) => cmp(a.digest, b.digest))) {
    for (const k of [img.digest, img.configDigest, ...img.refs])
      if (k !== undefined && !byKey.has(k)) byKey.set(k, img);
  }
  // Platform images selected from an index: index digest NUL platform -> image.
  const byIndex = new Map<string, KnownImage>();
  for (const img of [...stored].sort((a, b) => cmp(a.digest, b.digest))) {
    const k = `${img.index ?? ""}\u0000${img.platform ?? ""}`;
    if (img.index !== undefined && !byIndex.has(k)) byIndex.set(k, img);
  }
  const plan: DiscoveryPlan = { discovered: targets, toAnalyze: [], known: [], coverage };
  for (const t of targets) {
    if (t.digest === undefined) {
      const hit = byKey.get(t.key);
      if (hit) plan.known.push({ target: t, image: hit });
      else plan.toAnalyze.push(t);
      continue;
    }
    const d = t.digest;
    // A manifest digest names one image whatever the node; an index digest names one per platform.
    const direct = byKey.get(d);
    if (direct && direct.index !== d) {
      plan.known.push({ target: t, image: direct });
      continue;
    }
    if (t.platforms === undefined) {
      const hit = direct ?? t.pulls.map((p) => byKey.get(p)).find((i): i is KnownImage => i !== undefined);
      if (hit) plan.known.push({ target: t, image: hit });
      else plan.toAnalyze.push(t);
      continue;
    }
    const missing: string[] = [];
    for (const p of t.platforms) {
      const hit = byIndex.get(`${d}\u0000${p}`);
      if (hit) plan.known.push({ target: { ...t, platforms: [p] }, image: hit });
      else missing.push(p);
    }
    if (missing.length > 0) plan.toAnalyze.push({ ...t, platforms: missing });
  }
  return plan;
}

/** Coverage reason for a failed pull, from the error code of the failure. */
export function discoveryFailureReason(code: string): CoverageReason {
  switch (code) {
    case "IO":
    case "REMOTE":
      return "unreachable";
    case "FORBIDDEN":
      return "forbidden";
    case "INPUT":
      return "missing";
    case "UNSUPPORTED":
      return "unsupported";
    case "LIMIT":
      return "limit";
    case "UNSAFE":
    case "USAGE":
      return "unsafe";
    default:
      return "invalid";
  }
}
