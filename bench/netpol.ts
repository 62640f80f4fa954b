/**
 * NetworkPolicy connectivity at scale: generated cluster with many namespaces, per-namespace default-deny ingress
 * and egress, DNS egress, per-app ingress allows (same namespace, named and numeric ports, a few cross-namespace
 * and ipBlock rules). Prints the time of each phase and peak RSS. The last phase repeats the connectivity analysis
 * with ipBlocks matching pods on a 10.9.0.0/16 pod network: the generated ingress ipBlocks 10.9.0.0/16 (except
 * 10.9.1.0/24) then admit every pod, so the mode has real work (class signatures, many more edges).
 *
 *   npx tsx bench/netpol.ts [workloads=10000] [policies=10000]
 */
import { buildInventory, type RawObject } from "../src/core/inventory/index.js";
import { analyzeConnectivity, netpolFindings } from "../src/core/netpol/index.js";

const W = Number(process.argv[2] ?? 10_000);
const P = Number(process.argv[3] ?? 10_000);
const NS = Math.max(1, Math.round(W / 50));

// Deterministic PRNG (mulberry32) so runs are comparable.
let seed = 42;
const rand = (): number => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;

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
          to: [{ ipBlock: { cidr: "0.0.0.0/0", except: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"] } }],
          ports: [{ port: 443 }],
        },
      ],
    });
  count += k % 25 === 0 ? 2 : 1;
  k++;
}

let peak = process.memoryUsage().rss;
const sampler = setInterval(() => {
  peak = Math.max(peak, process.memoryUsage().rss);
}, 5);
// Wall time and CPU time (user+system) of this process: on a shared machine the CPU figure is the steadier one.
const time = <T>(label: string, f: () => T): T => {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const r = f();
  const c = process.cpuUsage(c0);
  peak = Math.max(peak, process.memoryUsage().rss);
  console.log(
    `${label}: ${(performance.now() - t0).toFixed(0)} ms wall, ${((c.user + c.system) / 1000).toFixed(0)} ms cpu`,
  );
  return r;
};
const raws: RawObject[] = objects.map((object) => ({ object }));
const inv = time("buildInventory", () => buildInventory(raws));
console.log(
  `workloads: ${inv.workloads.length}, networkPolicies: ${inv.networkPolicies.length}, namespaces: ${inv.namespaces.size}`,
);
const conn = time("analyzeConnectivity", () => analyzeConnectivity(inv));
console.log(`edges: ${conn.edges.length}, coverage: ${conn.coverage.length}`);
const f = time("netpolFindings", () => netpolFindings(inv));
console.log(`findings: ${f.findings.length}`);
const podMode = { ipBlockMatchesPods: true, podCidrs: ["10.9.0.0/16"] };
const wide = time("analyzeConnectivity (ipBlockMatchesPods, pod CIDR 10.9.0.0/16)", () =>
  analyzeConnectivity(inv, podMode),
);
console.log(`edges: ${wide.edges.length}, coverage: ${wide.coverage.length}`);
const f2 = time("netpolFindings (pod CIDR 10.9.0.0/16)", () => netpolFindings(inv, podMode));
console.log(
  `findings: ${f2.findings.length} (PAL-NET-011: ${f2.findings.filter((x) => x.ruleId === "PAL-NET-011").length})`,
);
clearInterval(sampler);
console.log(`peak RSS: ${(peak / 1024 / 1024).toFixed(0)} MB`);

// The whole command, as users run it (process start, loading the file, inventory, connectivity, findings, output).
// Needs `npm run build`.
{
  const { BUNDLE, compare, writeList } = await import("./cli-run.js");
  const { file, cleanup } = writeList(objects);
  try {
    compare(`whole command, ${W} workloads / ${P} policies`, [
      ["node -e 0", ["-e", "0"]],
      [
        "palisade netpol connectivity -f cluster.json",
        [BUNDLE, "netpol", "connectivity", "-f", file, "-o", "json"],
      ],
    ]);
  } finally {
    cleanup();
  }
}
