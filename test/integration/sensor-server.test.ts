import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { serverSnapshotSink } from "../../src/adapters/fleet/index.js";
import { openStores } from "../../src/adapters/store/index.js";
import { startServe } from "../../src/apps/server/serve.js";
import type { ObjectDelta } from "../../src/core/deltas/index.js";

/**
 * Issue 17 (sensor), `--server` transport: the sensor's state posted as snapshots to a real `palisade serve`
 * (HTTP on loopback, a SQLite store), and what the server records.
 */

const dir = mkdtempSync(join(tmpdir(), "palisade-sensor-server-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const ADMIN = "admin-token-for-sensor-tests-0123456789";

const pod = (name: string, rv: number, op: "upsert" | "delete" = "upsert"): ObjectDelta => ({
  cluster: "small",
  op,
  key: { apiVersion: "v1", kind: "Pod", namespace: "shop", name },
  uid: `uid-${name}`,
  resourceVersion: String(rv),
  ...(op === "upsert"
    ? {
        object: {
          apiVersion: "v1",
          kind: "Pod",
          metadata: { name, namespace: "shop", uid: `uid-${name}`, resourceVersion: String(rv) },
          spec: { containers: [{ name: "c", image: `nginx:1.${rv}` }] },
        },
      }
    : {}),
});

describe("sensor --server: snapshots of the sensor's state to palisade serve", () => {
  it("posts the whole current state once every kind is listed; a deletion leaves the next snapshot", async () => {
    let t = Date.parse("2026-12-01T00:00:00Z");
    const now = () => {
      t += 1000;
      return new Date(t);
    };
    const db = join(dir, "server.db");
    const s = await startServe({ listen: "127.0.0.1:0", db, adminToken: ADMIN, now });
    let ready = false;
    const sink = serverSnapshotSink({ server: s.url, cluster: "small", token: ADMIN, ready: () => ready });
    try {
      // Before every kind is listed, the state is partial: nothing is posted.
      await expect(sink.send([pod("a", 10)])).rejects.toThrow(/not every kind is listed/);
      ready = true;
      await sink.send([pod("b", 11)]);
      await sink.send([pod("a", 12), pod("a", 12)]);
      await sink.send([pod("b", 13, "delete")]);
      // A batch sent again (after a lost answer) changes nothing.
      await sink.send([pod("b", 13, "delete")]);
      expect(sink.objects()).toBe(1);
    } finally {
      await s.close();
    }
    const stores = await openStores(db);
    try {
      const objects = await stores.snapshots.objectsAt("small", now());
      expect(objects.map((o) => [o.key.name, o.uid, (o.object as { spec: unknown }).spec])).toEqual([
        ["a", "uid-a", { containers: [{ name: "c", image: "nginx:1.12" }] }],
      ]);
      const history = await stores.snapshots.history("small", {
        apiVersion: "v1",
        kind: "Pod",
        namespace: "shop",
        name: "b",
      });
      expect(history).toHaveLength(1);
      expect(history[0]?.validTo).toBeDefined();
    } finally {
      await stores.close();
    }
  });

  it("a refused snapshot is an error naming the server's answer (the sensor retries it)", async () => {
    const s = await startServe({
      listen: "127.0.0.1:0",
      db: join(dir, "refused.db"),
      adminToken: ADMIN,
      now: () => new Date(),
    });
    const sink = serverSnapshotSink({
      server: s.url,
      cluster: "small",
      token: "not-a-token-0123456789",
      ready: () => true,
    });
    try {
      await expect(sink.send([pod("a", 1)])).rejects.toThrow(/refused the snapshot \(401\)/);
    } finally {
      await s.close();
    }
  });
});
