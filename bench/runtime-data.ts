/** Shared data of the runtime benchmarks: a generated cluster over two snapshots and Hubble flow lines. */
import { buildInventory } from "../src/core/inventory/index.js";
import type { TimedInventory } from "../src/core/runtime/index.js";

export const T0 = Date.parse("2026-12-04T09:00:00Z");
export const ip = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;

/** 300 Deployments x 10 pods in 30 namespaces, two snapshots ten minutes apart (a third of the pods replaced). */
export function snapshots(): TimedInventory[] {
  const objects = (gen: number) => {
    const out: Record<string, unknown>[] = [];
    for (let d = 0; d < 300; d++) {
      const ns = `ns-${d % 30}`;
      const name = `app-${d}`;
      out.push({
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name, namespace: ns, uid: `d-${d}`, labels: { team: `team-${d % 7}` } },
        spec: {
          selector: { matchLabels: { app: name } },
          template: {
            metadata: { labels: { app: name } },
            spec: { containers: [{ name: "c", image: `r/${name}:1` }] },
          },
        },
      });
      out.push({
        apiVersion: "apps/v1",
        kind: "ReplicaSet",
        metadata: {
          name: `${name}-rs`,
          namespace: ns,
          uid: `rs-${d}`,
          ownerReferences: [
            { apiVersion: "apps/v1", kind: "Deployment", name, uid: `d-${d}`, controller: true },
          ],
        },
        spec: {
          template: {
            metadata: { labels: { app: name } },
            spec: { containers: [{ name: "c", image: `r/${name}:1` }] },
          },
        },
      });
      for (let p = 0; p < 10; p++) {
        const i = d * 10 + p;
        const replaced = gen === 1 && p % 3 === 0;
        out.push({
          apiVersion: "v1",
          kind: "Pod",
          metadata: {
            name: `${name}-${p}${replaced ? "b" : ""}`,
            namespace: ns,
            uid: `u-${i}-${replaced}`,
            ownerReferences: [
              {
                apiVersion: "apps/v1",
                kind: "ReplicaSet",
                name: `${name}-rs`,
                uid: `rs-${d}`,
                controller: true,
              },
            ],
          },
          spec: { nodeName: `n${i % 20}`, containers: [{ name: "c", image: `r/${name}:1` }] },
          status: {
            phase: "Running",
            podIP: ip(i + 1),
            startTime: new Date(T0 - 3_600_000 + (replaced ? 4_200_000 : 0)).toISOString(),
            containerStatuses: [{ name: "c", imageID: `r/${name}@sha256:${String(d).padStart(64, "0")}` }],
          },
        });
      }
    }
    return buildInventory(out.map((object) => ({ object, origin: "snapshot" as const })));
  };
  return [
    { at: T0, inventory: objects(0) },
    { at: T0 + 600_000, inventory: objects(1) },
  ];
}

export function flowLine(k: number): string {
  const t = new Date(T0 + ((k * 7919) % 1_200_000)).toISOString();
  const src = ip((k % 3000) + 1);
  const dst = k % 5 === 0 ? `203.0.113.${k % 250}` : ip(((k * 31) % 3000) + 1);
  return `{"flow":{"time":"${t}","verdict":"FORWARDED","IP":{"source":"${src}","destination":"${dst}"},"l4":{"TCP":{"source_port":${30000 + (k % 30000)},"destination_port":${k % 2 ? 5432 : 8080}}},"node_name":"n${k % 20}"},"node_name":"n${k % 20}","time":"${t}"}`;
}
