import type { ResourceRef } from "./api";

/** `namespace/Kind/name`, or `Kind/name` for cluster-scoped objects. */
export function refText(r: ResourceRef | undefined): string {
  if (r === undefined) return "";
  return `${r.namespace ? `${r.namespace}/` : ""}${r.kind}/${r.name}`;
}

/** A timestamp as `YYYY-MM-DD HH:MM` UTC (the API's times are UTC; so is every time shown). */
export function when(iso: string | undefined): string {
  if (iso === undefined) return "";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

/** A duration in words: `3 d 4 h`, `5 h 10 min`, `42 min`. */
export function duration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "–";
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  if (d > 0) return `${d} d ${h} h`;
  if (h > 0) return `${h} h ${m} min`;
  return `${m} min`;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString("en")} ${n === 1 ? one : many}`;
}
