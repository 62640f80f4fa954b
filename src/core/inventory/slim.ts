import { isRecord } from "../util/index.js";
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
    if (meta.managedFields !== undefined || dropApplied) {
      const m: Record<string, unknown> = { ...meta };
      delete m.managedFields;
      if (dropApplied) {
        const a: Record<string, unknown> = { ...(ann as Record<string, unknown>) };
        delete a[LAST_APPLIED_ANNOTATION];
        m.annotations = a;
      }
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
    const s = { ...status };
    delete s.images;
    copy().status = s;
  }
  return out;
}

function slimContainerStatus(cs: unknown): unknown {
  if (!isRecord(cs)) return cs;
  const out: Record<string, unknown> = {};
  for (const k of CONTAINER_STATUS_FIELDS) if (cs[k] !== undefined) out[k] = cs[k];
  return out;
}
