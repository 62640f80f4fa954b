import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import type { ApiRequest } from "./http.js";
import { type KindDescriptor, listKinds } from "./index.js";

const PODS: KindDescriptor = { apiVersion: "v1", kind: "Pod", resource: "pods", namespaced: true };
const ROLES: KindDescriptor = {
  apiVersion: "rbac.authorization.k8s.io/v1",
  kind: "Role",
  resource: "roles",
  namespaced: true,
};

/** An in-memory transport: `route` answers each path with a status and body chunks. */
function transport(route: (path: string) => { status: number; body: (string | Buffer)[] } | "hang"): {
  request: ApiRequest;
  paths: string[];
} {
  const paths: string[] = [];
  const request: ApiRequest = (path, signal) => {
    paths.push(path);
    const r = route(path);
    if (r === "hang")
      return new Promise((_resolve, reject) =>
        signal.addEventListener("abort", () => reject(signal.reason), { once: true }),
      );
    return Promise.resolve({ status: r.status, body: Readable.from(r.body.map((c) => Buffer.from(c))) });
  };
  return { request, paths };
}

const pod = (name: string) => ({
  metadata: { name, namespace: "a" },
  spec: { containers: [{ name: "c", image: "x" }] },
});
const page = (items: unknown[], cont?: string) =>
  JSON.stringify({ kind: "PodList", apiVersion: "v1", metadata: cont ? { continue: cont } : {}, items });
const ok = (body: string) => ({ status: 200, body: [body] });
const base = { origin: "cluster:t", cluster: "t", server: "https://k" };

describe("listKinds", () => {
  it("follows pages, keeps objects in order, and restarts once on 410 Gone", async () => {
    let gone = false;
    const t = transport((p) => {
      if (p === "/version" || p === "/apis") return { status: 404, body: [] };
      if (p === "/api/v1/pods?limit=2") return ok(page([pod("a"), pod("b")], "c1"));
      if (p === "/api/v1/pods?limit=2&continue=c1") {
        if (!gone) {
          gone = true;
          return { status: 410, body: ['{"kind":"Status","code":410}'] };
        }
        return ok(page([pod("c")]));
      }
      return ok(page([]));
    });
    const r = await listKinds(t.request, { ...base, kinds: [PODS], pageSize: 2 });
    expect(r.coverage).toEqual([]);
    expect(r.objects.map((o) => [(o.object.metadata as { name: string }).name, o.source?.index])).toEqual([
      ["a", 0],
      ["b", 1],
      ["c", 2],
    ]);
    expect(t.paths.filter((p) => p.startsWith("/api/v1/pods")).length).toBe(4);
  });

  it("discovery: a kind whose group is not served is reported without a request", async () => {
    const t = transport((p) => {
      if (p === "/apis")
        return ok(
          JSON.stringify({ kind: "APIGroupList", groups: [{ versions: [{ groupVersion: "apps/v1" }] }] }),
        );
      return ok(page([]));
    });
    const r = await listKinds(t.request, { ...base, kinds: [PODS, ROLES] });
    expect(r.coverage).toEqual([
      {
        reason: "unserved",
        message: "rbac.authorization.k8s.io/v1 roles is not served by this cluster (discovery)",
        subject: "cluster:t",
        kind: "Role",
      },
    ]);
    expect(t.paths).toEqual(["/version", "/apis", "/api/v1/pods?limit=500"]);
  });

  it("a repeated continue token stops the kind, keeping what was read", async () => {
    const t = transport((p) => (p.startsWith("/api/v1/pods") ? ok(page([pod("a")], "same")) : ok(page([]))));
    const r = await listKinds(t.request, { ...base, kinds: [PODS] });
    expect(r.objects).toHaveLength(2);
    expect(r.coverage.map((c) => [c.reason, c.message])).toEqual([
      [
        "invalid",
        "listing pods cluster-wide: the server repeated a continue token (2 objects read before it stopped)",
      ],
    ]);
  });

  it("a response over its byte cap stops the kind with a limit entry", async () => {
    const items = Array.from({ length: 200 }, (_, i) => pod(`p${i}`));
    const t = transport((p) => (p.startsWith("/api/v1/pods") ? ok(page(items)) : ok(page([]))));
    const r = await listKinds(t.request, { ...base, kinds: [PODS], limits: { maxResponseBytes: 4096 } });
    expect(r.coverage).toHaveLength(1);
    expect(r.coverage[0]).toMatchObject({
      reason: "limit",
      message: expect.stringMatching(
        /^listing pods cluster-wide: one response: over the bytes budget of 4 KiB; the rest of the input was not read \(listing stopped\)$/,
      ),
    });
  });

  it("item problems are reported (at most 10 entries per kind) and the list goes on", async () => {
    const bad = Array.from({ length: 15 }, () => 7);
    const t = transport((p) => (p.startsWith("/api/v1/pods") ? ok(page([...bad, pod("ok")])) : ok(page([]))));
    const r = await listKinds(t.request, { ...base, kinds: [PODS] });
    expect(r.objects).toHaveLength(1);
    expect(r.coverage).toHaveLength(11);
    expect(r.coverage[10]?.message).toBe("5 more Pod items cluster-wide were rejected");
  });

  it("a 200 that is not a List (a single object) is invalid and nothing of it is kept", async () => {
    const t = transport((p) =>
      p.startsWith("/api/v1/pods") ? ok(JSON.stringify(pod("lone"))) : ok(page([])),
    );
    const r = await listKinds(t.request, { ...base, kinds: [PODS] });
    expect(r.objects).toEqual([]);
    expect(r.coverage.map((c) => [c.reason, c.message])).toEqual([
      ["invalid", "listing pods cluster-wide: the response is not a Kubernetes list"],
    ]);
  });

  it("an item in a Secret list that claims another kind is still a Secret: its values are dropped", async () => {
    const SECRETS: KindDescriptor = {
      apiVersion: "v1",
      kind: "Secret",
      resource: "secrets",
      namespaced: true,
    };
    const item = {
      kind: "ConfigMap",
      apiVersion: "v1",
      metadata: { name: "s", namespace: "a" },
      data: { k: "c2VjcmV0" },
    };
    const t = transport(() =>
      ok(JSON.stringify({ kind: "SecretList", apiVersion: "v1", metadata: {}, items: [item] })),
    );
    const r = await listKinds(t.request, { ...base, kinds: [SECRETS] });
    expect(r.objects.map((o) => o.object)).toEqual([
      {
        apiVersion: "v1",
        kind: "Secret",
        metadata: { name: "s", namespace: "a" },
        data: { k: "(redacted)" },
      },
    ]);
  });

  it("an item over the item cap stops the kind (a hostile body is not read to its end)", async () => {
    const big = { metadata: { name: "big", namespace: "a", annotations: { x: "A".repeat(64 * 1024) } } };
    const t = transport((p) =>
      p.startsWith("/api/v1/pods") ? ok(page([pod("a"), big, pod("b")])) : ok(page([])),
    );
    const r = await listKinds(t.request, { ...base, kinds: [PODS], limits: { maxItemBytes: 16 * 1024 } });
    expect(r.objects).toEqual([]);
    expect(r.coverage.map((c) => [c.reason, c.message])).toEqual([
      [
        "limit",
        "listing pods cluster-wide: items[1] is larger than the limit of 16384 bytes; skipped (listing stopped)",
      ],
    ]);
  });

  it("the overall deadline stops every kind still running; each says so", async () => {
    const t = transport((p) => (p === "/version" || p === "/apis" ? ok("{}") : "hang"));
    const r = await listKinds(t.request, {
      ...base,
      kinds: [PODS, ROLES],
      limits: { timeoutMs: 200, requestTimeoutMs: 60_000 },
    });
    expect(r.coverage.map((c) => [c.reason, c.message])).toEqual([
      ["limit", "listing pods cluster-wide stopped: the live read's overall timeout of 0.2 s passed"],
      ["limit", "listing roles cluster-wide stopped: the live read's overall timeout of 0.2 s passed"],
    ]);
  });
});

