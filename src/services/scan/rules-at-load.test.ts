/**
 * The posture rules that judge one object alone (a ConfigMap's values: PAL-SEC-004) run as the objects are read in
 * the streaming scan (issue: scale): the inventory keeps no ConfigMap values, the findings go to runs in the store as
 * they come, get their namespace's team once the inventory is built (here the Namespace is read after its
 * ConfigMaps), and the JSON report is byte-identical to the whole-inventory reference's.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadManifestPaths } from "../../adapters/manifests/index.js";
import type { Finding } from "../../core/findings/index.js";
import type { Inventory } from "../../core/inventory/index.js";
import { formatJson, formatJsonChunks } from "../../core/report/index.js";
import { type FindingRunStore, memoryRunStore, runScan } from "../../core/scan/index.js";
import { type InventoryReaders, loadInventory } from "../inventory/index.js";
import { scanStreaming } from "./index.js";

const dir = mkdtempSync(join(tmpdir(), "palisade-rules-at-load-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const file = join(dir, "cluster.yaml");
writeFileSync(
  file,
  `apiVersion: v1
kind: ConfigMap
metadata: {name: app-config, namespace: shop}
data:
  db.properties: "url=jdbc:postgresql://db/shop\\npassword=Sup3rS3cretValue!\\n"
  AWS_SECRET_ACCESS_KEY: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
  plain: hello
---
apiVersion: v1
kind: ConfigMap
metadata: {name: broken, namespace: shop}
data: not-a-map
---
apiVersion: v1
kind: ConfigMap
metadata: {name: other, namespace: default}
data:
  GITHUB_TOKEN: ghp_0123456789abcdefghijklmnopqrstuvwxyzAB
---
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {team: payments}}
`,
);

const readers: InventoryReaders = {
  rereadable: true,
  manifests: (paths, budget, sink) =>
    loadManifestPaths([...paths], { budget, ...(sink ? { onObject: sink } : {}) }),
};
const now = new Date("2026-06-01T00:00:00Z");
const options = { version: "0.0.0-test" };

/** A memory store that counts what is written to it. */
function countingStore(): FindingRunStore & { writes: Finding[][] } {
  const inner = memoryRunStore();
  const writes: Finding[][] = [];
  return {
    writes,
    write: (run) => {
      writes.push([...run]);
      inner.write(run);
    },
    read: (i) => inner.read(i),
  };
}

