import { isRecord } from "../util/index.js";

/**
 * The kind of the items of a typed list: `PodList` -> `Pod`, `DeploymentList` -> `Deployment`. The generic
 * `List` (what `kubectl get a,b -o json` writes) names no item kind: its items carry their own.
 */
export function listItemKind(listKind: string): string | undefined {
  if (!listKind.endsWith("List")) return undefined;
  const kind = listKind.slice(0, -"List".length);
  return kind === "" ? undefined : kind;
}

/**
 * Give an item of a typed list the `kind` and `apiVersion` the API server leaves out. A `PodList` from the API
 * server or `kubectl get --raw /api/v1/pods` carries `kind`/`apiVersion` on the list only; client-go fills the
 * items in when it decodes the list (apimachinery `unstructuredJSONScheme.decodeToList`): the kind is the list's
 * with the `List` suffix trimmed, the apiVersion is the list's, and only when the item has neither (an item that
 * names either keeps what it names). Returns the item itself when nothing is inferred, else a shallow copy.
 */
export function inferListItemType(
  list: { kind?: unknown; apiVersion?: unknown },
  item: Record<string, unknown>,
): Record<string, unknown> {
  if (hasText(item.kind) || hasText(item.apiVersion)) return item;
  if (typeof list.kind !== "string" || typeof list.apiVersion !== "string" || list.apiVersion === "")
    return item;
  const kind = listItemKind(list.kind);
  if (kind === undefined) return item;
  const out: Record<string, unknown> = { apiVersion: list.apiVersion, kind };
  for (const k of Object.keys(item)) if (k !== "apiVersion" && k !== "kind") out[k] = item[k];
  return out;
}

/** Whether an item of `list` lacks the type that {@link inferListItemType} would infer. */
export function needsListType(item: unknown): boolean {
  return isRecord(item) && !hasText(item.kind) && !hasText(item.apiVersion);
}

function hasText(v: unknown): boolean {
  return typeof v === "string" && v !== "";
}
