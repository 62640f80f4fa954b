import { describe, expect, it } from "vitest";
import {
  advance,
  clusterRollouts,
  type ObservedRemediation,
  type ObservedWorkload,
  type RemediationObservation,
} from "./remediation.js";

const T1 = new Date("2026-12-01T00:00:00.000Z");
const T2 = new Date("2026-12-02T00:00:00.000Z");

/** `api` in namespace shop (the same names in every cluster), `vulnerable` of `replicas` on the vulnerable digest. */
const api = (cluster: string, replicas: number, vulnerable: number): ObservedWorkload => ({
  key: `${cluster}/shop/Deployment/api`,
  ref: { apiVersion: "apps/v1", kind: "Deployment", namespace: "shop", name: "api" },
  cluster,
  team: "payments",
  replicas,
  vulnerableReplicas: vulnerable,
});

const observed = (workloads: ObservedWorkload[]): ObservedRemediation => ({
  key: "CVE-2026-1|registry.example/base",
  vulnerabilityId: "CVE-2026-1",
  aliases: [],
  family: "registry.example/base",
  severity: "critical",
  package: "openssl",
  fixedVersions: ["3.0.9"],
  fixImage: "registry.example/base:1",
  patchedImages: ["registry.example/base:2"],
  workloads,
});

/** What a snapshot of one cluster shows: its workloads, its scope (that cluster's namespace shop). */
function snapshotOf(
  cluster: string,
  workloads: ObservedWorkload[],
  replicas: number,
): RemediationObservation {
  const vulnerable = workloads.filter((w) => w.vulnerableReplicas > 0);
  return {
    remediations: vulnerable.length > 0 ? [observed(vulnerable)] : [],
    replicas: { [`${cluster}/shop/Deployment/api`]: replicas },
    scope: { clusters: [cluster], namespaces: [`${cluster}/shop`], kinds: ["Deployment", "Pod"] },
  };
}

describe("remediation records across clusters", () => {
  it("the same vulnerable digest in three clusters is one record with a rollout per cluster; a fix in one cluster moves only its rollout", () => {
    let records = advance([], snapshotOf("a", [api("a", 3, 3)], 3), T1).records;
    records = advance(records, snapshotOf("b", [api("b", 2, 2)], 2), T1).records;
    records = advance(records, snapshotOf("c", [api("c", 4, 4)], 4), T1).records;
    expect(records).toHaveLength(1);
    expect(records[0]?.rollouts).toEqual([
      {
        cluster: "a",
        workloads: 1,
        replicas: 3,
        vulnerableReplicas: 3,
        fixedReplicas: 0,
        state: "vulnerable",
      },
      {
        cluster: "b",
        workloads: 1,
        replicas: 2,
        vulnerableReplicas: 2,
        fixedReplicas: 0,
        state: "vulnerable",
      },
      {
        cluster: "c",
        workloads: 1,
        replicas: 4,
        vulnerableReplicas: 4,
        fixedReplicas: 0,
        state: "vulnerable",
      },
    ]);
    // Cluster b rolls the fix out to one replica of two, then cluster a to all three.
    records = advance(records, snapshotOf("b", [api("b", 2, 1)], 2), T2).records;
    records = advance(records, snapshotOf("a", [], 3), T2).records;
    const r = records[0];
    expect(r?.rollouts).toEqual([
      { cluster: "a", workloads: 1, replicas: 3, vulnerableReplicas: 0, fixedReplicas: 3, state: "fixed" },
      {
        cluster: "b",
        workloads: 1,
        replicas: 2,
        vulnerableReplicas: 1,
        fixedReplicas: 1,
        state: "rolling-out",
      },
      {
        cluster: "c",
        workloads: 1,
        replicas: 4,
        vulnerableReplicas: 4,
        fixedReplicas: 0,
        state: "vulnerable",
      },
    ]);
    expect(r?.totals).toEqual({ workloads: 3, replicas: 9, vulnerableReplicas: 5, fixedReplicas: 4 });
    expect(r?.state).toBe("deployed");
    // Closed only once the last cluster has no vulnerable replica.
    records = advance(records, snapshotOf("b", [], 2), T2).records;
    expect(records[0]?.state).toBe("deployed");
    records = advance(records, snapshotOf("c", [], 4), T2).records;
    expect(records[0]?.state).toBe("closed");
    expect(records[0]?.rollouts.map((x) => [x.cluster, x.state, x.fixedReplicas])).toEqual([
      ["a", "fixed", 3],
      ["b", "fixed", 2],
      ["c", "fixed", 4],
    ]);
  });

  it("workloads of no named cluster are the rollout of cluster ''", () => {
    expect(
      clusterRollouts([
        {
          key: "/shop/Deployment/api",
          ref: { apiVersion: "apps/v1", kind: "Deployment", namespace: "shop", name: "api" },
          replicas: 2,
          vulnerableReplicas: 2,
          fixedReplicas: 0,
          present: true,
        },
      ]),
    ).toEqual([
      {
        cluster: "",
        workloads: 1,
        replicas: 2,
        vulnerableReplicas: 2,
        fixedReplicas: 0,
        state: "vulnerable",
      },
    ]);
  });
});
