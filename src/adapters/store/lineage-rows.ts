/**
 * What every KnownImageStore and RemediationStore backend shares: reading stored rows back (validated), and the
 * one rule of `putImages` (refs merge per digest, a tag moves to the image of the same platform it now names),
 * as a pure plan the backends apply in their own transaction.
 */
import { PalisadeError } from "../../core/errors/index.js";
import { type CoverageEntry, cmp } from "../../core/findings/index.js";
import {
  clusterRollouts,
  type KnownImage,
  parseKnownImage,
  type RemediationRecord,
} from "../../core/lineage/index.js";
import { FORBIDDEN_KEYS, isRecord } from "../../core/util/index.js";
import type { StoredImage, TagMove } from "./ports.js";

/** A stored remediation record, validated (throws INPUT or UNSAFE). */
export function parseRemediationRecord(text: string): RemediationRecord {
  const v: unknown = JSON.parse(text, (k, val) => {
    if (FORBIDDEN_KEYS.has(k)) throw new PalisadeError("UNSAFE", `stored remediation record: key "${k}"`);
    return val;
  });
  if (!isRecord(v) || typeof v.key !== "string" || typeof v.state !== "string" || !Array.isArray(v.workloads))
    throw new PalisadeError("INPUT", "stored remediation record: bad shape");
  const r = v as unknown as RemediationRecord;
  // Records stored before rollouts were kept: derived from their workloads (exact unless the list was cut).
  if (!Array.isArray(v.rollouts)) r.rollouts = clusterRollouts(r.workloads);
  return r;
}

/** A stored known image row. */
export interface ImageRow {
  digest: string;
  platform: string;
  firstSeen: string;
  lastSeen: string;
  image: KnownImage;
}

/** The stored rows `putImages` reads: the images it names, and the images now holding the tags it names. */
export interface ImagePutInput {
  rows: Map<string, ImageRow>;
  /** Tag ref -> digests it is recorded under. */
  owners: Map<string, Set<string>>;
}

/** What to write: rows to upsert (whole), refs to add and remove, tag history steps to append (in order). */
export interface ImagePutPlan {
  rows: ImageRow[];
  addRefs: [ref: string, digest: string][];
  deleteRefs: [ref: string, digest: string][];
  moves: TagMove[];
}

/** Tag refs (not digest refs) of the images: the ones whose current owners `planImagePut` needs. */
export function tagRefs(images: readonly KnownImage[]): string[] {
  return [...new Set(images.flatMap((i) => i.refs.filter((r) => !r.includes("@"))))].sort(cmp);
}

/**
 * Apply `images` one after the other to the stored state, as one transaction would: refs merge with what is stored
 * for the same digest (firstSeen kept, lastSeen = `at`); a tag names one image per platform, so a tag now pointing
 * at an image is removed from the image of the same platform it named before.
 */
export function planImagePut(images: readonly KnownImage[], at: string, input: ImagePutInput): ImagePutPlan {
  const rows = new Map(input.rows);
  const owners = new Map([...input.owners].map(([r, s]) => [r, new Set(s)]));
  const changed = new Set<string>();
  const addRefs = new Map<string, [string, string]>();
  const deleteRefs = new Map<string, [string, string]>();
  const pair = (ref: string, digest: string) => `${ref}\u0000${digest}`;
  const moves: TagMove[] = [];
  for (const img of images) {
    const old = rows.get(img.digest);
    const merged: KnownImage = {
      ...img,
      refs: [...new Set([...(old?.image.refs ?? []), ...img.refs])].sort(cmp),
    };
    rows.set(img.digest, {
      digest: img.digest,
      platform: img.platform ?? "",
      firstSeen: old?.firstSeen ?? at,
      lastSeen: at,
      image: merged,
    });
    changed.add(img.digest);
    for (const ref of img.refs) {
      if (!ref.includes("@")) {
        for (const digest of [...(owners.get(ref) ?? [])].sort(cmp)) {
          if (digest === img.digest) continue;
          const other = rows.get(digest);
          if (!other) continue;
          if ((other.image.platform ?? "") !== (img.platform ?? "")) continue;
          rows.set(digest, {
            ...other,
            image: { ...other.image, refs: other.image.refs.filter((r) => r !== ref) },
          });
          changed.add(digest);
          owners.get(ref)?.delete(digest);
          addRefs.delete(pair(ref, digest));
          deleteRefs.set(pair(ref, digest), [ref, digest]);
        }
      }
      const set = owners.get(ref) ?? new Set<string>();
      // A tag naming a digest it did not name before: a step of its history (the first one included).
      if (!ref.includes("@") && !set.has(img.digest))
        moves.push({ ref, platform: img.platform ?? "", digest: img.digest, at });
      set.add(img.digest);
      owners.set(ref, set);
      deleteRefs.delete(pair(ref, img.digest));
      addRefs.set(pair(ref, img.digest), [ref, img.digest]);
    }
  }
  return {
    rows: [...changed].sort(cmp).map((d) => rows.get(d) as ImageRow),
    addRefs: [...addRefs.values()],
    deleteRefs: [...deleteRefs.values()],
    moves,
  };
}

/** Tag history rows in their store order (`seq`), sorted by ref and platform, order kept within one tag. */
export function sortedMoves(rows: readonly (TagMove & { seq: number })[]): TagMove[] {
  return [...rows]
    .sort((a, b) => cmp(a.ref, b.ref) || cmp(a.platform, b.platform) || a.seq - b.seq)
    .map(({ ref, platform, digest, at }) => ({ ref, platform, digest, at }));
}

/** Rows read back: an image that no longer parses is a coverage entry, not a failure. */
export function storedImages(
  rows: readonly { digest: string; firstSeen: string; lastSeen: string; image: string }[],
): { images: StoredImage[]; coverage: CoverageEntry[] } {
  const images: StoredImage[] = [];
  const coverage: CoverageEntry[] = [];
  for (const r of rows) {
    try {
      images.push({
        image: parseKnownImage(JSON.parse(r.image)),
        firstSeen: r.firstSeen,
        lastSeen: r.lastSeen,
      });
    } catch (e) {
      coverage.push({
        reason: "invalid",
        subject: r.digest,
        message: `stored image ${r.digest} is unreadable (${e instanceof Error ? e.message : String(e)}); skipped`,
      });
    }
  }
  return { images, coverage };
}
