import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadSnapshotFiles, parseManifestText } from "../../adapters/manifests/index.js";
import type { Budget } from "../../core/budget/index.js";
import { PalisadeError } from "../../core/errors/index.js";
import { buildInventory, type RawObject } from "../../core/inventory/index.js";
import { type InventoryReaders, type LoadedInventory, loadInventory } from "./index.js";

const MANIFESTS: Record<string, string> = {
  "app.yaml": `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: "registry.example/shop/web:1.0"}]
---
apiVersion: v1
kind: Namespace
metadata: {name: shop}
`,
  "broken.yaml": "kind: [unclosed\n",
};

const SNAPSHOT = `{"apiVersion": "v1", "kind": "List", "items": [
  {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "pay", "labels": {"team": "payments"}}}
]}`;

/**
 * Readers over in-memory text through the real manifest parser. The live cluster reader is a stand-in (no API
 * server runs in unit tests): it returns what a read with one forbidden kind returns.
 */
function readers(calls: string[], budgets: Budget[]): InventoryReaders {
  const parse = (files: readonly string[], texts: Record<string, string>) => {
    const objects: RawObject[] = [];
    const coverage = [];
    for (const f of files) {
      const r = parseManifestText(texts[f] ?? "", f);
      objects.push(...r.objects);
      coverage.push(...r.coverage);
    }
    return { objects, coverage, files: files.length };
  };
  return {
    manifests: async (paths, budget) => {
      calls.push(`manifests ${paths.join(",")}`);
      budgets.push(budget);
      return parse(paths, MANIFESTS);
    },
    snapshots: async (files, budget) => {
      calls.push(`snapshots ${files.join(",")}`);
      budgets.push(budget);
      return parse(files, { "cluster.json": SNAPSHOT });
    },
    cluster: async (source) => {
      calls.push(`cluster ${JSON.stringify(source)}`);
      return {
        objects: [
          {
            object: { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "ci", namespace: "shop" } },
            source: { file: "cluster:prod", line: 0, column: 0 },
          },
        ],
        coverage: [{ reason: "forbidden", kind: "Secret", message: "list secrets: 403 Forbidden" }],
      };
    },
    ownership: async (file) => {
      calls.push(`ownership ${file}`);
      return { keys: ["team"], namespaces: [{ pattern: "shop", team: "storefront" }], images: [] };
    },
  };
}

/** The parts of a loaded inventory a caller reads, as one value. */
function summary(l: LoadedInventory) {
  return {
    files: l.files,
    objects: l.inventory.objects.map(
      (o) => `${o.origin} ${o.ref.kind} ${o.ref.namespace ?? ""}/${o.ref.name}`,
    ),
    teams: l.inventory.workloads.map((w) => `${w.ref.name}: ${w.team ?? "-"}`),
    coverage: l.coverage.map((c) => `${c.reason} ${c.subject ?? c.kind ?? ""}`),
  };
}

describe("loadInventory (inventory service)", () => {
  it("reads manifests, snapshots and the live cluster in that order, each object with its origin", async () => {
    const calls: string[] = [];
    const budgets: Budget[] = [];
    const loaded = await loadInventory(
      {
        manifests: ["app.yaml", "broken.yaml"],
        snapshots: ["cluster.json"],
        cluster: { kubeconfig: "/k/config", context: "prod", limits: { maxPages: 3 } },
        owners: "owners.yaml",
      },
      readers(calls, budgets),
    );
    expect(calls).toEqual([
      "manifests app.yaml,broken.yaml",
      "snapshots cluster.json",
      'cluster {"kubeconfig":"/k/config","context":"prod","limits":{"maxPages":3}}',
      "ownership owners.yaml",
    ]);
    expect(summary(loaded)).toEqual({
      files: 3,
      objects: [
        "manifest Deployment shop/web",
        "manifest Namespace /shop",
        "snapshot Namespace /pay",
        "cluster ServiceAccount shop/ci",
      ],
      teams: ["web: storefront"],
      coverage: ["parse-error broken.yaml", "forbidden Secret"],
    });
    // One object budget for the whole run, shared by every file reader.
    expect(budgets).toHaveLength(2);
    expect(budgets[0]).toBe(budgets[1]);
  });

  it("builds at most maxObjects objects (a limit coverage entry, the run continues)", async () => {
    const loaded = await loadInventory(
      { manifests: ["app.yaml"], snapshots: ["cluster.json"], maxObjects: 2 },
      readers([], []),
    );
    expect(loaded.inventory.objects.map((o) => o.ref.name)).toEqual(["web", "shop"]);
    expect(loaded.coverage.map((c) => c.reason)).toEqual(["limit"]);
  });

  it("refuses a run with no source (usage), and a source without its reader (internal)", async () => {
    await expect(loadInventory({ manifests: [], snapshots: [] }, {})).rejects.toEqual(
      new PalisadeError(
        "USAGE",
        "no input: give manifest paths (-f PATH or '-'), --snapshot FILE or --kubeconfig",
      ),
    );
    await expect(loadInventory({ snapshots: ["x.json"] }, {})).rejects.toMatchObject({
      code: "INTERNAL",
      message: "no snapshots reader was given to loadInventory",
    });
  });
});