describe("posture rules run at load in the streaming scan", () => {
  it("keeps no ConfigMap values, spills their findings as they come, and reports what the reference reports", async () => {
    const runs = countingStore();
    let inventory: Inventory | undefined;
    const { report } = await scanStreaming(
      { sources: { manifests: [file] }, options },
      { readers, now: () => now, runs, findingsPerRun: 1 },
      { loaded: (l) => (inventory = l.inventory) },
    );
    const streamed = [...formatJsonChunks(report)].join("");

    const loaded = await loadInventory({ manifests: [file] }, readers);
    const reference = formatJson(
      runScan(loaded.inventory, { ...options, now, files: loaded.files, coverage: loaded.coverage }),
    );
    expect(streamed).toBe(reference);

    // The values are gone from what the analysis holds; the rest of each ConfigMap stays.
    expect(inventory?.configMaps.map((c) => [c.ref.name, Object.keys(c.raw).sort()])).toEqual([
      ["app-config", ["apiVersion", "kind", "metadata"]],
      ["broken", ["apiVersion", "kind", "metadata"]],
      ["other", ["apiVersion", "kind", "metadata"]],
    ]);
    // One finding a run at load (findingsPerRun 1), before any run of the analysis: three credentials found.
    const atLoad = runs.writes.slice(0, 3).map((r) => r.map((f) => [f.ruleId, f.resource.name, f.team]));
    expect(atLoad).toEqual([
      [["PAL-SEC-004", "app-config", undefined]],
      [["PAL-SEC-004", "app-config", undefined]],
      [["PAL-SEC-004", "other", undefined]],
    ]);
    // In the report, the namespace's team (its Namespace was read after the ConfigMaps) and the invalid field.
    const parsed = JSON.parse(streamed) as {
      findings: Finding[];
      coverage: { reason: string; message: string }[];
    };
    expect(
      parsed.findings.filter((f) => f.ruleId === "PAL-SEC-004").map((f) => [f.resource.name, f.team]),
    ).toEqual([
      ["app-config", "payments"],
      ["app-config", "payments"],
      ["other", undefined],
    ]);
    expect(parsed.coverage.filter((c) => c.message.includes("broken"))).toEqual([
      expect.objectContaining({
        reason: "invalid",
        message: "ConfigMap shop/broken: data is string, expected object; not evaluated",
      }),
    ]);
  });

  it("matches the reference with exceptions, a ConfigMap read twice, invalid values beside other analyzers' coverage, and the nsa and cis filters", async () => {
    const mixed = join(dir, "mixed.yaml");
    writeFileSync(
      mixed,
      `apiVersion: v1
kind: ConfigMap
metadata: {name: app, namespace: shop}
data:
  AWS_SECRET_ACCESS_KEY: wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY
  count: 5
---
apiVersion: v1
kind: ConfigMap
metadata: {name: app, namespace: shop}
data:
  GITHUB_TOKEN: ghp_0123456789abcdefghijklmnopqrstuvwxyzAB
---
apiVersion: v1
kind: ConfigMap
metadata: {name: other, namespace: tools}
data:
  GITHUB_TOKEN: ghp_0123456789abcdefghijklmnopqrstuvwxyzAB
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      hostNetwork: "yes"
      containers:
      - name: c
        image: nginx
        securityContext: {privileged: "true"}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: np, namespace: shop}
spec: {podSelector: 5}
---
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {team: payments}}
`,
    );
    const exceptions = [
      { id: "shop-secrets", rules: ["PAL-SEC-004"], namespaces: ["shop"], reason: "rotating" },
    ];
    for (const framework of [undefined, "nsa", "cis"] as const) {
      const opts = { ...options, ...(framework ? { framework } : {}) };
      const { report } = await scanStreaming(
        { sources: { manifests: [mixed] }, options: opts, exceptions },
        { readers, now: () => now, runs: memoryRunStore(), findingsPerRun: 1 },
      );
      const streamed = [...formatJsonChunks(report)].join("");
      const loaded = await loadInventory({ manifests: [mixed] }, readers);
      const reference = formatJson(
        runScan(loaded.inventory, {
          ...opts,
          exceptions,
          now,
          files: loaded.files,
          coverage: loaded.coverage,
        }),
      );
      expect(streamed).toBe(reference);
      if (framework === "cis") continue;
      // Both copies of the ConfigMap are judged, each suppressed by the exception; the evidence is redacted.
      const sec = (JSON.parse(streamed) as { findings: Finding[] }).findings.filter(
        (f) => f.ruleId === "PAL-SEC-004",
      );
      expect(sec.map((f) => [f.resource.namespace, f.team, f.suppressed?.exceptionId, f.evidence])).toEqual([
        ["shop", "payments", "shop-secrets", "AWS_SECRET_ACCESS_KEY: ****(redacted, 40 chars)"],
        ["shop", "payments", "shop-secrets", "GITHUB_TOKEN: ****(redacted, 42 chars)"],
        ["tools", undefined, undefined, "GITHUB_TOKEN: ****(redacted, 42 chars)"],
      ]);
      expect(streamed).not.toContain("wJalrXUtnFEMI");
      expect(streamed).not.toContain("ghp_0123456789");
    }
  });

  it("runs no rule at load for the PSS frameworks (their report has no posture finding)", async () => {
    let inventory: Inventory | undefined;
    await scanStreaming(
      { sources: { manifests: [file] }, options: { ...options, framework: "pss-restricted" } },
      { readers, now: () => now, runs: memoryRunStore() },
      { loaded: (l) => (inventory = l.inventory) },
    );
    expect(inventory?.configMaps.every((c) => "data" in c.raw)).toBe(true);
  });
});
