import { describe, expect, it } from "vitest";
import { buildInventory, type RawObject } from "../inventory/index.js";
import { pssFindings } from "./findings.js";
import { evaluateNamespacesPss, policyFromLabels } from "./namespaces.js";

const ns = (name: string, labels: Record<string, string>): RawObject => ({
  object: { apiVersion: "v1", kind: "Namespace", metadata: { name, labels } },
});

const pod = (name: string, namespace: string, spec: Record<string, unknown>): RawObject => ({
  object: { apiVersion: "v1", kind: "Pod", metadata: { name, namespace }, spec },
});

describe("policyFromLabels (api.PolicyToEvaluate)", () => {
  it("defaults to privileged:latest", () => {
    expect(policyFromLabels({})).toEqual({
      policy: {
        enforce: { level: "privileged", version: "latest", evaluatedVersion: "v1.37" },
        audit: { level: "privileged", version: "latest", evaluatedVersion: "v1.37" },
        warn: { level: "privileged", version: "latest", evaluatedVersion: "v1.37" },
      },
      errors: [],
    });
  });

  it("raises warn to a valid enforce level stricter than it when no warn label is set (not audit)", () => {
    const L = "pod-security.kubernetes.io/";
    const lv = (l: string) => ({ level: l, version: "latest", evaluatedVersion: "v1.37" });
    const warnOf = (labels: Record<string, string>) => policyFromLabels(labels).policy.warn;
    expect(policyFromLabels({ [`${L}enforce`]: "baseline" }).policy).toEqual({
      enforce: lv("baseline"),
      audit: lv("privileged"),
      warn: lv("baseline"),
    });
    // upstream TestPolicyToEvaluate cases
    expect(warnOf({ [`${L}enforce`]: "baseline", [`${L}enforce-version`]: "v1.22" })).toEqual({
      level: "baseline",
      version: "v1.22",
      evaluatedVersion: "v1.22",
    });
    expect(
      warnOf({
        [`${L}enforce`]: "baseline",
        [`${L}enforce-version`]: "v1.22",
        [`${L}warn-version`]: "latest",
      }),
    ).toEqual(lv("baseline"));
    expect(warnOf({ [`${L}enforce`]: "baseline", [`${L}warn-version`]: "v1.23" })).toEqual({
      level: "baseline",
      version: "v1.23",
      evaluatedVersion: "v1.23",
    });
    expect(warnOf({ [`${L}enforce`]: "baseline", [`${L}warn`]: "privileged" })).toEqual(lv("privileged"));
    expect(warnOf({ [`${L}enforce`]: "baseline", [`${L}warn`]: "foo" })).toEqual(lv("privileged"));
    expect(warnOf({ [`${L}enforce`]: "foo" })).toEqual(lv("privileged"));
    expect(warnOf({ [`${L}enforce`]: "baseline", [`${L}warn`]: "restricted" })).toEqual(lv("restricted"));
  });

  it("fails closed for enforce and open for audit and warn; invalid versions become latest", () => {
    expect(
      policyFromLabels({
        "pod-security.kubernetes.io/enforce": "Baseline",
        "pod-security.kubernetes.io/enforce-version": "1.23",
        "pod-security.kubernetes.io/audit": "strict",
        "pod-security.kubernetes.io/warn": "baseline",
        "pod-security.kubernetes.io/warn-version": "v1.200",
      }),
    ).toEqual({
      policy: {
        enforce: { level: "restricted", version: "latest", evaluatedVersion: "v1.37" },
        audit: { level: "privileged", version: "latest", evaluatedVersion: "v1.37" },
        warn: { level: "baseline", version: "v1.200", evaluatedVersion: "v1.37" },
      },
      errors: [
        {
          label: "pod-security.kubernetes.io/enforce",
          value: "Baseline",
          message: "must be one of privileged, baseline, restricted",
        },
        {
          label: "pod-security.kubernetes.io/enforce-version",
          value: "1.23",
          message: 'must be "latest" or "v1.x"',
        },
        {
          label: "pod-security.kubernetes.io/audit",
          value: "strict",
          message: "must be one of privileged, baseline, restricted",
        },
      ],
    });
  });
});

