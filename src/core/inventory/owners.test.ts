/**
 * Pods whose owner object is not in the input (a `kubectl get pods -A -o json` dump) are grouped under that owner
 * from their ownerReferences, in every analyzer, exactly as when the owner is present.
 */
import { describe, expect, it } from "vitest";
import { workloadUsages } from "../lineage/index.js";
import { analyzeConnectivity, isRangeEndpoint } from "../netpol/index.js";
import { evaluatePosture } from "../posture/index.js";
import { runScan } from "../scan/index.js";
import { kubectlDump } from "./__fixtures__/kubectl-dump.js";
import { buildInventory } from "./build.js";
import type { RawObject } from "./model.js";

const dump = (): RawObject[] => [{ object: kubectlDump() }];

const OWNERS = [
  "CronJob batch/nightly",
  "DaemonSet logging/agent",
  "Deployment shop/api",
  "Pod default/debug",
  "Pod kube-system/kube-apiserver-node-1",
  "ReplicaSet shop/web-7d9f8b6c5d",
];

describe("owners named by ownerReferences but absent from the input", () => {
  it("group their pods into one workload per owner; only pods without an owner (and static pods) stand alone", () => {
    const inv = buildInventory(dump());
    expect(
      inv.workloads
        .map((w) => ({
          ref: w.ref,
          kind: w.kind,
          pods: w.pods.map((p) => p.ref.name),
          owned: w.owned.map((r) => `${r.kind}/${r.name}`),
          replicas: w.replicas,
          podLabels: { ...w.podLabels },
          podSpecPath: w.podSpecPath,
          images: w.containers.map((c) => c.imageString),
        }))
        .sort((a, b) =>
          `${a.kind} ${a.ref.namespace}/${a.ref.name}` < `${b.kind} ${b.ref.namespace}/${b.ref.name}`
            ? -1
            : 1,
        ),
    ).toEqual([
      {
        // The present Job names its absent CronJob.
        ref: { apiVersion: "batch/v1", kind: "CronJob", namespace: "batch", name: "nightly" },
        kind: "CronJob",
        pods: ["nightly-29412360-8k2lp"],
        owned: ["Job/nightly-29412360", "Pod/nightly-29412360-8k2lp"],
        replicas: 1,
        podLabels: { "batch.kubernetes.io/job-name": "nightly-29412360" },
        podSpecPath: "spec.jobTemplate.spec.template.spec",
        images: ["busybox:1.36"],
      },
      {
        ref: { apiVersion: "apps/v1", kind: "DaemonSet", namespace: "logging", name: "agent" },
        kind: "DaemonSet",
        pods: ["agent-5xk2n", "agent-q8w7e"],
        owned: ["Pod/agent-5xk2n", "Pod/agent-q8w7e"],
        replicas: 2,
        podLabels: { app: "agent", "controller-revision-hash": "6b9f7c8d5", "pod-template-generation": "1" },
        podSpecPath: "spec.template.spec",
        images: ["fluent/fluent-bit:2.2.0"],
      },
      {
        // The Deployment is absent, but the present ReplicaSet names it: its pods belong to the Deployment.
        ref: { apiVersion: "apps/v1", kind: "Deployment", namespace: "shop", name: "api" },
        kind: "Deployment",
        pods: ["api-5c6b7d8f9-hw2lk", "api-5c6b7d8f9-7tq9d"],
        owned: ["ReplicaSet/api-5c6b7d8f9", "Pod/api-5c6b7d8f9-hw2lk", "Pod/api-5c6b7d8f9-7tq9d"],
        replicas: 2,
        podLabels: { app: "api", "pod-template-hash": "5c6b7d8f9" },
        podSpecPath: "spec.template.spec",
        images: ["registry.example/shop/api:3.1"],
      },
      {
        ref: { apiVersion: "v1", kind: "Pod", namespace: "default", name: "debug" },
        kind: "Pod",
        pods: [],
        owned: [],
        replicas: 1,
        podLabels: { run: "debug" },
        podSpecPath: "spec",
        images: ["busybox:1.36"],
      },
      {
        // Mirror pod of a static pod: owned by its Node, still its own workload.
        ref: { apiVersion: "v1", kind: "Pod", namespace: "kube-system", name: "kube-apiserver-node-1" },
        kind: "Pod",
        pods: [],
        owned: [],
        replicas: 1,
        podLabels: { component: "kube-apiserver", tier: "control-plane" },
        podSpecPath: "spec",
        images: ["registry.k8s.io/kube-apiserver:v1.31.2"],
      },
      {
        // A Pod cannot know the Deployment of its absent ReplicaSet: it belongs to the ReplicaSet.
        ref: { apiVersion: "apps/v1", kind: "ReplicaSet", namespace: "shop", name: "web-7d9f8b6c5d" },
        kind: "ReplicaSet",
        pods: ["web-7d9f8b6c5d-x2kqp", "web-7d9f8b6c5d-8zt4w", "web-7d9f8b6c5d-m9vrc"],
        owned: ["Pod/web-7d9f8b6c5d-x2kqp", "Pod/web-7d9f8b6c5d-8zt4w", "Pod/web-7d9f8b6c5d-m9vrc"],
        replicas: 3,
        podLabels: { app: "web", "pod-template-hash": "7d9f8b6c5d" },
        podSpecPath: "spec.template.spec",
        images: ["nginx:1.25.3"],
      },
    ]);
    expect(inv.workloads[0]?.object.uid).toBeDefined();
    expect(inv.coverage).toEqual([]);
  });

  it("give the same findings as the owner object would (one per workload, not per pod), with positions in the pod's file", () => {
    const located: RawObject = {
      object: kubectlDump(),
      source: {
        file: "pods.json",
        line: 1,
        column: 1,
        // Every field path resolves to a line of its own, so the test sees which path was asked for.
        locate: (p) => ({ file: "pods.json", line: 1000 + p.length, column: 7, fieldPath: p }) as never,
      },
    };
    const { findings } = evaluatePosture(buildInventory([located]));
    const privileged = findings.filter((f) => f.ruleId === "PAL-POD-001");
    expect(privileged.map((f) => [f.resource, f.workload, f.fieldPath, f.location])).toEqual([
      [
        { apiVersion: "apps/v1", kind: "DaemonSet", namespace: "logging", name: "agent" },
        { apiVersion: "apps/v1", kind: "DaemonSet", namespace: "logging", name: "agent" },
        "spec.template.spec.containers[0].securityContext.privileged",
        // The representative pod (agent-5xk2n: running, first by name) is items[3] of the dump.
        {
          file: "pods.json",
          line: 1000 + "items[3].spec.containers[0].securityContext.privileged".length,
          column: 7,
          fieldPath: "items[3].spec.containers[0].securityContext.privileged",
        },
      ],
    ]);
    // Every posture finding names a workload of the owner set; none names a pod that has an owner.
    const resources = new Set(
      findings.map((f) => `${f.resource.kind} ${f.resource.namespace}/${f.resource.name}`),
    );
    expect([...resources].sort()).toEqual(OWNERS);
    for (const rule of new Set(findings.map((f) => f.ruleId))) {
      const perWorkload = findings.filter((f) => f.ruleId === rule && f.resource.name === "web-7d9f8b6c5d");
      expect(new Set(perWorkload.map((f) => f.id)).size).toBe(perWorkload.length);
    }
    // Scan summary counts workloads, not pods.
    const report = runScan(buildInventory(dump()), {
      now: new Date("2026-12-01T00:00:00Z"),
      version: "test",
    });
    expect(report.inventory.workloads).toBe(OWNERS.length);
  });

  it("group them as netpol endpoints (connectivity lists owners, and their pods' addresses for ipBlocks)", () => {
    const policy = {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: "web-from-api", namespace: "shop" },
      spec: {
        podSelector: { matchLabels: { app: "web" } },
        policyTypes: ["Ingress"],
        ingress: [{ from: [{ podSelector: { matchLabels: { app: "api" } } }], ports: [{ port: 80 }] }],
      },
    };
    const inv = buildInventory([...dump(), { object: policy }]);
    const conn = analyzeConnectivity(inv, { ipBlockMatchesPods: true });
    const names = new Set<string>();
    for (const e of conn.edges)
      for (const ep of [e.src, e.dst])
        if (!isRangeEndpoint(ep)) names.add(`${ep.kind} ${ep.namespace}/${ep.name}`);
    expect([...names].sort()).toEqual(OWNERS);
    const intoWeb = conn.edges
      .filter((e) => !isRangeEndpoint(e.dst) && e.dst.name === "web-7d9f8b6c5d")
      .map((e) => (isRangeEndpoint(e.src) ? "range" : `${e.src.kind}/${e.src.name}`));
    expect(intoWeb).toEqual(["Deployment/api"]);
    // Pod addresses of all three web pods are known: nothing reported as of unknown address.
    expect(conn.coverage.filter((c) => c.message.includes("web-7d9f8b6c5d"))).toEqual([]);
  });

  it("group them for lineage usage: one workload per owner, running digests counted over all its pods", () => {
    const usages = workloadUsages(buildInventory(dump()));
    expect(
      usages.map((u) => [
        `${u.ref.kind} ${u.ref.namespace}/${u.ref.name}`,
        u.replicas,
        u.containers.map((c) => c.running.map((r) => r.replicas)),
      ]),
    ).toEqual([
      ["CronJob batch/nightly", 1, [[1]]],
      ["Pod default/debug", 1, [[1]]],
      ["Pod kube-system/kube-apiserver-node-1", 1, [[1]]],
      ["DaemonSet logging/agent", 2, [[2]]],
      ["Deployment shop/api", 2, [[2]]],
      ["ReplicaSet shop/web-7d9f8b6c5d", 3, [[3]]],
    ]);
  });

  it("follow the controller reference first, whatever the order of ownerReferences", () => {
    const pod = (name: string): RawObject => ({
      object: {
        apiVersion: "v1",
        kind: "Pod",
        metadata: {
          name,
          namespace: "shop",
          ownerReferences: [
            { apiVersion: "example.com/v1", kind: "Job", name: "not-the-controller", uid: "x" },
            { apiVersion: "apps/v1", kind: "StatefulSet", name: "db", uid: "s1", controller: true },
          ],
        },
        spec: { containers: [{ name: "db", image: "postgres:16" }] },
      },
    });
    const inv = buildInventory([pod("db-0"), pod("db-1")]);
    expect(inv.workloads.map((w) => [w.ref, w.pods.map((p) => p.ref.name), w.replicas])).toEqual([
      [{ apiVersion: "apps/v1", kind: "StatefulSet", namespace: "shop", name: "db" }, ["db-0", "db-1"], 2],
    ]);
  });

  it("pick the template of the current revision whatever the input order", () => {
    const rs = (name: string, revision: string, replicas: number, image: string): RawObject => ({
      object: {
        apiVersion: "apps/v1",
        kind: "ReplicaSet",
        metadata: {
          name,
          namespace: "shop",
          annotations: { "deployment.kubernetes.io/revision": revision },
          ownerReferences: [
            { apiVersion: "apps/v1", kind: "Deployment", name: "web", uid: "u1", controller: true },
          ],
        },
        spec: {
          replicas,
          template: { metadata: { labels: { app: "web" } }, spec: { containers: [{ name: "a", image }] } },
        },
      },
    });
    const a = [rs("web-old", "9", 0, "nginx:1.24"), rs("web-new", "10", 3, "nginx:1.25")];
    for (const order of [a, [...a].reverse()]) {
      const [w] = buildInventory(order).workloads;
      expect([w?.ref.kind, w?.ref.name, w?.replicas, w?.containers.map((c) => c.imageString)]).toEqual([
        "Deployment",
        "web",
        3,
        ["nginx:1.25"],
      ]);
    }
  });
});
