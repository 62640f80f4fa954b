import { describe, expect, it } from "vitest";
import {
  type AdmissionFacts,
  type AdmissionPolicy,
  DEFAULT_ADMISSION_POLICY,
  decide,
  type ImageFacts,
  parseAdmissionReview,
} from "./index.js";

const D1 = `sha256:${"1".repeat(64)}`;
const D2 = `sha256:${"2".repeat(64)}`;
const HARDENED = {
  allowPrivilegeEscalation: false,
  capabilities: { drop: ["ALL"] },
  runAsNonRoot: true,
  readOnlyRootFilesystem: true,
  seccompProfile: { type: "RuntimeDefault" },
};

function request(
  object: Record<string, unknown>,
  opts: { namespace?: string; operation?: "CREATE" | "UPDATE"; oldObject?: unknown } = {},
) {
  const kind = String(object.kind);
  const [group, version] = String(object.apiVersion).includes("/")
    ? (String(object.apiVersion).split("/") as [string, string])
    : ["", String(object.apiVersion)];
  const body = {
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: {
      uid: "u-1",
      kind: { group, version, kind },
      resource: { group, version, resource: `${kind.toLowerCase()}s` },
      name: "web",
      namespace: opts.namespace ?? "shop",
      operation: opts.operation ?? "CREATE",
      userInfo: { username: "alice" },
      object,
      ...(opts.oldObject ? { oldObject: opts.oldObject } : {}),
    },
  };
  const p = parseAdmissionReview(body);
  if (!p.ok) throw new Error(p.error);
  return p.request;
}
const pod = (image: string, sc: Record<string, unknown> = HARDENED, labels: Record<string, string> = {}) => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "web", labels },
  spec: {
    containers: [{ name: "app", image, securityContext: sc, resources: { limits: { memory: "1Gi" } } }],
  },
});
const deployment = (image: string) => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "web" },
  spec: { template: { metadata: { labels: { app: "web" } }, spec: pod(image).spec } },
});
const facts = (images: Record<string, ImageFacts> = {}, labels = {}): AdmissionFacts => ({
  namespaceLabels: labels,
  images: new Map(Object.entries(images)),
  now: new Date("2026-01-01T00:00:00Z"),
});
const policy = (over: Partial<AdmissionPolicy>): AdmissionPolicy => ({
  ...DEFAULT_ADMISSION_POLICY,
  ...over,
});
const summary = (d: ReturnType<typeof decide>) => ({
  allowed: d.allowed,
  violations: d.violations.map(
    (v) => `${v.mode} ${v.rule}${v.exception ? ` (excepted by ${v.exception.id})` : ""}`,
  ),
  warnings: d.warnings.length,
});