describe("evaluateNamespacesPss", () => {
  it("reports policies, rejected/audited/warned workloads, unlabelled namespaces and coverage", () => {
    const privileged = { containers: [{ name: "c", securityContext: { privileged: true } }] };
    const inv = buildInventory([
      ns("prod", {
        "pod-security.kubernetes.io/enforce": "baseline",
        "pod-security.kubernetes.io/enforce-version": "v1.22",
        "pod-security.kubernetes.io/audit": "restricted",
      }),
      ns("dev", {}),
      ns("bad", { "pod-security.kubernetes.io/enforce": "none" }),
      pod("p1", "prod", privileged),
      pod("p2", "prod", { containers: [{ name: "c" }] }),
      pod("p3", "dev", privileged),
      pod("p4", "ghost", privileged),
      pod("p5", "bad", { containers: [{ name: "c" }] }),
    ]);
    const report = evaluateNamespacesPss(inv);
    expect(report.unlabelled).toEqual(["dev", "ghost"]);
    expect(report.coverage).toEqual([
      {
        reason: "invalid",
        message:
          'namespace "bad": label pod-security.kubernetes.io/enforce="none" is invalid (must be one of privileged, baseline, restricted); evaluated as restricted',
        subject: "bad",
        namespace: "bad",
        kind: "Namespace",
        evaluated: true,
      },
      {
        reason: "missing",
        message:
          'namespace "ghost" is not in the input: its pod-security labels are unknown, defaults assumed',
        subject: "ghost",
        namespace: "ghost",
        kind: "Namespace",
      },
    ]);
    const summary = report.namespaces.map((n) => ({
      ns: n.namespace,
      labelled: n.labelled,
      enforce: `${n.policy.enforce.level}:${n.policy.enforce.version}`,
      rejected: n.rejected.map((v) => `${v.resource.name}:${v.violations.map((x) => x.check).join("+")}`),
      audited: n.audited.map((v) => v.resource.name),
      warned: n.warned.map((v) => v.resource.name),
    }));
    expect(summary).toEqual([
      {
        ns: "bad",
        labelled: true,
        enforce: "restricted:latest",
        rejected: [
          "p5:allowPrivilegeEscalation+capabilities_restricted+runAsNonRoot+seccompProfile_restricted",
        ],
        audited: [],
        warned: [],
      },
      { ns: "dev", labelled: false, enforce: "privileged:latest", rejected: [], audited: [], warned: [] },
      { ns: "ghost", labelled: false, enforce: "privileged:latest", rejected: [], audited: [], warned: [] },
      {
        ns: "prod",
        labelled: true,
        enforce: "baseline:v1.22",
        rejected: ["p1:privileged"],
        audited: ["p1", "p2"],
        // No warn label: warn is raised to the enforce level (upstream's PolicyToEvaluate).
        warned: ["p1"],
      },
    ]);
  });
});

describe("pssFindings", () => {
  it("emits one PSS-<check> finding per failed check", () => {
    const inv = buildInventory([
      pod("p1", "prod", {
        hostPID: true,
        containers: [{ name: "c", securityContext: { privileged: true } }],
      }),
    ]);
    const findings = pssFindings(inv, "baseline");
    expect(findings.map((f) => [f.ruleId, f.severity, f.fieldPath, f.message, f.compliance])).toEqual([
      [
        "PSS-hostNamespaces",
        "high",
        "spec",
        "baseline policy (latest): host namespaces (hostPID=true)",
        [{ framework: "pss", id: "hostNamespaces", title: "Host namespaces" }],
      ],
      [
        "PSS-privileged",
        "high",
        "spec",
        'baseline policy (latest): privileged (container "c" must not set securityContext.privileged=true)',
        [{ framework: "pss", id: "privileged", title: "Privileged containers" }],
      ],
    ]);
    expect(new Set(findings.map((f) => f.id)).size).toBe(2);
    expect(
      pssFindings(inv, "restricted")
        .filter((f) => f.severity === "medium")
        .map((f) => f.ruleId),
    ).toEqual([
      "PSS-allowPrivilegeEscalation",
      "PSS-capabilities_restricted",
      "PSS-runAsNonRoot",
      "PSS-seccompProfile_restricted",
    ]);
  });
});
