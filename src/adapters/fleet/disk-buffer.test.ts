import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { ObjectDelta } from "../../core/deltas/index.js";
import { openDiskBuffer } from "./index.js";

const d = (uid: string, rv = 1): ObjectDelta => ({
  cluster: "prod",
  op: "upsert",
  key: { apiVersion: "v1", kind: "ConfigMap", namespace: "ns", name: uid },
  uid,
  resourceVersion: String(rv),
  object: { data: { k: "x".repeat(50) } },
});

const dirs: string[] = [];
const tmp = () => {
  const dir = mkdtempSync(join(tmpdir(), "palisade-buffer-"));
  dirs.push(dir);
  return join(dir, "buf");
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("disk buffer", () => {
  it("hands batches back oldest first, and removes only the oldest", async () => {
    const b = await openDiskBuffer({ dir: tmp() });
    await b.append([d("a"), d("b")]);
    await b.append([d("c")]);
    expect(b.stats()).toMatchObject({ batches: 2, deltas: 3, droppedDeltas: 0 });
    const first = await b.oldest();
    expect(first?.deltas.map((x) => x.uid)).toEqual(["a", "b"]);
    await b.remove(first!.seq + 1); // not the oldest: nothing happens
    expect(b.stats().batches).toBe(2);
    await b.remove(first!.seq);
    expect((await b.oldest())?.deltas.map((x) => x.uid)).toEqual(["c"]);
  });

  it("a restarted sensor takes over what the previous run left, in order, and forgets half-written files", async () => {
    const dir = tmp();
    const b1 = await openDiskBuffer({ dir });
    await b1.append([d("a")]);
    await b1.append([d("b"), d("c")]);
    writeFileSync(join(dir, ".tmp-3"), '{"half":');
    const b2 = await openDiskBuffer({ dir });
    expect(b2.stats()).toMatchObject({ batches: 2, deltas: 3 });
    expect(readdirSync(dir).some((f) => f.startsWith(".tmp-"))).toBe(false);
    await b2.append([d("e")]);
    const order: string[] = [];
    for (let x = await b2.oldest(); x; x = await b2.oldest()) {
      order.push(...x.deltas.map((y) => y.uid));
      await b2.remove(x.seq);
    }
    expect(order).toEqual(["a", "b", "c", "e"]);
  });

  it("fresh: batches of an earlier run are deleted, other files in the directory are left alone", async () => {
    const dir = tmp();
    const b1 = await openDiskBuffer({ dir });
    await b1.append([d("a")]);
    writeFileSync(join(dir, "notes.txt"), "mine");
    const b2 = await openDiskBuffer({ dir, fresh: true });
    expect(b2.stats()).toMatchObject({ batches: 0, deltas: 0 });
    expect(readdirSync(dir)).toEqual(["notes.txt"]);
  });

  it("over its cap drops the oldest batches and counts them; a batch larger than the cap is dropped itself", async () => {
    const one = Buffer.byteLength(`${JSON.stringify(d("a"))}\n`);
    const drops: number[] = [];
    const b = await openDiskBuffer({ dir: tmp(), maxBytes: one * 3, onDrop: (x) => drops.push(x.deltas) });
    for (const u of ["a", "b", "c", "d", "e"]) await b.append([d(u)]);
    expect(b.stats()).toMatchObject({ batches: 3, deltas: 3, droppedDeltas: 2, droppedBatches: 2 });
    expect((await b.oldest())?.deltas[0]?.uid).toBe("c");
    await b.append([d("f"), d("g"), d("h"), d("i")]);
    expect(b.stats()).toMatchObject({ batches: 3, droppedDeltas: 6, droppedBatches: 3 });
    expect(drops).toEqual([1, 1, 4]);
  });

  it("pathological: a damaged file is dropped (counted) and the next batch is served", async () => {
    const dir = tmp();
    const b1 = await openDiskBuffer({ dir });
    await b1.append([d("a")]);
    await b1.append([d("b")]);
    const first = readdirSync(dir).sort()[0]!;
    writeFileSync(join(dir, first), '{"cluster":"prod","op":"upsert"}\n');
    const b2 = await openDiskBuffer({ dir });
    expect((await b2.oldest())?.deltas.map((x) => x.uid)).toEqual(["b"]);
    expect(b2.stats()).toMatchObject({ batches: 1, droppedDeltas: 1 });
  });
});