describe("policy rules: allowed, denied, warned, excepted", () => {
  const enforce = policy({ defaultMode: "enforce", forbiddenTags: ["latest"] });

  it("forbidden tag: denied in an enforce namespace, warned in a warn namespace, audited by default", () => {
    const req = request(pod("nginx:latest"));
    expect(summary(decide(req, enforce, facts()))).toEqual({
      allowed: false,
      violations: ["enforce image/forbidden-tag"],
      warnings: 0,
    });
    const warn = policy({
      forbiddenTags: ["latest"],
      namespaceModes: [{ namespaces: ["sh*"], mode: "warn" }],
    });
    const d = decide(req, warn, facts());
    expect(d.warnings).toEqual([
      'spec.containers[0].image: image "nginx:latest" uses the forbidden tag "latest" [image/forbidden-tag]',
    ]);
    const audit = decide(req, policy({ forbiddenTags: ["latest"] }), facts());
    expect(audit.allowed).toBe(true);
    expect(audit.auditAnnotations["policy-violations"]).toContain("[image/forbidden-tag]");
    expect(summary(decide(request(pod("nginx:1.27")), enforce, facts()))).toEqual({
      allowed: true,
      violations: [],
      warnings: 0,
    });
    // no tag and no digest is :latest
    expect(summary(decide(request(pod("nginx")), enforce, facts())).allowed).toBe(false);
  });

  it("an exception (the exceptions file format) lists the violation and lets the request through", () => {
    const p = policy({
      defaultMode: "enforce",
      forbiddenTags: ["latest"],
      exceptions: [
        { id: "legacy", rules: ["image/*"], namespaces: ["shop"], reason: "migrating" },
        { id: "old", rules: ["*"], reason: "expired", expires: "2025-01-01" },
      ],
    });
    const d = decide(request(pod("nginx:latest")), p, facts());
    expect(summary(d)).toEqual({
      allowed: true,
      violations: ["enforce image/forbidden-tag (excepted by legacy)"],
      warnings: 0,
    });
    expect(d.violations[0]?.exception).toEqual({ id: "legacy", reason: "migrating" });
    expect(d.auditAnnotations["policy-exceptions"]).toBe("image/forbidden-tag: legacy");
    // The expired exception matches nothing: in another namespace the request is denied.
    expect(decide(request(pod("nginx:latest"), { namespace: "web" }), p, facts()).allowed).toBe(false);
  });

  it("registries allow-list and digests required", () => {
    const p = policy({
      defaultMode: "enforce",
      registries: ["registry.acme.internal", "ghcr.io/acme/*"],
      requireDigest: true,
    });
    expect(summary(decide(request(pod(`ghcr.io/acme/api@${D1}`)), p, facts())).allowed).toBe(true);
    expect(summary(decide(request(pod(`registry.acme.internal/x@${D1}`)), p, facts())).allowed).toBe(true);
    const d = decide(request(pod("docker.io/library/nginx:1.27")), p, facts());
    expect(summary(d).violations).toEqual(["enforce image/registry", "enforce image/digest-required"]);
    expect(d.status?.message).toContain(
      'image "docker.io/library/nginx:1.27" is from docker.io, not an allowed registry',
    );
  });

  it("vulnerabilities: fixable at or above the severity, listed advisories, remediated digests, per rule", () => {
    const p = policy({
      defaultMode: "enforce",
      images: {
        deniedDigests: [],
        deniedVulnerabilities: ["CVE-2024-3094"],
        severityThreshold: "high",
        onlyFixable: true,
        modes: {},
      },
      remediated: true,
    });
    const img = "registry.acme.internal/api:2";
    const vulnerable: ImageFacts = {
      digest: D1,
      vulnerabilities: [
        { id: "CVE-1", severity: "critical", fixAvailable: true },
        { id: "CVE-2", severity: "critical", fixAvailable: false },
      ],
    };
    expect(summary(decide(request(pod(img)), p, facts({ [img]: vulnerable })))).toEqual({
      allowed: false,
      violations: ["enforce image/vulnerability-severity"],
      warnings: 0,
    });
    const onlyUnfixable: ImageFacts = {
      digest: D1,
      vulnerabilities: [{ id: "CVE-2", severity: "critical", fixAvailable: false }],
    };
    expect(decide(request(pod(img)), p, facts({ [img]: onlyUnfixable })).allowed).toBe(true);
    const listed: ImageFacts = {
      digest: D1,
      vulnerabilities: [{ id: "GHSA-x", aliases: ["CVE-2024-3094"], severity: "low", fixAvailable: false }],
    };
    expect(summary(decide(request(pod(img)), p, facts({ [img]: listed }))).violations).toEqual([
      "enforce image/denied-vulnerability",
    ]);
    const replaced: ImageFacts = {
      digest: D1,
      vulnerabilities: [],
      remediated: { record: "rem-7", fixedDigest: D2 },
    };
    const d = decide(
      request(pod(`registry.acme.internal/api@${D1}`)),
      p,
      facts({ [`registry.acme.internal/api@${D1}`]: replaced }),
    );
    expect(d.status?.message).toContain(
      `was replaced by remediation rem-7 with ${D2}; the fixed image must not come back`,
    );
  });

  it("images never analysed: allow (default), warn or deny", () => {
    const img = "registry.acme.internal/new:1";
    expect(decide(request(pod(img)), policy({}), facts()).violations).toEqual([]);
    const warned = decide(request(pod(img)), policy({ unanalysed: "warn" }), facts());
    expect(warned.warnings).toEqual([
      `spec.containers[0].image: image "${img}" has never been analysed; queued for analysis [image/unanalysed]`,
    ]);
    expect(decide(request(pod(img)), policy({ unanalysed: "deny" }), facts()).allowed).toBe(false);
    expect(
      decide(request(pod(img)), policy({ unanalysed: "deny" }), facts({ [img]: { vulnerabilities: [] } }))
        .allowed,
    ).toBe(true);
    expect(
      decide(
        request(pod(img)),
        policy({ unanalysed: "deny" }),
        facts({ [img]: { vulnerabilities: [], analysed: false } }),
      ).allowed,
    ).toBe(false);
  });

  it("signatures: required for matching images; unsigned or bad signatures denied with the reason", () => {
    const p = policy({
      defaultMode: "enforce",
      signatures: [{ images: ["registry.acme.internal/*"], keys: ["k.pub"], keyless: [] }],
    });
    const img = `registry.acme.internal/api@${D1}`;
    expect(
      decide(
        request(pod(img)),
        p,
        facts({ [img]: { vulnerabilities: [], signature: { verified: true, reason: "k.pub" } } }),
      ).allowed,
    ).toBe(true);
    expect(decide(request(pod(img)), p, facts({ [img]: { vulnerabilities: [] } })).status?.message).toContain(
      "must be signed: no signature was verified",
    );
    expect(
      decide(
        request(pod(img)),
        p,
        facts({
          [img]: {
            vulnerabilities: [],
            signature: { verified: false, reason: "signature does not match key k.pub" },
          },
        }),
      ).status?.message,
    ).toContain("must be signed: signature does not match key k.pub");
    expect(decide(request(pod("docker.io/x:1")), p, facts()).allowed).toBe(true);
  });

  it("Pod Security from the policy applies to controllers too, and an unchanged UPDATE is not re-judged", () => {
    const p = policy({
      defaultMode: "enforce",
      podSecurity: [{ namespaces: ["*"], level: "baseline", version: "latest" }],
    });
    const priv = deployment("nginx:1.27");
    (priv.spec.template.spec.containers[0] as Record<string, unknown>).securityContext = { privileged: true };
    const d = decide(request(priv), p, facts());
    expect(summary(d)).toEqual({ allowed: false, violations: ["enforce pss/privileged"], warnings: 0 });
    expect(d.status?.message).toContain(
      'violates PodSecurity "baseline:latest": privileged (container "app"',
    );
    const scaled = { ...priv, spec: { ...priv.spec, replicas: 3 } };
    expect(decide(request(scaled, { operation: "UPDATE", oldObject: priv }), p, facts()).allowed).toBe(true);
  });

  it("posture rules at or above a severity on the object plus its namespace", () => {
    const p = policy({ defaultMode: "enforce", posture: { severity: "high" } });
    const d = decide(request(pod("nginx:1.27", { privileged: true })), p, facts());
    expect(d.allowed).toBe(false);
    expect(d.violations.every((v) => v.rule.startsWith("posture/"))).toBe(true);
    expect(decide(request(pod("nginx:1.27")), p, facts()).allowed).toBe(true);
  });

  it("mutation resolves tags to digests with a JSON patch", () => {
    const p = policy({ mutation: { resolveTags: true } });
    const d = decide(
      request(deployment("nginx:1.27")),
      p,
      facts({ "nginx:1.27": { digest: D1, vulnerabilities: [] } }),
    );
    expect(d.patch).toEqual([
      { op: "replace", path: "/spec/template/spec/containers/0/image", value: `nginx:1.27@${D1}` },
    ]);
    expect(decide(request(pod(`nginx@${D1}`)), p, facts()).patch).toBeUndefined();
  });

  it("without a policy nothing but the namespace labels acts", () => {
    const d = decide(request(pod("nginx", { privileged: true })), DEFAULT_ADMISSION_POLICY, facts());
    expect(summary(d)).toEqual({ allowed: true, violations: [], warnings: 0 });
  });
});
