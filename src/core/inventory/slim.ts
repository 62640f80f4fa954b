import { asStringMapIfStrings, isRecord } from "../util/index.js";
import { LAST_APPLIED_ANNOTATION } from "./build.js";

/** Fields of a container status that analysis reads (lineage: which digest runs, from `imageID`). */
const CONTAINER_STATUS_FIELDS = ["name", "image", "imageID", "ready", "restartCount"] as const;
const CONTAINER_STATUS_LISTS = ["initContainerStatuses", "containerStatuses", "ephemeralContainerStatuses"];

/**
 * Drop what no analysis reads and what makes up most of a live object's size, at load, so a 1M-object snapshot
 * fits in memory (issue: scale). Removed:
 * - `metadata.managedFields` (server-side apply bookkeeping, often half of an object);
 * - the `kubectl.kubernetes.io/last-applied-configuration` annotation, except on Secrets (a rule reports Secret
 *   values kept there; the loaders redact it);
 * - Pod `status.conditions`, and container statuses reduced to name, image, imageID, ready, restartCount
 *   (NetworkPolicy reads `phase`/`podIP`/`podIPs`, lineage reads `imageID`);
 * - Node `status.images` (every image cached on the node).
 * Labels and annotations whose values are all strings become the string maps the inventory keeps (same keys, same
 * order, same JSON), so an object's metadata and its normalised labels share one map instead of holding two.
 * Returns the object itself when nothing is dropped, else a copy (the input is never mutated).
 */
export function slimObject(o: Record<string, unknown>): Record<string, unknown> {
  let out = o;
  const copy = (): Record<string, unknown> => {
    if (out === o) out = { ...o };
    return out;
  };
  const meta = o.metadata;
  if (isRecord(meta)) {
    const ann = meta.annotations;
    const dropApplied = o.kind !== "Secret" && isRecord(ann) && LAST_APPLIED_ANNOTATION in ann;
    const kept = dropApplied ? without(ann as Record<string, unknown>, LAST_APPLIED_ANNOTATION) : ann;
    const labels = asStringMapIfStrings(meta.labels);
    const annotations = asStringMapIfStrings(kept);
    if (meta.managedFields !== undefined || labels !== meta.labels || annotations !== ann) {
      const m = without(meta, "managedFields");
      if (labels !== meta.labels) m.labels = labels;
      if (annotations !== ann) m.annotations = annotations;
      copy().metadata = m;
    }
  }
  const status = o.status;
  if (o.kind === "Pod" && isRecord(status)) {
    const s: Record<string, unknown> = {};
    for (const k of Object.keys(status)) {
      if (k === "conditions") continue;
      const v = status[k];
      s[k] = CONTAINER_STATUS_LISTS.includes(k) && Array.isArray(v) ? v.map(slimContainerStatus) : v;
    }
    copy().status = s;
  } else if (o.kind === "Node" && isRecord(status) && status.images !== undefined) {
    copy().status = without(status, "images");
  }
  return out;
}

/**
 * A copy of `o` without the field `drop`, in the same key order. Not a spread and `delete`: V8 turns an object
 * with a deleted property into a hash table (dictionary mode), several times the size of the same object built by
 * adding its fields, and metadata is kept for every object of a snapshot.
 */
function without(o: Record<string, unknown>, drop: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(o)) if (k !== drop) out[k] = o[k];
  return out;
}

function slimContainerStatus(cs: unknown): unknown {
  if (!isRecord(cs)) return cs;
  const out: Record<string, unknown> = {};
  for (const k of CONTAINER_STATUS_FIELDS) if (cs[k] !== undefined) out[k] = cs[k];
  return out;
}
