/**
 * Impact-query latency and full re-evaluation time over generated data:
 * 20k known images (5 roots -> 50 company bases -> apps, 3 levels), 100k workloads, 1M running pods.
 * Prints p50/p99 of 1,000 `impact()` queries (target p99 < 50 ms) and the time to re-evaluate everything
 * (lineage + advisory matching + attribution + impact index + remediation records) after importing a new
 * advisory set (target < 60 s). Run: npx tsx bench/impact.ts [images] [workloads] [pods]
 */
import type { ResourceRef } from "../src/core/findings/index.js";
import {
  advance,
  attributeVulns,
  buildImpactIndex,
  buildLineage,
  impact,
  type KnownImage,
  matchLineage,
  observeRemediation,
  type WorkloadUsage,
} from "../src/core/lineage/index.js";
import type { Package } from "../src/core/sbom/index.js";
import { advisoryKey, DEFAULT_RESOLVER, type OsvRecord, parseOsvRecord } from "../src/core/vuln/index.js";

const IMAGES = Number(process.argv[2] ?? 20_000);
const WORKLOADS = Number(process.argv[3] ?? 100_000);
const PODS = Number(process.argv[4] ?? 1_000_000);
const QUERIES = 1_000;

let seed = 42;
const rand = (): number => {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed / 0x7fffffff;
};
const int = (n: number): number => Math.floor(rand() * n);
const hex = (n: number, tag: string): string =>
  `sha256:${tag}${n.toString(16).padStart(64 - tag.length, "0")}`;

function pkg(name: string, layerIndex: number, layers: string[]): Package {
  return {
    type: "deb",
    name,
    version: "1.0-1",
    purl: `pkg:deb/debian/${name}@1.0-1?distro=debian-12`,
    locations: ["var/lib/dpkg/status"],
    layerIndex,
    layerDiffId: layers[layerIndex],
  };
}

// --- images: 5 roots x 40 packages, 50 bases (+10 packages), apps (+5 packages) ---------------------------
const t0 = performance.now();
const images: KnownImage[] = [];
const roots: KnownImage[] = [];
const bases: KnownImage[] = [];
const mk = (i: number, ref: string, layers: string[], pkgs: Package[]): KnownImage => ({
  digest: hex(i, "a"),
  refs: [ref],
  layers,
  platform: "linux/amd64",
  annotations: {},
  os: { id: "debian", versionId: "12" },
  packages: pkgs,
});
let n = 0;
for (let r = 0; r < 5; r++) {
  const layers = [hex(n, "d")];
  const pk = Array.from({ length: 40 }, (_, k) => pkg(`root${r}-pkg${k}`, 0, layers));
  roots.push(mk(n++, `docker.io/library/os${r}:1`, layers, pk));
}
for (let b = 0; b < 50; b++) {
  const root = roots[b % 5] as KnownImage;
  const layers = [...root.layers, hex(n, "d")];
  const pk = [...root.packages, ...Array.from({ length: 10 }, (_, k) => pkg(`base${b}-pkg${k}`, 1, layers))];
  // Two tags per base repository: :1 and :2, the second with different own packages.
  bases.push(mk(n++, `registry.example/company/base${b >> 1}:${(b & 1) + 1}`, layers, pk));
}
images.push(...roots, ...bases);
while (images.length < IMAGES) {
  const base = bases[int(bases.length)] as KnownImage;
  const layers = [...base.layers, hex(n, "d")];
  const app = n;
  const pk = [
    ...base.packages,
    ...Array.from({ length: 5 }, (_, k) => pkg(`app${app % 2000}-pkg${k}`, 2, layers)),
  ];
  images.push(mk(n++, `registry.example/team${app % 200}/app${app}:1`, layers, pk));
}
const genImagesMs = performance.now() - t0;

