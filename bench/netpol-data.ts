/**
 * The generated cluster of the NetworkPolicy benchmark (bench/netpol.ts): W workloads in W/50 namespaces,
 * per-namespace default-deny ingress and egress, DNS egress, per-app ingress allows (same namespace, named and
 * numeric ports, a few cross-namespace and ipBlock rules), P policies in all, from a fixed seed.
 *
 *   npx tsx bench/netpol-data.ts OUT.json [workloads=10000] [policies=10000]   # write it as a List file
 */
import { writeFileSync } from "node:fs";
import { pickWith, prng } from "../test/support/prng.js";

/** The cluster's objects (Namespaces, Deployments, NetworkPolicies). */
export function generateNetpolCluster(W = 10_000, P = 10_000): Record<string, unknown>[] {
  const NS = Math.max(1, Math.round(W / 50));

  const rand = prng(42);
  const pick = pickWith(rand);

  const objects: Record<string, unknown>[] = [];
  const nsName = (i: number) => `team-${i}`;
  const apps: { ns: string; app: string }[] = [];
  objects.push({ apiVersion: "v1", kind: "Namespace", metadata: { name: "kube-system" } });
  objects.push({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "coredns", namespace: "kube-system" },
    spec: {
      template: {
        metadata: { labels: { "k8s-app": "kube-dns" } },
        spec: {
          containers: [
            { name: "dns", image: "coredns:1", ports: [{ name: "dns", containerPort: 53, protocol: "UDP" }] },
          ],
        },
      },
    },
  });
  for (let n = 0; n < NS; n++) {
    objects.push({
      apiVersion: "v1",
      kind: "Namespace",
      metadata: {
        name: nsName(n),
        labels: { tier: pick(["frontend", "backend", "data"]), env: pick(["prod", "staging"]) },
      },
    });
  }
  for (let i = 0; i < W - 1; i++) {
    const ns = nsName(i % NS);
    const app = `app-${i}`;
    apps.push({ ns, app });
    objects.push({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: app, namespace: ns },
      spec: {
        replicas: 2,
        template: {
          metadata: {
            labels: { app, role: pick(["api", "worker", "db", "cache"]), version: pick(["v1", "v2"]) },
          },
          spec: {
            containers: [
              {
                name: "main",
                image: `registry.example/${app}:1`,
                ports: [
                  { name: "http", containerPort: pick([8080, 8000, 3000]) },
                  { name: "metrics", containerPort: 9090 },
                ],
              },
            ],
          },
        },
      },
    });
  }
  const policy = (ns: string, name: string, spec: Record<string, unknown>) =>
    objects.push({
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name, namespace: ns },
      spec,
    });
  let count = 0;
  for (let n = 0; n < NS && count < P; n++) {
    const ns = nsName(n);
    policy(ns, "default-deny", { podSelector: {}, policyTypes: ["Ingress", "Egress"] });
    policy(ns, "allow-dns", {
      podSelector: {},
      policyTypes: ["Egress"],
      egress: [
        {
          to: [
            {
              namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } },
              podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
            },
          ],
          ports: [{ port: 53, protocol: "UDP" }, { port: 53 }],
        },
      ],
    });
    policy(ns, "allow-egress-in-namespace", {
      podSelector: {},
      policyTypes: ["Egress"],
      egress: [{ to: [{ podSelector: {} }] }],
    });
    count += 3;
  }
  let k = 0;
  while (count < P) {
    const { ns, app } = apps[k % apps.length] as { ns: string; app: string };
    const kind = k % 10;
    const from =
      kind < 6
        ? [{ podSelector: { matchLabels: { role: pick(["api", "worker"]) } } }]
        : kind < 8
          ? [
              {
                namespaceSelector: { matchLabels: { tier: "frontend", env: "prod" } },
                podSelector: { matchLabels: { role: "api" } },
              },
            ]
          : kind < 9
            ? [{ podSelector: { matchExpressions: [{ key: "version", operator: "In", values: ["v2"] }] } }]
            : [{ ipBlock: { cidr: `10.${k % 256}.0.0/16`, except: [`10.${k % 256}.1.0/24`] } }];
    policy(ns, `allow-${app}-${k}`, {
      podSelector: { matchLabels: { app } },
      policyTypes: ["Ingress"],
      ingress: [{ from, ports: [pick([{ port: "http" }, { port: 8080 }, { port: 9000, endPort: 9100 }])] }],
    });
    if (k % 25 === 0)
      policy(ns, `egress-${app}-${k}`, {
        podSelector: { matchLabels: { app } },
        policyTypes: ["Egress"],
        egress: [
          {
            to: [
              { ipBlock: { cidr: "0.0.0.0/0", except: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"] } },
            ],
            ports: [{ port: 443 }],
          },
        ],
      });
    count += k % 25 === 0 ? 2 : 1;
    k++;
  }
  return objects;
}

if (process.argv[1] === import.meta.filename) {
  const [out, w, p] = process.argv.slice(2);
  if (!out) throw new Error("usage: npx tsx bench/netpol-data.ts OUT.json [workloads] [policies]");
  const objects = generateNetpolCluster(Number(w ?? 10_000), Number(p ?? 10_000));
  writeFileSync(out, JSON.stringify({ apiVersion: "v1", kind: "List", items: objects }));
}
