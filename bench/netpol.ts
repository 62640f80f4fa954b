/**
 * NetworkPolicy connectivity at scale: generated cluster with many namespaces, per-namespace default-deny ingress
 * and egress, DNS egress, per-app ingress allows (same namespace, named and numeric ports, a few cross-namespace
 * and ipBlock rules). Prints the time of each phase and peak RSS. The last phase repeats the connectivity analysis
 * with ipBlocks matching pods on a 10.9.0.0/16 pod network: the generated ingress ipBlocks 10.9.0.0/16 (except
 * 10.9.1.0/24) then admit every pod, so the mode has real work (class signatures, many more edges).
 *
 *   npx tsx bench/netpol.ts [workloads=10000] [policies=10000]
 *   BEFORE=/path/to/other/dist/cli/palisade.js npx tsx bench/netpol.ts   # also that build's whole command
 */
import { buildInventory, type RawObject } from "../src/core/inventory/index.js";
import { analyzeConnectivity, netpolFindings } from "../src/core/netpol/index.js";
import { generateNetpolCluster } from "./netpol-data.js";

const W = Number(process.argv[2] ?? 10_000);
const P = Number(process.argv[3] ?? 10_000);
const objects = generateNetpolCluster(W, P);

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
  const { BUNDLE, compare, NODE_START, parseReference, writeList } = await import("./cli-run.js");
  // BEFORE=path/to/palisade.js: the same commands from another build (e.g. the commit before a change), same run.
  const BEFORE = process.env.BEFORE;
  const { file, cleanup } = writeList(objects);
  try {
    compare(`whole command, ${W} workloads / ${P} policies`, [
      NODE_START,
      parseReference(file, "JSON.parse of cluster.json"),
      [
        "palisade netpol connectivity -f cluster.json",
        [BUNDLE, "netpol", "connectivity", "-f", file, "-o", "json"],
      ],
      ...(BEFORE
        ? ([
            [
              "before: palisade netpol connectivity -f cluster.json",
              [BEFORE, "netpol", "connectivity", "-f", file, "-o", "json"],
            ],
          ] as [string, string[]][])
        : []),
    ]);
  } finally {
    cleanup();
  }
}