describe("loadInventory of snapshot files streamed into the inventory (compactMembers)", () => {
  const dir = mkdtempSync(join(tmpdir(), "palisade-inventory-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const rs = (name: string, owner: string) => ({
    apiVersion: "apps/v1",
    kind: "ReplicaSet",
    metadata: {
      name,
      namespace: "shop",
      ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: owner, controller: true }],
    },
    spec: { replicas: 1, template: { spec: { containers: [{ name: "app", image: `${name}:1` }] } } },
  });
  const pod = (name: string, owner: string) => ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      namespace: "shop",
      ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: owner, controller: true }],
    },
    spec: { containers: [{ name: "app", image: `${name}:1` }], nodeName: "n1" },
    status: { phase: "Running" },
  });
  const write = (name: string, items: unknown[]): string => {
    writeFileSync(join(dir, name), JSON.stringify({ apiVersion: "v1", kind: "List", items }, null, 2));
    return name;
  };
  /** The real snapshot reader over files; counts its calls. */
  const fileReaders = (calls: string[], rereadable: boolean): InventoryReaders => ({
    rereadable,
    snapshots: async (files, budget, sink) => {
      calls.push(files.join(","));
      return loadSnapshotFiles([...files], { cwd: dir, budget, ...(sink ? { onObject: sink } : {}) });
    },
  });
  const whole = async (file: string) => {
    const r = await loadSnapshotFiles([file], { cwd: dir });
    for (const o of r.objects) o.origin = "snapshot";
    return buildInventory(r.objects, { compactMembers: true, maxObjects: 5_000_000 });
  };

  it("reads the files once when members can be compacted as they stream in", async () => {
    const file = write("pods.json", [pod("api-1", "api"), pod("api-2", "api")]);
    const calls: string[] = [];
    const loaded = await loadInventory({ snapshots: [file] }, fileReaders(calls, true), {
      compactMembers: true,
    });
    expect(calls).toEqual([file]);
    expect(loaded.inventory).toEqual(await whole(file));
    expect(loaded.inventory.workloads.map((w) => w.containers[0]?.imageString)).toEqual(["api-1:1"]);
  });

  it("reads the files again when an owner cycle needs a template compacted too early; the same inventory", async () => {
    const file = write("cycle.json", [pod("a", "b"), rs("b", "c"), rs("c", "b"), pod("d", "b")]);
    const calls: string[] = [];
    const loaded = await loadInventory({ snapshots: [file] }, fileReaders(calls, true), {
      compactMembers: true,
    });
    expect(calls).toEqual([file, file]);
    expect(loaded.inventory).toEqual(await whole(file));
    // Readers that cannot read again (a request body) are read once, members compacted at the end.
    const once: string[] = [];
    const single = await loadInventory({ snapshots: [file] }, fileReaders(once, false), {
      compactMembers: true,
    });
    expect(once).toEqual([file]);
    expect(single.inventory).toEqual(loaded.inventory);
  });
});
