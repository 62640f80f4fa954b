import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseManifestText } from "../../adapters/manifests/index.js";
import { buildInventory, type RawObject } from "../inventory/index.js";
import { workloadUsages } from "../lineage/index.js";
import { pssFindings } from "../pss/index.js";
import { evaluatePosture } from "./index.js";

const FILE = "workload-kinds.yaml";
const text = readFileSync(new URL(`../inventory/__fixtures__/${FILE}`, import.meta.url), "utf8");
const load = (t: string = text): RawObject[] => parseManifestText(t, FILE).objects;
const lineOf = (needle: string): number => text.split("\n").findIndex((l) => l.includes(needle)) + 1;

describe("workload kinds beyond the core: OpenShift DeploymentConfig, Argo Rollout", () => {
  const inv = buildInventory(load());

  it("are workloads with their pod template, own their ReplicationControllers/ReplicaSets and pods, and are not unknown kinds", () => {
    expect(
      inv.workloads.map((w) => ({
        ref: `${w.ref.apiVersion} ${w.kind} ${w.ref.namespace}/${w.ref.name}`,
        replicas: w.replicas,
        owned: w.owned.map((o) => `${o.kind} ${o.name}`),
        pods: w.pods.length,
        images: w.containers.map((c) => c.imageString),
      })),
    ).toEqual([
      {
        ref: "apps.openshift.io/v1 DeploymentConfig shop/legacy",
        replicas: 2,
        owned: ["ReplicationController legacy-7", "Pod legacy-7-abcde"],
        pods: 1,
        images: ["registry.example.com/shop/legacy:3.1"],
      },
      {
        ref: "argoproj.io/v1alpha1 Rollout shop/checkout",
        replicas: 5,
        owned: ["ReplicaSet checkout-6d5f9", "Pod checkout-6d5f9-xyz12"],
        pods: 1,
        images: ["registry.example.com/shop/checkout:2.0"],
      },
      {
        // spec.workloadRef: the Deployment's template is what the Rollout runs; the Deployment (scaled to zero)
        // is not a second workload.
        ref: "argoproj.io/v1alpha1 Rollout shop/search",
        replicas: 3,
        owned: ["Deployment search"],
        pods: 0,
        images: ["registry.example.com/shop/search:5.4"],
      },
    ]);
    expect([...inv.unknownKinds]).toEqual([["example.com/v1/Rollout", 1]]);
    expect(inv.coverage).toEqual([]);
  });

  it("posture rules evaluate them like Deployments, located where the template is written", () => {
    const f = evaluatePosture(inv).findings.filter((x) =>
      ["PAL-POD-001", "PAL-POD-002", "PAL-POD-004", "PAL-POD-037"].includes(x.ruleId),
    );
    expect(
      f.map((x) => [x.ruleId, `${x.resource.kind}/${x.resource.name}`, x.fieldPath, x.location?.line]),
    ).toEqual([
      [
        "PAL-POD-037",
        "DeploymentConfig/legacy",
        "spec.template.spec.containers[0].livenessProbe",
        lineOf("- name: app"),
      ],
      [
        "PAL-POD-001",
        "DeploymentConfig/legacy",
        "spec.template.spec.containers[0].securityContext.privileged",
        lineOf("privileged: true"),
      ],
      ["PAL-POD-002", "Rollout/checkout", "spec.template.spec.hostPID", lineOf("hostPID: true")],
      [
        "PAL-POD-037",
        "Rollout/checkout",
        "spec.template.spec.containers[0].livenessProbe",
        lineOf("image: registry.example.com/shop/checkout:2.0") - 1,
      ],
      ["PAL-POD-004", "Rollout/search", "spec.template.spec.hostNetwork", lineOf("hostNetwork: true")],
      [
        "PAL-POD-037",
        "Rollout/search",
        "spec.template.spec.containers[0].livenessProbe",
        lineOf("- name: search"),
      ],
    ]);
  });

  it("Pod Security Standards and lineage usage see them", () => {
    const pss = pssFindings(inv, "baseline").map((x) => `${x.resource.kind}/${x.resource.name} ${x.ruleId}`);
    expect(pss).toEqual([
      "DeploymentConfig/legacy PSS-privileged",
      "Rollout/checkout PSS-hostNamespaces",
      "Rollout/search PSS-hostNamespaces",
    ]);
    expect(
      workloadUsages(inv).map(
        (u) => `${u.ref.kind}/${u.ref.name} x${u.replicas} ${u.containers.map((c) => c.image)}`,
      ),
    ).toEqual([
      "DeploymentConfig/legacy x2 registry.example.com/shop/legacy:3.1",
      "Rollout/checkout x5 registry.example.com/shop/checkout:2.0",
      "Rollout/search x3 registry.example.com/shop/search:5.4",
    ]);
  });

  it("a Rollout whose workloadRef Deployment is absent: its own pods carry the template, else coverage says so", () => {
    const rollout =
      text
        .split("\n---\n")
        .find((d) => d.includes("name: search\n  namespace: shop\nspec:\n  replicas: 3")) ?? "";
    const alone = buildInventory(load(rollout));
    expect(alone.workloads).toEqual([]);
    expect(alone.coverage.map((c) => [c.reason, c.message])).toEqual([
      [
        "missing",
        'Rollout shop/search runs the pod template of Deployment "search" (spec.workloadRef), which is not in the input: its pods were not evaluated',
      ],
    ]);
    const pod = [
      "apiVersion: v1",
      "kind: Pod",
      "metadata:",
      "  name: search-5c7d-abcde",
      "  namespace: shop",
      "  ownerReferences: [{ apiVersion: argoproj.io/v1alpha1, kind: Rollout, name: search, controller: true }]",
      "spec:",
      "  containers: [{ name: search, image: registry.example.com/shop/search:5.4 }]",
    ].join("\n");
    const withPod = buildInventory(load(`${rollout}\n---\n${pod}`));
    expect(withPod.coverage).toEqual([]);
    expect(
      withPod.workloads.map((w) => [
        w.kind,
        w.ref.name,
        w.pods.length,
        w.containers.map((c) => c.imageString),
      ]),
    ).toEqual([["Rollout", "search", 1, ["registry.example.com/shop/search:5.4"]]]);
  });

  it("pods of an absent Rollout or DeploymentConfig (a kubectl get pods dump) group under it by the reference", () => {
    const pods = ["checkout-6d5f9", "legacy-7"].map((owner) =>
      [
        "apiVersion: v1",
        "kind: Pod",
        "metadata:",
        `  name: ${owner}-p`,
        "  namespace: shop",
        `  ownerReferences: [{ apiVersion: ${owner === "legacy-7" ? "v1, kind: ReplicationController" : "apps/v1, kind: ReplicaSet"}, name: ${owner}, controller: true }]`,
        "spec:",
        "  containers: [{ name: app, image: registry.example.com/shop/app:1 }]",
      ].join("\n"),
    );
    const owners = text
      .split("\n---\n")
      .filter((d) => d.includes("name: checkout-6d5f9\n") || d.includes("name: legacy-7\n"));
    const inv2 = buildInventory(load([...owners, ...pods].join("\n---\n")));
    expect(
      inv2.workloads.map((w) => `${w.ref.apiVersion} ${w.kind} ${w.ref.name} pods=${w.pods.length}`),
    ).toEqual([
      "apps.openshift.io/v1 DeploymentConfig legacy pods=1",
      "argoproj.io/v1alpha1 Rollout checkout pods=1",
    ]);
  });
});
