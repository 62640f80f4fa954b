/**
 * kubectl's `auth can-i VERB TYPE[/NAME]` argument, without a live discovery client. kubectl lowercases the
 * argument, splits off `/NAME`, then `schema.ParseResourceArg`: `resource.version.group` when there are two or
 * more dots and that resolves, otherwise `resource.group` split at the FIRST dot; the RESTMapper then resolves
 * plural/singular/short names through discovery. Offline we resolve the built-in resources from a static table
 * (the kernel's built-in resources, Kubernetes 1.30 discovery); an unknown resource keeps the group it was written with (kubectl's own fallback
 * when the mapper fails).
 */
import { lookupResourceName } from "../k8s/index.js";

const VERSION = /^v\d+((alpha|beta)\d+)?$/;

export interface ResourceArg {
  resource: string;
  apiGroup: string;
  name?: string;
}

/** Parse `TYPE[/NAME]` as kubectl does (see module comment). `*` stays `*` in the core group. */
export function parseResourceArg(arg: string): ResourceArg {
  const slash = arg.indexOf("/");
  const typ = slash >= 0 ? arg.slice(0, slash) : arg;
  const name = slash >= 0 ? arg.slice(slash + 1) : undefined;
  const withName = (x: { resource: string; apiGroup: string }): ResourceArg =>
    name !== undefined ? { ...x, name } : x;
  if (typ === "*") return withName({ resource: "*", apiGroup: "" });
  const lower = typ.toLowerCase();
  const parts = lower.split(".");
  if (parts.length >= 3) {
    const [res, ver] = parts as [string, string];
    const group = parts.slice(2).join(".");
    const known = lookupResourceName(res);
    if (VERSION.test(ver) && known && known.group === group)
      return withName({ resource: known.resource, apiGroup: group });
  }
  const dot = lower.indexOf(".");
  if (dot >= 0) {
    const res = lower.slice(0, dot);
    const group = lower.slice(dot + 1);
    const known = lookupResourceName(res);
    if (known && known.group === group) return withName({ resource: known.resource, apiGroup: group });
    return withName({ resource: res, apiGroup: group });
  }
  const known = lookupResourceName(lower);
  if (known) return withName({ resource: known.resource, apiGroup: known.group });
  return withName({ resource: lower, apiGroup: "" });
}