// --- advisories: a new set hitting ~25% of package names, half with a GHSA alias ------------------------------
function advisorySet(round: number): Map<string, OsvRecord[]> {
  const names = new Set<string>();
  for (const img of [...roots, ...bases]) for (const p of img.packages) names.add(p.name);
  for (let a = 0; a < 2000; a++) for (let k = 0; k < 5; k++) names.add(`app${a}-pkg${k}`);
  const byKey = new Map<string, OsvRecord[]>();
  let i = 0;
  for (const name of [...names].sort()) {
    if (rand() > 0.25) continue;
    const id = `CVE-2099-${String(round * 100000 + i++).padStart(5, "0")}`;
    const rec = parseOsvRecord(
      {
        id: `DEBIAN-${id}`,
        modified: "2025-01-01T00:00:00Z",
        aliases: rand() < 0.5 ? [id, `GHSA-${i.toString(36).padStart(4, "0")}-xxxx-yyyy`] : [id],
        severity: [{ type: "CVSS_V3", score: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H" }],
        affected: [
          {
            package: { ecosystem: "Debian:12", name },
            ranges: [{ type: "ECOSYSTEM", events: [{ introduced: "0" }, { fixed: "1.0-2" }] }],
          },
        ],
      },
      id,
    ).record;
    if (rec) byKey.set(advisoryKey("Debian", name), [rec]);
  }
  return byKey;
}

// --- workloads and 1M pods: pods report the workload's digest, 10% an older image (mid-rollout) --------------
const t1 = performance.now();
const usages: WorkloadUsage[] = [];
const appImages = images.slice(55);
const workloadImage: KnownImage[] = [];
for (let w = 0; w < WORKLOADS; w++) {
  const ns = `ns${w % 2000}`;
  const ref: ResourceRef = { apiVersion: "apps/v1", kind: "Deployment", namespace: ns, name: `w${w}` };
  const img = appImages[int(appImages.length)] as KnownImage;
  workloadImage.push(img);
  usages.push({
    ref,
    cluster: `cluster${w % 4}`,
    team: `team${w % 200}`,
    replicas: 0,
    exposed: w % 10 === 0,
    containers: [{ name: "app", image: img.refs[0] as string, running: [] }],
  });
}
const running = usages.map(() => new Map<string, number>());
for (let p = 0; p < PODS; p++) {
  const w = int(WORKLOADS);
  const digest =
    rand() < 0.9
      ? (workloadImage[w] as KnownImage).digest
      : (appImages[int(appImages.length)] as KnownImage).digest;
  const m = running[w] as Map<string, number>;
  m.set(digest, (m.get(digest) ?? 0) + 1);
}
usages.forEach((u, w) => {
  const m = running[w] as Map<string, number>;
  u.replicas = [...m.values()].reduce((a, b) => a + b, 0);
  (u.containers[0] as WorkloadUsage["containers"][number]).running = [...m]
    .map(([digest, replicas]) => ({ digest, replicas }))
    .sort((a, b) => (a.digest < b.digest ? -1 : 1));
});
usages.sort(
  (a, b) =>
    (a.ref.namespace as string).localeCompare(b.ref.namespace as string) ||
    a.ref.name.localeCompare(b.ref.name),
);
const genPodsMs = performance.now() - t1;

// --- full evaluation: lineage + matching + attribution + index + remediation records --------------------------
function evaluate(byKey: Map<string, OsvRecord[]>, records: Parameters<typeof advance>[0], now: Date) {
  const lineage = buildLineage(images);
  const m = matchLineage(lineage, byKey, DEFAULT_RESOLVER);
  const vulns = attributeVulns(lineage, m.findings);
  const index = buildImpactIndex(lineage, vulns, usages);
  const r = advance(records, observeRemediation(index), now);
  return { index, records: r.records };
}
const first = evaluate(advisorySet(1), [], new Date("2025-01-01T00:00:00Z"));
const set2 = advisorySet(2);
const t2 = performance.now();
const second = evaluate(set2, first.records, new Date("2025-01-02T00:00:00Z"));
const reevalMs = performance.now() - t2;

// --- impact queries ------------------------------------------------------------------------------------------
const ids = [...second.index.vulns.aliasToId.keys()].sort();
const times: number[] = [];
let answered = 0;
let maxWorkloads = 0;
for (let q = 0; q < QUERIES; q++) {
  const id = ids[int(ids.length)] as string;
  const s = performance.now();
  const a = impact(second.index, id);
  times.push(performance.now() - s);
  if (a.totals.workloads > 0) answered++;
  maxWorkloads = Math.max(maxWorkloads, a.totals.workloads);
}
times.sort((a, b) => a - b);
const pct = (p: number): number =>
  times[Math.min(times.length - 1, Math.floor((p / 100) * times.length))] as number;

console.log(
  JSON.stringify(
    {
      images: images.length,
      nodes: second.index.lineage.nodes.size,
      workloads: WORKLOADS,
      pods: PODS,
      vulnerabilityIds: second.index.vulns.nodesByVuln.size,
      remediationRecords: second.records.length,
      generateImagesMs: Math.round(genImagesMs),
      generatePodsMs: Math.round(genPodsMs),
      reevaluateAfterNewAdvisoriesMs: Math.round(reevalMs),
      queries: QUERIES,
      queriesWithWorkloads: answered,
      largestAnswerWorkloads: maxWorkloads,
      impactP50Ms: Number(pct(50).toFixed(3)),
      impactP99Ms: Number(pct(99).toFixed(3)),
      impactMaxMs: Number(pct(100).toFixed(3)),
    },
    null,
    2,
  ),
);
