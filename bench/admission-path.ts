/**
 * The admission webhook's own work per review, in-process and without HTTP or TLS: the bench reviews of
 * bench/admission.ts taken through the steps the server takes for each (parse the body, answer it with the fact
 * sources `admission serve` builds, count, serialise the decision record for the store, serialise the response),
 * each step added in turn, timed by this thread's CPU time (process.threadCpuUsage is not in Node 20: the process's,
 * with nothing else running in it). Under load CPU time hardly moves where wall time does, so this is the figure to
 * compare between two versions on a shared machine; the HTTPS bench gives what a client sees.
 *
 *   npx tsx bench/admission-path.ts [reviews = 40000]
 *   node --cpu-prof --import tsx bench/admission-path.ts   (where the time goes)
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { constants, PerformanceObserver, performance } from "node:perf_hooks";
import { readConfigFile } from "../src/adapters/config/index.js";
import { decisionRow, decisionValues } from "../src/adapters/store/decision-rows.js";
import {
  type AdmissionFactSources,
  answerAdmissionReview,
  CachedImageFacts,
  decisionRecord,
  imageFactsIndex,
  loadAdmissionPolicy,
} from "../src/services/admission/index.js";
import { bodies, NAMESPACE_LABELS, policy } from "./admission-inputs.js";

const n = Number(process.argv[2] ?? 40_000);
const dir = mkdtempSync(join(tmpdir(), "palisade-bench-admission-path-"));
writeFileSync(join(dir, "policy.yaml"), policy);
const { policy: loaded } = await loadAdmissionPolicy(join(dir, "policy.yaml"), (p) => readConfigFile(p));
rmSync(dir, { recursive: true, force: true });

// As `admission serve --namespaces FILE --db FILE` builds them over a store with no images: every image unknown.
const facts = new CachedImageFacts({
  load: async () =>
    imageFactsIndex({
      images: [],
      lineage: { byDigest: new Map() },
      vulns: { byNode: new Map(), nodesByVuln: new Map() },
      records: [],
    }),
  ttlMs: 30_000,
  maxEntries: 10_000,
  clock: () => performance.now(),
});
const sources: AdmissionFactSources = {
  namespaceLabels: (ns) => NAMESPACE_LABELS[ns],
  imageFacts: (images) => facts.get(images),
};
const raws = bodies.map((b) => Buffer.from(b));

type Step = (raw: Buffer) => unknown;
const parse: Step = (raw) => JSON.parse(raw.toString("utf8"));
// As the server calls it: the deadline's timer made only if a fact source answers later.
const answer = async (raw: Buffer) => {
  let timer: NodeJS.Timeout | undefined;
  const deadline = () =>
    new Promise<string>((resolve) => {
      timer = setTimeout(() => resolve("no decision within 2000 ms"), 2000);
    });
  try {
    return await answerAdmissionReview(parse(raw), { policy: loaded, sources, deadline });
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
};
const STEPS: [string, (raw: Buffer) => unknown][] = [
  ["parse", parse],
  ["+ answer (decide)", answer],
  [
    "+ decision record",
    async (raw) => {
      const a = await answer(raw);
      if (a.httpStatus !== 200) throw new Error("bad review");
      return decisionValues(decisionRow(decisionRecord(a.decision, a.request, "validate", new Date())));
    },
  ],
  [
    "+ response text",
    async (raw) => {
      const a = await answer(raw);
      if (a.httpStatus !== 200) throw new Error("bad review");
      decisionValues(decisionRow(decisionRecord(a.decision, a.request, "validate", new Date())));
      return JSON.stringify(a.body);
    },
  ],
];

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
// Young-generation collections per 1,000 reviews: how much a step allocates, counted, so hardly moved by load.
let scavenges = 0;
const gc = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    const detail = (e as unknown as { detail?: { kind?: number } }).detail;
    if (detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR) scavenges++;
  }
});
gc.observe({ entryTypes: ["gc"] });
const settle = () => new Promise((resolve) => setTimeout(resolve, 50));
let sink = 0;
const results: string[] = [];
for (const [label, step] of STEPS) {
  // Warm-up, then measured; awaited one by one as the server's reviews are (each its own turn of the loop).
  for (let i = 0; i < 5000; i++) if ((await step(raws[i % raws.length] as Buffer)) !== undefined) sink++;
  await settle();
  const s0 = scavenges;
  const c0 = cpuMs();
  for (let i = 0; i < n; i++) if ((await step(raws[i % raws.length] as Buffer)) !== undefined) sink++;
  const cpu = ((cpuMs() - c0) / n) * 1000;
  await settle();
  results.push(`${label} ${cpu.toFixed(1)} µs, ${(((scavenges - s0) / n) * 1000).toFixed(1)} scavenges/1k`);
}
gc.disconnect();
console.log(
  `admission path, CPU per review over ${n} reviews (${bodies.length} bodies in turn): ${results.join("; ")} (${sink > 0 ? "ok" : "?"})`,
);
