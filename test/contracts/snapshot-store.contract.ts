import { describe, expect, it } from "vitest";
import type { ObjectVersion, SnapshotObject } from "../../src/adapters/store/index.js";
import type { ResourceRef } from "../../src/core/findings/index.js";
import { type MakeStores, storesOpener } from "./stores.js";

const T = (day: number) => new Date(Date.UTC(2025, 0, day));
/** Deployment keys "namespace/name" in the stores' order (namespace, then name; code-point order). */
const byKey = (a: string, b: string) => {
  const [an = "", ax = ""] = a.split("/");
  const [bn = "", bx = ""] = b.split("/");
  return an === bn ? (ax < bx ? -1 : ax > bx ? 1 : 0) : an < bn ? -1 : 1;
};
const iso = (day: number) => T(day).toISOString();

const dep = (ns: string, name: string): ResourceRef => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  namespace: ns,
  name,
});
const node = (name: string): ResourceRef => ({ apiVersion: "v1", kind: "Node", name });
const obj = (key: ResourceRef, hash: string, uid?: string): SnapshotObject => ({
  key,
  hash,
  ...(uid ? { uid } : {}),
  object: { metadata: { name: key.name, ...(key.namespace ? { namespace: key.namespace } : {}) }, hash },
});
const version = (cluster: string, o: SnapshotObject, validFrom: number, validTo?: number): ObjectVersion => ({
  cluster,
  key: o.key,
  ...(o.uid ? { uid: o.uid } : {}),
  hash: o.hash,
  object: o.object,
  validFrom: iso(validFrom),
  ...(validTo === undefined ? {} : { validTo: iso(validTo) }),
});

/** The InventorySnapshotStore contract: every backend runs this one suite. */
/** The clusters port of the snapshot store: every cluster with its latest snapshot time. */
function describeClusters(name: string, make: MakeStores): void {
  describe(`InventorySnapshotStore clusters: ${name}`, () => {
    const open = storesOpener(make);
    it("lists each cluster once with its latest snapshot, by name", async () => {
      const s = (await open()).snapshots;
      expect(await s.clusters()).toEqual([]);
      await s.putSnapshot("prod", new Date("2025-01-01T00:00:00.000Z"), "all", []);
      await s.putSnapshot("dev", new Date("2025-01-02T00:00:00.000Z"), "all", []);
      await s.putSnapshot("prod", new Date("2025-01-03T00:00:00.000Z"), "all", []);
      expect(await s.clusters()).toEqual([
        { cluster: "dev", latest: "2025-01-02T00:00:00.000Z" },
        { cluster: "prod", latest: "2025-01-03T00:00:00.000Z" },
      ]);
    });

    it("lists a cluster's snapshot times newest first, at most the limit, a repeated time once", async () => {
      const s = (await open()).snapshots;
      expect(await s.snapshotTimes("prod")).toEqual([]);
      for (const day of [1, 2, 2, 5]) await s.putSnapshot("prod", T(day), "all", []);
      await s.putSnapshot("dev", T(3), "all", []);
      expect(await s.snapshotTimes("prod")).toEqual([iso(5), iso(2), iso(1)]);
      expect(await s.snapshotTimes("prod", 2)).toEqual([iso(5), iso(2)]);
      expect(await s.snapshotTimes("dev")).toEqual([iso(3)]);
    });
  });
}

