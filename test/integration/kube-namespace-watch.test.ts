import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { watchBackoffMs, watchNamespaceLabels } from "../../src/adapters/kube/index.js";
import { eventually } from "../support/admission-serve.js";
import { kubeTestsEnabled, type RealCluster, startCluster } from "./kube-apiserver.js";

describe("watchBackoffMs", () => {
  it("doubles from the base up to the cap, jittered to between half and all of it", () => {
    const o = { baseMs: 500, maxMs: 30_000 };
    expect([0, 1, 2, 3, 6, 7, 40].map((a) => watchBackoffMs(a, 1, o))).toEqual([
      500, 1000, 2000, 4000, 30_000, 30_000, 30_000,
    ]);
    expect([0, 1, 2, 6].map((a) => watchBackoffMs(a, 0, o))).toEqual([250, 500, 1000, 15_000]);
    expect(watchBackoffMs(2, 0.5, o)).toBe(1500);
  });
});

describe.runIf(kubeTestsEnabled())("the namespace watch against a real kube-apiserver", () => {
  let c: RealCluster;
  beforeAll(async () => {
    // Namespace watches served by etcd itself (no watch cache), so compacting etcd expires a resourceVersion at
    // once, as the API server's own compaction every five minutes does to a watch that was away long enough.
    c = await startCluster({ apiserverArgs: ["--watch-cache-sizes=namespaces#0"] });
  }, 180_000);

  /** Compact etcd's history up to the current revision (what the API server does every five minutes). */
  const compact = async () => {
    // Two changes of another kind move the revision past every namespace event. A watch from resourceVersion N
    // asks for the events after N, so the compaction must pass N + 1 for the last one a watcher saw to expire.
    let revision = "";
    for (let i = 0; i < 2; i++) {
      const cm = await c.api("POST", "/api/v1/namespaces/default/configmaps", {
        metadata: { generateName: "compaction-" },
      });
      expect(cm.status).toBe(201);
      revision = (cm.body.metadata as { resourceVersion: string }).resourceVersion;
    }
    const r = await fetch(`${c.etcd}/v3/kv/compaction`, {
      method: "POST",
      body: JSON.stringify({ revision, physical: true }),
    });
    expect(r.status).toBe(200);
  };
  const labelsOf = async (name: string) =>
    ((await c.api("GET", `/api/v1/namespaces/${name}`)).body.metadata as { labels: Record<string, string> })
      .labels;
  const setLabel = async (name: string, key: string, value: string) => {
    const got = (await c.api("GET", `/api/v1/namespaces/${name}`)).body as {
      metadata: { labels: Record<string, string> };
    };
    got.metadata.labels[key] = value;
    expect((await c.api("PUT", `/api/v1/namespaces/${name}`, got)).status).toBe(200);
  };
  afterAll(async () => {
    await c?.stop();
  });

  it("is not ready until the first list, then follows creates, label changes and deletes", async () => {
    const cache = await watchNamespaceLabels({ kubeconfig: c.kubeconfig("admin") });
    try {
      await eventually(() => cache.synced(), "the first list");
      expect(cache.get("kube-system")).toEqual({ "kubernetes.io/metadata.name": "kube-system" });
      expect(
        (await c.api("POST", "/api/v1/namespaces", { metadata: { name: "w1", labels: { a: "1" } } })).status,
      ).toBe(201);
      await eventually(() => cache.get("w1")?.a === "1", "the created namespace");
      const got = (await c.api("GET", "/api/v1/namespaces/w1")).body as {
        metadata: { labels: Record<string, string> };
      };
      got.metadata.labels.a = "2";
      expect((await c.api("PUT", "/api/v1/namespaces/w1", got)).status).toBe(200);
      await eventually(() => cache.get("w1")?.a === "2", "the label change");
      expect((await c.api("DELETE", "/api/v1/namespaces/w1")).status).toBe(200);
      // Deletion is graceful (finalizers): the namespace goes once the server removes it.
      expect(cache.stats()).toMatchObject({ lists: 1, gone: 0, errors: 0 });
    } finally {
      await cache.stop();
    }
  }, 60_000);

  it("an unreachable API server: errors counted, retried with backoff, never ready, stops at once", async () => {
    const bad = c.kubeconfig("admin");
    const { readFileSync, writeFileSync } = await import("node:fs");
    const { freePort } = await import("./image-fixture.js");
    const port = await freePort();
    const dead = `${bad}.dead`;
    writeFileSync(
      dead,
      readFileSync(bad, "utf8").replace(
        /server: https:\/\/127\.0\.0\.1:\d+/,
        `server: https://127.0.0.1:${port}`,
      ),
    );
    const errors: unknown[] = [];
    const cache = await watchNamespaceLabels({
      kubeconfig: dead,
      backoff: { baseMs: 20, maxMs: 80 },
      onError: (e) => errors.push(e),
    });
    try {
      await eventually(() => cache.stats().errors >= 4, "retries");
      expect(cache.synced()).toBe(false);
      expect(cache.stats().lists).toBe(0);
    } finally {
      await cache.stop();
    }
  }, 60_000);

  it("resuming from a compacted resourceVersion: 410 Gone, a relist, and the labels the server has now", async () => {
    expect(
      (await c.api("POST", "/api/v1/namespaces", { metadata: { name: "g1", labels: { tier: "a" } } })).status,
    ).toBe(201);
    expect(
      (await c.api("POST", "/api/v1/namespaces", { metadata: { name: "g2", labels: { tier: "a" } } })).status,
    ).toBe(201);
    // What an earlier run had seen: the resourceVersion of a list taken now.
    const before = (await c.api("GET", "/api/v1/namespaces")).body.metadata as { resourceVersion: string };
    await setLabel("g1", "tier", "b");
    expect(
      (await c.api("POST", "/api/v1/namespaces", { metadata: { name: "g3", labels: { tier: "c" } } })).status,
    ).toBe(201);
    expect((await c.api("DELETE", "/api/v1/namespaces/g2")).status).toBe(200);
    await compact();
    const errors: unknown[] = [];
    const cache = await watchNamespaceLabels({
      kubeconfig: c.kubeconfig("admin"),
      resumeFrom: before.resourceVersion,
      backoff: { baseMs: 20, maxMs: 200 },
      onError: (e) => errors.push(e),
    });
    try {
      await eventually(() => cache.synced(), "the relist after 410");
      expect({
        stats: cache.stats(),
        g1: cache.get("g1"),
        g3: cache.get("g3"),
        errors: errors.map(String),
      }).toMatchObject({
        stats: { gone: 1, lists: 1, errors: 0 },
        g1: await labelsOf("g1"),
        g3: await labelsOf("g3"),
        errors: [],
      });
      expect(cache.get("g1")?.tier).toBe("b");
      // g2 is being deleted (finalizers): the cache has what the server lists, with or without it.
      const g2 = await c.api("GET", "/api/v1/namespaces/g2");
      expect(cache.get("g2") === undefined).toBe(g2.status === 404);
      // After the relist the watch follows again.
      await setLabel("g3", "tier", "d");
      await eventually(() => cache.get("g3")?.tier === "d", "a change after the relist");
    } finally {
      await cache.stop();
    }
  }, 120_000);

  it("a running watch that ends and resumes after a compaction relists, and ends with the server's labels", async () => {
    expect(
      (await c.api("POST", "/api/v1/namespaces", { metadata: { name: "h1", labels: { tier: "a" } } })).status,
    ).toBe(201);
    const errors: unknown[] = [];
    // Each watch ends after a second (server side) and is resumed from the last resourceVersion seen.
    const cache = await watchNamespaceLabels({
      kubeconfig: c.kubeconfig("admin"),
      watchTimeoutSeconds: 1,
      backoff: { baseMs: 20, maxMs: 200 },
      onError: (e) => errors.push(e),
    });
    try {
      await eventually(() => cache.get("h1")?.tier === "a", "the first list");
      await setLabel("h1", "tier", "b");
      await eventually(() => cache.get("h1")?.tier === "b", "the label change");
      // The last namespace event the cache saw is now older than etcd keeps: the next resumed watch is 410.
      await compact();
      await eventually(() => cache.stats().gone >= 1 && cache.stats().lists >= 2, "410 Gone and a relist");
      await setLabel("h1", "tier", "c");
      await eventually(() => cache.get("h1")?.tier === "c", "a change after the relist");
      expect(cache.get("h1")).toEqual(await labelsOf("h1"));
      expect({ errors: errors.map(String), lists: cache.stats().lists - cache.stats().gone }).toEqual({
        errors: [],
        lists: 1,
      });
    } finally {
      await cache.stop();
    }
  }, 120_000);
});