describe("listKinds with node details (test double: the real API server runs no kubelet to proxy configz to)", () => {
  const NODES: KindDescriptor = { apiVersion: "v1", kind: "Node", resource: "nodes", namespaced: false };
  const node = (name: string) => ({
    metadata: { name },
    status: { nodeInfo: { kubeletVersion: "v1.29.1" } },
  });
  it("keeps /version as a ClusterVersion and each readable kubelet configuration; 403s and errors are coverage", async () => {
    const t = transport((p) => {
      if (p === "/version")
        return ok('{"major":"1","minor":"29","gitVersion":"v1.29.1-eks-b9c9ed7","platform":"linux/amd64"}');
      if (p === "/apis") return { status: 404, body: [] };
      if (p.startsWith("/api/v1/nodes?"))
        return ok(JSON.stringify({ kind: "NodeList", items: [node("b"), node("a"), node("c"), node("d")] }));
      if (p === "/api/v1/nodes/a/proxy/configz")
        return ok('{"kubeletconfig":{"readOnlyPort":10255,"authentication":{"anonymous":{"enabled":true}}}}');
      if (p === "/api/v1/nodes/b/proxy/configz") return { status: 403, body: ['{"kind":"Status"}'] };
      if (p === "/api/v1/nodes/c/proxy/configz") return ok('{"kubeletconfig":{"__proto__":{"x":1}}}');
      return { status: 503, body: ["no route to host"] };
    });
    const r = await listKinds(t.request, { ...base, kinds: [NODES], nodeDetails: true });
    expect(r.objects.slice(4).map((o) => o.object)).toEqual([
      {
        apiVersion: "palisade.dev/v1",
        kind: "ClusterVersion",
        metadata: { name: "t" },
        serverVersion: {
          major: "1",
          minor: "29",
          gitVersion: "v1.29.1-eks-b9c9ed7",
          platform: "linux/amd64",
        },
      },
      {
        apiVersion: "kubelet.config.k8s.io/v1beta1",
        kind: "KubeletConfiguration",
        metadata: { name: "a" },
        readOnlyPort: 10255,
        authentication: { anonymous: { enabled: true } },
      },
    ]);
    expect(r.coverage).toEqual([
      {
        reason: "not-evaluated",
        subject: "cluster:t",
        kind: "Node",
        message:
          "kubelet configuration of 1 node(s) not read (e.g. b): RBAC forbade get on nodes/proxy (403)",
      },
      {
        reason: "invalid",
        subject: "cluster:t",
        kind: "Node",
        message:
          "kubelet configuration of 1 node(s) not read (e.g. c): configz did not answer a kubeletconfig object",
      },
      {
        reason: "not-evaluated",
        subject: "cluster:t",
        kind: "Node",
        message:
          "kubelet configuration of 1 node(s) not read (e.g. d): the API server answered HTTP 503 (kubelet unreachable through the API server proxy?)",
      },
    ]);
  });
});
