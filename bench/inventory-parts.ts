/**
 * What a scan's inventory holds per object (issue: scale): a generated snapshot (bench/gen-snapshot.ts) loaded as
 * `palisade scan -o json` loads it (streamed, members compacted as the scan's analyzers read them), then the live
 * heap after two forced collections, in bytes per object: at the end of the load (before the builder's `finish`,
 * what the load itself holds) and once the inventory is built; then, for the kinds given, each part of their objects
 * replaced in turn by a shared empty value and the live heap freed by it, in bytes per object of that kind.
 *
 *   npx tsx --expose-gc bench/inventory-parts.ts [objects=20000] [kinds=Pod,ReplicaSet,Deployment,ConfigMap]
 */
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadSnapshotFiles } from "../src/adapters/manifests/index.js";
import { type Inventory, inventoryBuilder, type KObject } from "../src/core/inventory/index.js";
import { loadInventory } from "../src/services/inventory/index.js";
import { writeSnapshot } from "./gen-snapshot.js";

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with --expose-gc");
const live = (): number => {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
};
const n = Number(process.argv[2] ?? 20000);
const kinds = (process.argv[3] ?? "Pod,ReplicaSet,Deployment,ConfigMap").split(",");
const file = join(tmpdir(), `palisade-inventory-parts-${n}.json`);
try {
  await writeSnapshot(file, n);
  const base = live();
  // The builder as loadInventory drives it for a scan (objects streamed in, members compacted as they arrive), with
  // the live heap measured at the end of the load too: a reload (the rare owner graphs compacted too early) is said.
  const builder = inventoryBuilder({ compactMembers: "scan", compactAtLoad: true });
  await loadSnapshotFiles([file], {
    onObject: (o) => {
      o.origin = "snapshot";
      builder.add(o);
    },
  });
  const loaded = live();
  const built = builder.finish();
  let inv: Inventory;
  if ("reload" in built) {
    console.log("the builder asked for a second read");
    inv = (
      await loadInventory(
        { snapshots: [file] },
        {
          rereadable: true,
          snapshots: (files, budget, sink) =>
            loadSnapshotFiles([...files], { budget, ...(sink ? { onObject: sink } : {}) }),
        },
        { compactMembers: "scan" },
      )
    ).inventory;
  } else inv = built.inventory;
  let cur = live();
  const per = (bytes: number): string => (bytes / inv.objects.length).toFixed(0);
  console.log(
    `${inv.objects.length} objects: ${per(loaded - base)} bytes per object at the end of the load, ${per(cur - base)} once built`,
  );
  const EMPTY = Object.freeze({});
  const NONE: never[] = [];
  const parts: [string, (o: KObject) => void][] = [
    [
      "labels",
      (o) => {
        o.labels = EMPTY;
      },
    ],
    [
      "annotations",
      (o) => {
        o.annotations = EMPTY;
      },
    ],
    [
      "ownerReferences",
      (o) => {
        o.ownerReferences = NONE;
      },
    ],
    [
      "uid",
      (o) => {
        o.uid = "";
      },
    ],
    [
      "source",
      (o) => {
        o.source = { file: "", line: 0, column: 0 };
      },
    ],
    [
      "raw.metadata",
      (o) => {
        o.raw.metadata = EMPTY;
      },
    ],
    [
      "raw.spec",
      (o) => {
        o.raw.spec = EMPTY;
      },
    ],
    [
      "raw.status",
      (o) => {
        o.raw.status = EMPTY;
      },
    ],
    [
      "raw.data",
      (o) => {
        o.raw.data = EMPTY;
      },
    ],
  ];
  console.log("| Kind | Objects | Part | Bytes each |\n|---|---|---|---|");
  for (const kind of kinds) {
    const os = inv.objects.filter((o) => o.ref.kind === kind);
    for (const [part, drop] of parts) {
      for (const o of os) drop(o);
      const now = live();
      console.log(
        `| ${kind} | ${os.length} | ${part} | ${((cur - now) / Math.max(1, os.length)).toFixed(0)} |`,
      );
      cur = now;
    }
  }
} finally {
  rmSync(file, { force: true });
}
