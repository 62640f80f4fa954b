/** Shared readers for posture rules: capabilities, volumes, host paths. Pure. */
import { joinPath } from "../../inventory/index.js";
import { isRecord } from "../../util/index.js";
import type { ContainerView, WorkloadView } from "../engine.js";

export interface CapEntry {
  /** Normalised name: upper case, without the `CAP_` prefix the runtime would strip anyway. */
  name: string;
  raw: string;
  path: string;
}

/** Capabilities in `securityContext.capabilities.add` or `.drop` (container-level only in the API). */
export function capabilities(wv: WorkloadView, cv: ContainerView, field: "add" | "drop"): CapEntry[] {
  const capsPath = joinPath(cv.scPath, "capabilities");
  const caps = wv.read.rec(cv.sc, "capabilities", cv.scPath);
  const list = wv.read.list(caps, field, capsPath) ?? [];
  const out: CapEntry[] = [];
  list.forEach((v, i) => {
    if (typeof v !== "string") return;
    // containerd and CRI-O accept both "SYS_ADMIN" and "CAP_SYS_ADMIN"; compare without the prefix.
    const name = v.toUpperCase().replace(/^CAP_/, "");
    out.push({ name, raw: v, path: joinPath(capsPath, field, i) });
  });
  return out;
}

export interface VolumeEntry {
  index: number;
  name: string;
  raw: Record<string, unknown>;
  path: string;
}

/** The pod's volumes that are objects. */
export function volumes(wv: WorkloadView): VolumeEntry[] {
  const list = wv.read.list(wv.spec, "volumes", wv.specPath) ?? [];
  const out: VolumeEntry[] = [];
  list.forEach((v, index) => {
    if (!isRecord(v)) return;
    const name = typeof v.name === "string" ? v.name : `volumes[${index}]`;
    out.push({ index, name, raw: v, path: joinPath(wv.specPath, "volumes", index) });
  });
  return out;
}

export interface HostPathEntry extends VolumeEntry {
  /** The host path as written. */
  hostPath: string;
  /** Normalised: `//` collapsed, `.` segments removed, no trailing slash (except for `/`). */
  normalized: string;
  /** Field path of `hostPath.path`. */
  pathField: string;
}

/** Normalise a host path for prefix comparisons. `..` is resolved lexically, as the kubelet would see it. */
export function normalizeHostPath(p: string): string {
  const out: string[] = [];
  for (const seg of p.split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") out.pop();
    else out.push(seg);
  }
  return `/${out.join("/")}`;
}

/** `a` equals `b` or is an ancestor directory of it. */
export function isAncestorOrSelf(a: string, b: string): boolean {
  return a === b || a === "/" || b.startsWith(`${a}/`);
}

export function hostPathVolumes(wv: WorkloadView): HostPathEntry[] {
  const out: HostPathEntry[] = [];
  for (const v of volumes(wv)) {
    const hp = wv.read.rec(v.raw, "hostPath", v.path);
    if (!hp) continue;
    const hpPath = joinPath(v.path, "hostPath");
    const p = wv.read.str(hp, "path", hpPath) ?? "";
    out.push({ ...v, hostPath: p, normalized: normalizeHostPath(p), pathField: joinPath(hpPath, "path") });
  }
  return out;
}

/** The volume mounts of a container that are objects, with their index. */
export function volumeMounts(
  wv: WorkloadView,
  cv: ContainerView,
): { index: number; raw: Record<string, unknown>; path: string; name: string | undefined }[] {
  const list = wv.read.list(cv.spec, "volumeMounts", cv.path) ?? [];
  const out: { index: number; raw: Record<string, unknown>; path: string; name: string | undefined }[] = [];
  list.forEach((m, index) => {
    if (!isRecord(m)) return;
    out.push({
      index,
      raw: m,
      path: joinPath(cv.path, "volumeMounts", index),
      name: typeof m.name === "string" ? m.name : undefined,
    });
  });
  return out;
}

/** Show a string value as evidence, capped so a huge value cannot bloat the report. */
export function show(v: string): string {
  return v.length > 200 ? `${v.slice(0, 200)}… (${v.length} chars)` : v;
}
