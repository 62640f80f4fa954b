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
    c = await startCluster();
  }, 180_000);
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
});