export function describeSnapshotStoreContract(name: string, make: MakeStores): void {
  describeClusters(name, make);
  describe(`InventorySnapshotStore contract: ${name}`, () => {
    const open = storesOpener(make);

    it("opens a version per new or changed object, keeps unchanged ones, closes vanished ones", async () => {
      const s = (await open()).snapshots;
      const a1 = obj(dep("a", "web"), "h1");
      const b1 = obj(dep("b", "api"), "h1");
      const n1 = obj(node("n1"), "h1");
      expect(await s.putSnapshot("prod", T(1), "all", [a1, b1, n1])).toEqual({
        opened: 3,
        closed: 0,
        unchanged: 0,
      });
      const a2 = obj(dep("a", "web"), "h2");
      expect(await s.putSnapshot("prod", T(2), "all", [n1, a2])).toEqual({
        opened: 1,
        closed: 2,
        unchanged: 1,
      });
      expect(await s.objectsAt("prod", T(1))).toEqual([
        version("prod", a1, 1, 2),
        version("prod", b1, 1, 2),
        version("prod", n1, 1),
      ]);
      expect(await s.objectsAt("prod", T(2))).toEqual([version("prod", a2, 2), version("prod", n1, 1)]);
      expect(await s.objectsAt("prod", new Date(T(1).getTime() - 1))).toEqual([]);
      expect(await s.history("prod", dep("a", "web"))).toEqual([
        version("prod", a1, 1, 2),
        version("prod", a2, 2),
      ]);
      // Clusters are separate histories.
      expect(await s.objectsAt("staging", T(2))).toEqual([]);
    });

    it("an object absent from a scoped snapshot is closed only when the scope covers it", async () => {
      const s = (await open()).snapshots;
      const a = obj(dep("a", "web"), "h");
      const b = obj(dep("b", "api"), "h");
      const n = obj(node("n1"), "h");
      const svc = obj({ apiVersion: "v1", kind: "Service", namespace: "a", name: "web" }, "h");
      await s.putSnapshot("c", T(1), "all", [a, b, n, svc]);
      // Namespace a, Deployments only: the Service in a, namespace b and the Node are not covered.
      expect(await s.putSnapshot("c", T(2), { namespaces: ["a"], kinds: ["Deployment"] }, [])).toEqual({
        opened: 0,
        closed: 1,
        unchanged: 0,
      });
      // Namespace b: the cluster-scoped Node is not covered.
      expect(await s.putSnapshot("c", T(3), { namespaces: ["b"] }, [])).toEqual({
        opened: 0,
        closed: 1,
        unchanged: 0,
      });
      expect((await s.objectsAt("c", T(3))).map((v) => v.key)).toEqual([n.key, svc.key]);
      // Kinds only: every namespace and cluster scope.
      expect(await s.putSnapshot("c", T(4), { kinds: ["Node"] }, [])).toEqual({
        opened: 0,
        closed: 1,
        unchanged: 0,
      });
      expect((await s.objectsAt("c", T(4))).map((v) => v.key)).toEqual([svc.key]);
    });

    it("a new uid under the same key (deleted and recreated) opens a new version", async () => {
      const s = (await open()).snapshots;
      const v1 = obj(dep("a", "web"), "h", "uid-1");
      const v2 = obj(dep("a", "web"), "h", "uid-2");
      await s.putSnapshot("c", T(1), "all", [v1]);
      expect(await s.putSnapshot("c", T(2), "all", [v2])).toEqual({ opened: 1, closed: 1, unchanged: 0 });
      expect(await s.history("c", dep("a", "web"))).toEqual([version("c", v1, 1, 2), version("c", v2, 2)]);
    });

    it("reads back the object whether the caller gave its JSON text or not, over more objects than one write batch", async () => {
      const s = (await open()).snapshots;
      const many = Array.from({ length: 1200 }, (_, i) => obj(dep(`ns-${i % 7}`, `app-${i}`), `h${i}`));
      const withText = many.map((o, i) => (i % 2 === 0 ? { ...o, json: JSON.stringify(o.object) } : o));
      expect(await s.putSnapshot("c", T(1), "all", withText)).toEqual({
        opened: 1200,
        closed: 0,
        unchanged: 0,
      });
      const read = await s.objectsAt("c", T(1));
      expect(read).toHaveLength(1200);
      const byName = new Map(read.map((v) => [v.key.name, v.object]));
      expect(many.every((o) => JSON.stringify(byName.get(o.key.name)) === JSON.stringify(o.object))).toBe(
        true,
      );
    });

    it("an object that returns opens a new version after the gap", async () => {
      const s = (await open()).snapshots;
      const a = obj(dep("a", "web"), "h");
      await s.putSnapshot("c", T(1), "all", [a]);
      await s.putSnapshot("c", T(2), "all", []);
      await s.putSnapshot("c", T(3), "all", [a]);
      expect(await s.history("c", dep("a", "web"))).toEqual([version("c", a, 1, 2), version("c", a, 3)]);
      expect(await s.objectsAt("c", T(2))).toEqual([]);
    });

    it("objects at a time are sorted by apiVersion, kind, namespace (cluster-scoped first), name", async () => {
      const s = (await open()).snapshots;
      const objs = [
        obj(dep("b", "x"), "h"),
        obj(dep("a", "y"), "h"),
        obj(dep("a", "x"), "h"),
        obj(node("n"), "h"),
        obj({ apiVersion: "v1", kind: "Namespace", name: "a" }, "h"),
        obj({ apiVersion: "v1", kind: "ConfigMap", namespace: "a", name: "c" }, "h"),
      ];
      await s.putSnapshot("c", T(1), "all", objs);
      expect(
        (await s.objectsAt("c", T(1))).map((v) => [v.key.kind, v.key.namespace ?? "", v.key.name]),
      ).toEqual([
        ["Deployment", "a", "x"],
        ["Deployment", "a", "y"],
        ["Deployment", "b", "x"],
        ["ConfigMap", "a", "c"],
        ["Namespace", "", "a"],
        ["Node", "", "n"],
      ]);
    });

    it("reads a large state whole and in order, including what a later snapshot closed or replaced", async () => {
      // More objects than a backend reads per page (PostgreSQL's cursor: 2,000), so pages must join up exactly.
      const s = (await open()).snapshots;
      const first = Array.from({ length: 4_500 }, (_, i) => obj(dep(`ns${i % 7}`, `w${i}`), "h1"));
      await s.putSnapshot("big", T(1), "all", first);
      // The next snapshot drops every third, changes every fifth and adds 100.
      const second = [
        ...first.filter((_, i) => i % 3 !== 0).map((o, i) => (i % 5 === 0 ? { ...o, hash: "h2" } : o)),
        ...Array.from({ length: 100 }, (_, i) => obj(dep("new", `n${i}`), "h1")),
      ];
      await s.putSnapshot("big", T(2), "all", second);
      const keyText = (v: { key: ResourceRef }) => `${v.key.namespace}/${v.key.name}`;
      const at1 = await s.objectsAt("big", T(1));
      expect(at1.map(keyText)).toEqual(at1.map(keyText).sort(byKey));
      expect(new Set(at1.map(keyText))).toEqual(new Set(first.map(keyText)));
      expect(at1.every((v) => v.hash === "h1")).toBe(true);
      const at2 = await s.objectsAt("big", T(2));
      expect(at2).toHaveLength(second.length);
      expect(new Map(at2.map((v) => [keyText(v), v.hash]))).toEqual(
        new Map(second.map((o) => [keyText(o), o.hash])),
      );
    });

    it("hands over one at a time the versions objectsAt reads (in any order), and counts them", async () => {
      const s = (await open()).snapshots;
      const first = Array.from({ length: 4_500 }, (_, i) => obj(dep(`ns${i % 7}`, `w${i}`), "h1"));
      await s.putSnapshot("big", T(1), "all", first);
      await s.putSnapshot("big", T(2), "all", [
        ...first.filter((_, i) => i % 3 !== 0).map((o, i) => (i % 5 === 0 ? { ...o, hash: "h2" } : o)),
        obj(node("n1"), "h1"),
      ]);
      await s.putSnapshot("other", T(2), "all", [obj(dep("a", "web"), "h1")]);
      for (const at of [T(1), T(2), new Date(T(1).getTime() - 1)]) {
        const handed: ObjectVersion[] = [];
        const n = await s.eachObjectAt("big", at, (v) => {
          handed.push(v);
        });
        expect(n).toBe(handed.length);
        const keyText = (v: ObjectVersion) => `${v.key.kind}/${v.key.namespace ?? ""}/${v.key.name}`;
        const sorted = [...handed].sort((a, b) => (keyText(a) < keyText(b) ? -1 : 1));
        const whole = [...(await s.objectsAt("big", at))].sort((a, b) => (keyText(a) < keyText(b) ? -1 : 1));
        expect(sorted).toEqual(whole);
      }
      expect(await s.eachObjectAt("none", T(2), () => {})).toBe(0);
    });

    describe("pathological cases", () => {
      it("refuses a snapshot older than the cluster's latest, and two objects with one key", async () => {
        const s = (await open()).snapshots;
        await s.putSnapshot("c", T(2), "all", [obj(dep("a", "web"), "h")]);
        await expect(s.putSnapshot("c", T(1), "all", [])).rejects.toMatchObject({ code: "INPUT" });
        await expect(
          s.putSnapshot("c", T(3), "all", [obj(dep("a", "web"), "h"), obj(dep("a", "web"), "h2")]),
        ).rejects.toMatchObject({ code: "INPUT" });
        // Nothing of the refused snapshots was written.
        expect(await s.history("c", dep("a", "web"))).toEqual([version("c", obj(dep("a", "web"), "h"), 2)]);
      });

      it("names and objects with hostile text round-trip (NUL, quotes, slashes, __proto__)", async () => {
        const s = (await open()).snapshots;
        const key: ResourceRef = {
          apiVersion: 'x/"v1',
          kind: "K/\\",
          namespace: "n\u0000s",
          name: "__proto__",
        };
        const o: SnapshotObject = {
          key,
          hash: "h\u0000",
          uid: "u\u0001",
          object: { __proto__x: "\u0000", list: [1, null] },
        };
        await s.putSnapshot("c\u0000'", T(1), "all", [o]);
        expect(await s.objectsAt("c\u0000'", T(1))).toEqual([
          { cluster: "c\u0000'", key, uid: "u\u0001", hash: "h\u0000", object: o.object, validFrom: iso(1) },
        ]);
      });
    });
  });
}
