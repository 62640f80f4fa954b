/**
 * The dataset of issue 14's API figure, written straight into a store as `palisade serve` would hold it after
 * ingesting it: one cluster ("fleet") of W Deployments with P pods each (1M pods in 100k workloads by default),
 * every pod owned by its Deployment through ownerReferences (as the demo's pods are), in 1,000 namespaces of 40
 * teams; the object versions of that snapshot, and the findings of its evaluation (two per Deployment, with the
 * team the server would give them). A fraction of the workloads (VULNERABLE, default 2%) run the demo's
 * checkout:2.0 image, whose openssl carries the demo's CVE-2099-0001, so `/vulnerabilities/CVE-2099-0001/impact`
 * answers over them; the others run 400 images the store does not know.
 *
 * Ingesting a 1M-pod snapshot through the API takes far longer than this bench can wait on a shared machine (the
 * ingest figure is measured at 100k objects by bench/server-api.ts); the API figure needs only the state after it.
 * The demo's catalog and its first snapshot are loaded first (images, advisories, cluster "demo").
 *
 *   npx tsx bench/server-dataset.ts DB [workloads=100000] [podsPerWorkload=10]
 */
import { hash } from "node:crypto";
import { openStores, type SnapshotObject } from "../src/adapters/store/index.js";
import { bundledDemoDir, loadDemo } from "../src/apps/server/demo.js";
import { type Finding, makeFinding } from "../src/core/findings/index.js";

export const FLEET_CLUSTER = "fleet";
const VULNERABLE = Number(process.env.SERVER_DATASET_VULNERABLE ?? 0.02);
const CHECKOUT_20 =
  "registry.example/team-a/checkout@sha256:f8662f272b9448e17d5b47d5d2995b11698b4e5c6cbc239af7f062a5b8ddd0ea";

export interface FleetDatasetStats {
  workloads: number;
  pods: number;
  objects: number;
  findings: number;
  vulnerableWorkloads: number;
}

/** Write the dataset into the store at `db` (a fresh one: the demo is loaded first). */
export async function writeFleetDataset(
  db: string,
  workloads = 100_000,
  podsPerWorkload = 10,
): Promise<FleetDatasetStats> {
  const stores = await openStores(db);
  try {
    await loadDemo(stores, bundledDemoDir(), () => new Date("2026-12-01T00:00:00.000Z"));
    const at = new Date("2026-12-05T08:00:00.000Z");
    const objects: SnapshotObject[] = [];
    const add = (o: { apiVersion: string; kind: string; metadata: Record<string, unknown> }) => {
      const json = JSON.stringify(o);
      const md = o.metadata as { name: string; namespace?: string; uid?: string };
      objects.push({
        key: {
          apiVersion: o.apiVersion,
          kind: o.kind,
          ...(md.namespace !== undefined ? { namespace: md.namespace } : {}),
          name: md.name,
        },
        uid: md.uid,
        hash: hash("sha1", json, "hex"),
        object: o,
        json,
      });
    };
    const NAMESPACES = 1_000;
    for (let n = 0; n < NAMESPACES; n++)
      add({
        apiVersion: "v1",
        kind: "Namespace",
        metadata: { name: `ns-${n}`, uid: `ns-${n}`, labels: { team: `team-${n % 40}` } },
      });
    const findings: Finding[] = [];
    let vulnerable = 0;
    const every = Math.max(1, Math.round(1 / VULNERABLE));
    for (let w = 0; w < workloads; w++) {
      const n = w % NAMESPACES;
      const ns = `ns-${n}`;
      const team = `team-${n % 40}`;
      const name = `svc-${w}`;
      const uid = `d-${w}`;
      // Spread over namespaces and teams (w % every alone would pick the same few namespaces).
      const bad = (w + Math.floor(w / NAMESPACES)) % every === 0;
      if (bad) vulnerable++;
      const image = bad
        ? "registry.example/team-a/checkout:2.0"
        : `registry.acme.internal/${team}/svc-${w % 400}:1.0`;
      const imageID = bad
        ? CHECKOUT_20
        : `registry.acme.internal/${team}/svc-${w % 400}@sha256:${hash("sha256", String(w % 400), "hex")}`;
      const labels = { app: name, team };
      add({
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name, namespace: ns, uid, labels },
        spec: {
          replicas: podsPerWorkload,
          selector: { matchLabels: { app: name } },
          template: {
            metadata: { labels },
            spec: { containers: [{ name: "app", image, securityContext: { privileged: w % 7 === 0 } }] },
          },
        },
      } as never);
      for (let p = 0; p < podsPerWorkload; p++)
        add({
          apiVersion: "v1",
          kind: "Pod",
          metadata: {
            name: `${name}-${p}`,
            namespace: ns,
            uid: `${uid}-${p}`,
            labels,
            ownerReferences: [{ apiVersion: "apps/v1", kind: "Deployment", name, uid, controller: true }],
          },
          spec: { nodeName: `node-${(w + p) % 500}`, containers: [{ name: "app", image }] },
          status: { phase: "Running", containerStatuses: [{ name: "app", image, imageID, ready: true }] },
        } as never);
      for (const [rule, severity] of [
        ["PAL-K8S-001", w % 7 === 0 ? "critical" : "high"],
        ["PAL-K8S-010", "medium"],
      ] as const)
        findings.push({
          ...makeFinding({
            ruleId: rule,
            title: rule,
            severity,
            resource: { apiVersion: "apps/v1", kind: "Deployment", namespace: ns, name },
            fieldPath: "spec.template.spec.containers[0].securityContext",
            message: `${rule} on Deployment ${ns}/${name}: container "app" runs without a hardened securityContext`,
            evidence: `securityContext.privileged=${w % 7 === 0}`,
            remediation: "set runAsNonRoot: true, allowPrivilegeEscalation: false and drop ALL capabilities",
            compliance: [{ framework: "CIS", id: "5.2.1" }],
            category: "workload",
          } as never),
          team,
        } as Finding);
    }
    await stores.snapshots.putSnapshot(FLEET_CLUSTER, at, "all", objects);
    await stores.findings.upsertEvaluation(FLEET_CLUSTER, at, findings);
    return {
      workloads,
      pods: workloads * podsPerWorkload,
      objects: objects.length,
      findings: findings.length,
      vulnerableWorkloads: vulnerable,
    };
  } finally {
    await stores.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const db = process.argv[2];
  if (db === undefined) throw new Error("usage: server-dataset.ts DB [workloads] [podsPerWorkload]");
  const t0 = performance.now();
  const s = await writeFleetDataset(db, Number(process.argv[3] ?? 100_000), Number(process.argv[4] ?? 10));
  console.log(JSON.stringify({ ...s, seconds: Math.round((performance.now() - t0) / 1000) }));
}
