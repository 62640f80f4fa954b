/**
 * RBAC at scale: a generated cluster with 3k roles (ClusterRoles incl. aggregated ones and namespaced Roles)
 * and 10k bindings (RoleBindings to Roles and ClusterRoles, ClusterRoleBindings) over users, groups and
 * ServiceAccounts. Measures the effective-permission graph build (time, heap and RSS delta), who-can and
 * can-i latency (p50/p99 over random requests), findings and escalation paths.
 *
 *   npx tsx bench/rbac.ts [bindings=10000] [roles=3000]
 *   DEFAULT_ROLES=1 npx tsx bench/rbac.ts   # with the API server's bootstrap policy assumed, as scan does
 *   BEFORE=/path/to/other/dist/cli/palisade.js npx tsx bench/rbac.ts   # also that build's whole commands
 * Targets (issue 5): build < 2 s and < 200 MB; who-can < 50 ms.
 */
import { buildInventory, type RawObject } from "../src/core/inventory/index.js";
import { buildRbacIndex, canI, escalationPaths, rbacFindings, whoCan } from "../src/core/rbac/index.js";
import { generateRbacCluster, NS, ns, RES, VERBS } from "./rbac-data.js";

const B = Number(process.argv[2] ?? 10_000);
const R = Number(process.argv[3] ?? 3_000);
const { objects, clusterRoleCount, users, groups, rand, pick } = generateRbacCluster(B, R);
const inv = buildInventory(objects.map((object): RawObject => ({ object })));

const gc = (globalThis as { gc?: () => void }).gc;
gc?.();
const heap0 = process.memoryUsage().heapUsed;
const rss0 = process.memoryUsage().rss;
let t0 = performance.now();
const idx = buildRbacIndex(inv, process.env.DEFAULT_ROLES ? { defaultRoles: {} } : {});
const buildMs = performance.now() - t0;
const heapMb = (process.memoryUsage().heapUsed - heap0) / 1e6;
const rssMb = (process.memoryUsage().rss - rss0) / 1e6;

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
};
const Q = 2000;
const whoTimes: number[] = [];
let subjectsSeen = 0;
for (let i = 0; i < Q; i++) {
  const [g, res] = pick(RES);
  const [resource, subresource] = res.split("/") as [string, string | undefined];
  const req = {
    verb: pick(VERBS),
    apiGroup: g,
    resource,
    subresource,
    namespace: i % 4 === 0 ? "" : ns(Math.floor(rand() * NS)),
  };
  t0 = performance.now();
  subjectsSeen += whoCan(idx, req).subjects.length;
  whoTimes.push(performance.now() - t0);
}
const canTimes: number[] = [];
for (let i = 0; i < Q; i++) {
  const [g, res] = pick(RES);
  const [resource, subresource] = res.split("/") as [string, string | undefined];
  const user =
    rand() < 0.5
      ? pick(users)
      : `system:serviceaccount:${ns(Math.floor(rand() * NS))}:sa-${Math.floor(rand() * 20)}`;
  t0 = performance.now();
  canI(idx, {
    user,
    groups: [pick(groups), "system:authenticated"],
    verb: pick(VERBS),
    apiGroup: g,
    resource,
    subresource,
    namespace: ns(Math.floor(rand() * NS)),
  });
  canTimes.push(performance.now() - t0);
}
// Wall and CPU time (user + system of this process; the steadier figure on a shared machine).
const cpuMs = (c: NodeJS.CpuUsage) => (c.user + c.system) / 1000;
t0 = performance.now();
let c0 = process.cpuUsage();
const paths = escalationPaths(idx);
const pathsMs = performance.now() - t0;
const pathsCpu = cpuMs(process.cpuUsage(c0));
t0 = performance.now();
c0 = process.cpuUsage();
const f = rbacFindings(inv, idx);
const findingsMs = performance.now() - t0;
const findingsCpu = cpuMs(process.cpuUsage(c0));

console.log(
  `rbac bench: ${B} bindings, ${R} roles (${clusterRoleCount} ClusterRoles), ${NS} namespaces; node ${process.version}`,
);
console.log(
  `build effective-permission graph: ${buildMs.toFixed(0)} ms, heap +${heapMb.toFixed(1)} MB, rss +${rssMb.toFixed(1)} MB`,
);
console.log(
  `who-can (${Q} random requests, avg ${(subjectsSeen / Q).toFixed(1)} subjects): p50 ${pct(whoTimes, 50).toFixed(3)} ms, p99 ${pct(whoTimes, 99).toFixed(3)} ms, max ${pct(whoTimes, 100).toFixed(3)} ms`,
);
console.log(
  `can-i (${Q} random requests): p50 ${pct(canTimes, 50).toFixed(3)} ms, p99 ${pct(canTimes, 99).toFixed(3)} ms`,
);
console.log(
  `escalation paths: ${paths.length} subjects reach cluster-admin, ${pathsMs.toFixed(0)} ms wall, ${pathsCpu.toFixed(0)} ms CPU`,
);
console.log(
  `findings (incl. escalation): ${f.findings.length} findings, ${findingsMs.toFixed(0)} ms wall, ${findingsCpu.toFixed(0)} ms CPU`,
);

// The whole commands, as users run them (process start, loading the file, analysis, output): RBAC findings and
// escalation paths in `scan`, and `rbac paths`. Needs `npm run build`.
{
  const { BUNDLE, compare, NODE_START, parseReference, writeList } = await import("./cli-run.js");
  // BEFORE=path/to/palisade.js: the same commands from another build (e.g. the commit before a change), same run.
  const BEFORE = process.env.BEFORE;
  const { file, cleanup } = writeList(objects);
  try {
    compare(`whole commands, ${B} bindings / ${R} roles`, [
      NODE_START,
      parseReference(file, "JSON.parse of cluster.json"),
      ["palisade scan cluster.json -o json", [BUNDLE, "scan", file, "-o", "json"]],
      ["palisade rbac paths --snapshot cluster.json", [BUNDLE, "rbac", "paths", "--snapshot", file]],
      ...(BEFORE
        ? ([
            ["before: palisade scan cluster.json -o json", [BEFORE, "scan", file, "-o", "json"]],
            [
              "before: palisade rbac paths --snapshot cluster.json",
              [BEFORE, "rbac", "paths", "--snapshot", file],
            ],
          ] as [string, string[]][])
        : []),
    ]);
  } finally {
    cleanup();
  }
}
