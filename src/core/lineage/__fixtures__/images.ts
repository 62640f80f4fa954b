/** Builders for lineage tests: known images, OSV records and inventories in a few lines each. */
import { type RawObject } from "../../inventory/index.js";
import type { Package } from "../../sbom/index.js";
import { advisoryKey, type OsvRecord, parseOsvRecord } from "../../vuln/index.js";
import { canonicalRef } from "../known-image.js";
import type { KnownImage } from "../model.js";

/** `sha256:` + n in hex, padded: a valid, readable digest. */
export const dg = (n: number): string => `sha256:${n.toString(16).padStart(64, "0")}`;
/** A diff_id distinct from every `dg` digest. */
export const layer = (name: string): string => {
  let h = 0;
  for (const c of name) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return `sha256:${"f".repeat(48)}${h.toString(16).padStart(16, "0")}`;
};

export function deb(name: string, version: string, layerIndex: number, layers: string[]): Package {
  return {
    type: "deb",
    name,
    version,
    purl: `pkg:deb/debian/${name}@${version}?distro=debian-12`,
    locations: ["var/lib/dpkg/status"],
    layerIndex,
    layerDiffId: layers[layerIndex],
  };
}

/**
 * A known image: `layers` are layer names (turned into diff_ids), `pkgs` are [name, version, layer index].
 */
export function img(
  n: number,
  refs: string[],
  layerNames: string[],
  pkgs: [string, string, number][] = [],
  extra: Partial<KnownImage> = {},
): KnownImage {
  const layers = layerNames.map(layer);
  return {
    digest: dg(n),
    refs: refs.map((r) => canonicalRef(r) ?? r).sort(),
    layers,
    platform: "linux/amd64",
    annotations: {},
    os: { id: "debian", versionId: "12" },
    packages: pkgs.map(([name, version, li]) => deb(name, version, li, layers)),
    ...extra,
  };
}

/** A Debian:12 OSV record: `name` affected from 0, fixed at `fixed` (or no fix). */
export function osv(id: string, name: string, fixed: string | undefined, score = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", aliases: string[] = []): OsvRecord {
  const r = parseOsvRecord(
    {
      id,
      modified: "2024-01-01T00:00:00Z",
      aliases,
      severity: [{ type: "CVSS_V3", score }],
      affected: [
        {
          package: { ecosystem: "Debian:12", name },
          ranges: [{ type: "ECOSYSTEM", events: [{ introduced: "0" }, ...(fixed ? [{ fixed }] : [])] }],
        },
      ],
    },
    id,
  );
  if (!r.record) throw new Error(`bad fixture ${id}: ${JSON.stringify(r.coverage)}`);
  return r.record;
}

export function byKey(records: OsvRecord[]): Map<string, OsvRecord[]> {
  const m = new Map<string, OsvRecord[]>();
  for (const r of records)
    for (const a of r.affected) {
      const k = advisoryKey("Debian", a.package.name);
      m.set(k, [...(m.get(k) ?? []), r]);
    }
  return m;
}

/** A Deployment with `replicas` and, when `podDigests` is given, one pod per entry reporting that imageID. */
export function deployment(
  ns: string,
  name: string,
  image: string,
  opts: { replicas?: number; team?: string; podDigests?: string[]; labels?: Record<string, string>; cluster?: string } = {},
): RawObject[] {
  const labels = opts.labels ?? { app: name };
  const out: RawObject[] = [
    {
      object: {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name, namespace: ns, uid: `uid-${ns}-${name}`, labels: opts.team ? { team: opts.team } : {} },
        spec: {
          replicas: opts.replicas ?? 1,
          selector: { matchLabels: labels },
          template: { metadata: { labels }, spec: { containers: [{ name: "app", image }] } },
        },
      },
    },
  ];
  (opts.podDigests ?? []).forEach((d, i) => {
    out.push({
      object: {
        apiVersion: "v1",
        kind: "Pod",
        metadata: {
          name: `${name}-${i}`,
          namespace: ns,
          labels,
          ownerReferences: [{ apiVersion: "apps/v1", kind: "Deployment", name, uid: `uid-${ns}-${name}`, controller: true }],
        },
        spec: { containers: [{ name: "app", image }] },
        status: { phase: "Running", containerStatuses: [{ name: "app", image, imageID: `${image.split(/[:@]/)[0]}@${d}` }] },
      },
    });
  });
  if (opts.cluster !== undefined) for (const r of out) r.cluster = opts.cluster;
  return out;
}

export function service(ns: string, name: string, selector: Record<string, string>, type = "ClusterIP"): RawObject {
  return { object: { apiVersion: "v1", kind: "Service", metadata: { name, namespace: ns }, spec: { type, selector } } };
}
