import { describe, expect, it } from "vitest";
import {
  type AdmissionFacts,
  type AdmissionPolicy,
  admissionReviewResponse,
  DEFAULT_ADMISSION_POLICY,
  decide,
  parseAdmissionReview,
} from "./index.js";

const DIGEST = `sha256:${"a".repeat(64)}`;
const RESTRICTED_SC = {
  allowPrivilegeEscalation: false,
  capabilities: { drop: ["ALL"] },
  runAsNonRoot: true,
  seccompProfile: { type: "RuntimeDefault" },
};

function review(over: {
  kind?: [string, string, string];
  resource?: [string, string, string];
  operation?: string;
  object?: unknown;
  oldObject?: unknown;
  name?: string;
  namespace?: string;
  subResource?: string;
  username?: string;
}) {
  const [g, v, k] = over.kind ?? ["", "v1", "Pod"];
  const [rg, rv, rr] = over.resource ?? ["", "v1", "pods"];
  const body = {
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: {
      uid: "705ab4f5-6393-11e8-b7cc-42010a800002",
      kind: { group: g, version: v, kind: k },
      resource: { group: rg, version: rv, resource: rr },
      ...(over.subResource ? { subResource: over.subResource } : {}),
      name: over.name ?? "web",
      namespace: over.namespace ?? "apps",
      operation: over.operation ?? "CREATE",
      userInfo: { username: over.username ?? "alice", groups: ["system:authenticated"] },
      object: over.object,
      ...(over.oldObject ? { oldObject: over.oldObject } : {}),
      dryRun: false,
    },
  };
  const parsed = parseAdmissionReview(JSON.parse(JSON.stringify(body)));
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.request;
}

const pod = (spec: Record<string, unknown>, annotations: Record<string, string> = {}) => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name: "web", namespace: "apps", annotations },
  spec,
});
const privilegedPod = pod({
  containers: [{ name: "app", image: "nginx:1.27", securityContext: { privileged: true } }],
});
const restrictedPod = pod({
  containers: [{ name: "app", image: `nginx@${DIGEST}`, securityContext: RESTRICTED_SC }],
});
const deployment = (spec: Record<string, unknown>) => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "web", namespace: "apps" },
  spec: { replicas: 2, template: { metadata: { labels: { app: "web" } }, spec } },
});

const facts = (labels: Record<string, string> | undefined, images: AdmissionFacts["images"] = new Map()) => ({
  namespaceLabels: labels,
  images,
});
const ENFORCE_RESTRICTED = { "pod-security.kubernetes.io/enforce": "restricted" };

describe("decide: Pod Security as the PodSecurity admission plugin", () => {
  it("denies a privileged pod in a restricted namespace with the plugin's message", () => {
    const d = decide(review({ object: privilegedPod }), DEFAULT_ADMISSION_POLICY, facts(ENFORCE_RESTRICTED));
    expect(admissionReviewResponse(d)).toEqual({
      apiVersion: "admission.k8s.io/v1",
      kind: "AdmissionReview",
      response: {
        uid: "705ab4f5-6393-11e8-b7cc-42010a800002",
        allowed: false,
        status: {
          status: "Failure",
          code: 403,
          reason: "Forbidden",
          message:
            'pods "web" is forbidden: violates PodSecurity "restricted:latest": privileged (container "app" must not set securityContext.privileged=true), allowPrivilegeEscalation != false (container "app" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container "app" must set securityContext.capabilities.drop=["ALL"]), runAsNonRoot != true (pod or container "app" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container "app" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")',
          details: { name: "web", kind: "pods" },
        },
        auditAnnotations: { "enforce-policy": "restricted:latest" },
      },
    });
    expect(d.violations.map((v) => `${v.mode} ${v.rule} ${v.fieldPath}`)).toEqual([
      "enforce pss/privileged spec",
      "enforce pss/allowPrivilegeEscalation spec",
      "enforce pss/capabilities_restricted spec",
      "enforce pss/runAsNonRoot spec",
      "enforce pss/seccompProfile_restricted spec",
    ]);
  });

  it("admits a restricted pod, recording the enforced policy", () => {
    const d = decide(review({ object: restrictedPod }), DEFAULT_ADMISSION_POLICY, facts(ENFORCE_RESTRICTED));
    expect(d).toEqual({
      uid: "705ab4f5-6393-11e8-b7cc-42010a800002",
      allowed: true,
      warnings: [],
      auditAnnotations: { "enforce-policy": "restricted:latest" },
      violations: [],
      evaluated: "pod",
      dryRun: false,
    });
  });

  it("changes nothing without labels: a privileged pod is admitted without annotations", () => {
    const d = decide(review({ object: privilegedPod }), DEFAULT_ADMISSION_POLICY, facts({}));
    expect(d).toMatchObject({ allowed: true, warnings: [], auditAnnotations: {}, violations: [] });
  });

  it("warns about (never denies) a Deployment whose pods enforce will reject; warn follows enforce", () => {
    const d = decide(
      review({
        kind: ["apps", "v1", "Deployment"],
        resource: ["apps", "v1", "deployments"],
        object: deployment({ hostNetwork: true, containers: [{ name: "app", image: "nginx" }] }),
      }),
      DEFAULT_ADMISSION_POLICY,
      facts({
        "pod-security.kubernetes.io/enforce": "baseline",
        "pod-security.kubernetes.io/enforce-version": "v1.30",
      }),
    );
    expect(d).toEqual({
      uid: "705ab4f5-6393-11e8-b7cc-42010a800002",
      allowed: true,
      warnings: ['would violate PodSecurity "baseline:v1.30": host namespaces (hostNetwork=true)'],
      auditAnnotations: {},
      violations: [
        {
          rule: "pss/hostNamespaces",
          mode: "warn",
          fieldPath: "spec.template.spec",
          message: "host namespaces (hostNetwork=true)",
        },
      ],
      evaluated: "controller",
      dryRun: false,
    });
  });

  it("evaluates CronJob templates at their path, with audit annotations", () => {
    const cron = {
      apiVersion: "batch/v1",
      kind: "CronJob",
      metadata: { name: "nightly" },
      spec: {
        schedule: "@daily",
        jobTemplate: {
          spec: { template: { spec: { hostPID: true, containers: [{ name: "c", image: "busybox" }] } } },
        },
      },
    };
    const d = decide(
      review({
        kind: ["batch", "v1", "CronJob"],
        resource: ["batch", "v1", "cronjobs"],
        object: cron,
        name: "nightly",
      }),
      DEFAULT_ADMISSION_POLICY,
      facts({
        "pod-security.kubernetes.io/audit": "baseline",
        "pod-security.kubernetes.io/warn": "privileged",
      }),
    );
    expect(d.auditAnnotations).toEqual({
      "audit-violations": 'would violate PodSecurity "baseline:latest": host namespaces (hostPID=true)',
    });
    expect(d.violations).toEqual([
      {
        rule: "pss/hostNamespaces",
        mode: "audit",
        fieldPath: "spec.jobTemplate.spec.template.spec",
        message: "host namespaces (hostPID=true)",
      },
    ]);
  });

  it("annotates invalid labels and enforces restricted for an invalid enforce level (fail closed)", () => {
    const d = decide(
      review({ object: privilegedPod, name: "" }),
      DEFAULT_ADMISSION_POLICY,
      facts({ "pod-security.kubernetes.io/enforce": "strict" }),
    );
    expect(d.allowed).toBe(false);
    expect(
      d.status?.message.startsWith('pods is forbidden: violates PodSecurity "restricted:latest": privileged'),
    ).toBe(true);
    expect(d.auditAnnotations).toEqual({
      error:
        'Failed to parse policy: metadata.labels[pod-security.kubernetes.io/enforce]: Invalid value: "strict": must be one of privileged, baseline, restricted',
      "enforce-policy": "restricted:latest",
    });
  });

  it("ignores the subresources the plugin ignores, evaluates ephemeralcontainers, and skips controller subresources", () => {
    const labels = facts(ENFORCE_RESTRICTED);
    expect(
      decide(
        review({
          object: privilegedPod,
          subResource: "status",
          operation: "UPDATE",
          oldObject: privilegedPod,
        }),
        DEFAULT_ADMISSION_POLICY,
        labels,
      ).evaluated,
    ).toBe("subresource");
    const withDebug = pod({
      ...restrictedPod.spec,
      ephemeralContainers: [{ name: "dbg", image: "busybox", securityContext: { privileged: true } }],
    });
    const d = decide(
      review({
        object: withDebug,
        oldObject: restrictedPod,
        subResource: "ephemeralcontainers",
        operation: "UPDATE",
      }),
      DEFAULT_ADMISSION_POLICY,
      labels,
    );
    expect(d.allowed).toBe(false);
    const scale = decide(
      review({
        kind: ["apps", "v1", "Deployment"],
        resource: ["apps", "v1", "deployments"],
        subResource: "scale",
        object: deployment({}),
      }),
      DEFAULT_ADMISSION_POLICY,
      labels,
    );
    expect(scale.evaluated).toBe("subresource");
  });

  it("does not re-evaluate a pod update that changes no image (labels only)", () => {
    const relabelled = { ...privilegedPod, metadata: { ...privilegedPod.metadata, labels: { x: "y" } } };
    const d = decide(
      review({ object: relabelled, oldObject: privilegedPod, operation: "UPDATE" }),
      DEFAULT_ADMISSION_POLICY,
      facts(ENFORCE_RESTRICTED),
    );
    expect(d).toMatchObject({ allowed: true, auditAnnotations: {}, violations: [] });
  });

  it("exempts namespaces, users and runtime classes as AdmissionConfiguration does", () => {
    const policy: AdmissionPolicy = {
      ...DEFAULT_ADMISSION_POLICY,
      exemptions: {
        namespaces: ["kube-system"],
        usernames: ["system:serviceaccount:ci:deployer"],
        runtimeClasses: ["kata"],
      },
    };
    const labels = facts(ENFORCE_RESTRICTED);
    expect(decide(review({ object: privilegedPod, namespace: "kube-system" }), policy, labels)).toMatchObject(
      { allowed: true, exemption: "namespace", auditAnnotations: { exempt: "namespace" } },
    );
    expect(
      decide(
        review({ object: privilegedPod, username: "system:serviceaccount:ci:deployer" }),
        policy,
        labels,
      ),
    ).toMatchObject({ allowed: true, exemption: "user" });
    const kata = pod({ ...privilegedPod.spec, runtimeClassName: "kata" });
    expect(decide(review({ object: kata }), policy, labels)).toMatchObject({
      allowed: true,
      exemption: "runtimeClass",
      auditAnnotations: { exempt: "runtimeClass" },
    });
  });

  it("an unknown namespace is answered by the failure policy", () => {
    const d = decide(review({ object: restrictedPod }), DEFAULT_ADMISSION_POLICY, facts(undefined));
    expect(d).toMatchObject({
      allowed: false,
      status: { code: 500, reason: "InternalError", message: 'failed to lookup namespace "apps"' },
    });
    expect(
      decide(
        review({ object: restrictedPod }),
        { ...DEFAULT_ADMISSION_POLICY, failurePolicy: "Ignore" },
        facts(undefined),
      ).allowed,
    ).toBe(true);
  });

  it("allows what is not a workload, and DELETE/CONNECT, without evaluation", () => {
    const cm = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c" } };
    expect(
      decide(
        review({ kind: ["", "v1", "ConfigMap"], resource: ["", "v1", "configmaps"], object: cm }),
        DEFAULT_ADMISSION_POLICY,
        facts(ENFORCE_RESTRICTED),
      ).evaluated,
    ).toBe("not-a-workload");
    expect(
      decide(
        review({ operation: "DELETE", oldObject: privilegedPod }),
        DEFAULT_ADMISSION_POLICY,
        facts(ENFORCE_RESTRICTED),
      ).evaluated,
    ).toBe("operation");
    // A Rollout outside argoproj.io is some other CRD.
    expect(
      decide(
        review({
          kind: ["example.com", "v1", "Rollout"],
          resource: ["example.com", "v1", "rollouts"],
          object: {},
        }),
        DEFAULT_ADMISSION_POLICY,
        facts(ENFORCE_RESTRICTED),
      ).evaluated,
    ).toBe("not-a-workload");
  });
});

describe("decide: image policy", () => {
  const policy: AdmissionPolicy = {
    ...DEFAULT_ADMISSION_POLICY,
    images: {
      deniedDigests: [DIGEST],
      deniedVulnerabilities: ["CVE-2024-0001"],
      severityThreshold: "high",
      onlyFixable: true,
      modes: { "image/denied-digest": "enforce", "image/denied-vulnerability": "warn" },
    },
  };
  const images = new Map([
    [
      "registry.example/api:2",
      {
        digest: `sha256:${"b".repeat(64)}`,
        vulnerabilities: [
          { id: "GHSA-xxxx", aliases: ["CVE-2024-0001"], severity: "medium" as const, fixAvailable: false },
          { id: "CVE-2024-0009", severity: "critical" as const, fixAvailable: true },
          { id: "CVE-2024-0010", severity: "critical" as const, fixAvailable: false },
        ],
      },
    ],
  ]);

  it("denies a denied digest on a Deployment (enforce), warns and audits the others", () => {
    const obj = deployment({
      containers: [
        { name: "app", image: `nginx@${DIGEST}` },
        { name: "api", image: "registry.example/api:2" },
      ],
    });
    const d = decide(
      review({ kind: ["apps", "v1", "Deployment"], resource: ["apps", "v1", "deployments"], object: obj }),
      policy,
      facts({}, images),
    );
    expect(d).toEqual({
      uid: "705ab4f5-6393-11e8-b7cc-42010a800002",
      allowed: false,
      status: {
        status: "Failure",
        code: 403,
        reason: "Forbidden",
        message: `deployments.apps "web" is forbidden: palisade policy: spec.template.spec.containers[0].image: image "nginx@${DIGEST}" is ${DIGEST}, a digest the policy denies [image/denied-digest]`,
        details: { name: "web", group: "apps", kind: "deployments" },
      },
      warnings: [],
      auditAnnotations: {
        "policy-violations":
          'spec.template.spec.containers[1].image: image "registry.example/api:2" has 1 fixable vulnerability at or above high: CVE-2024-0009 [image/vulnerability-severity]',
      },
      violations: [
        {
          rule: "image/denied-digest",
          mode: "enforce",
          fieldPath: "spec.template.spec.containers[0].image",
          message: `image "nginx@${DIGEST}" is ${DIGEST}, a digest the policy denies`,
        },
        {
          rule: "image/denied-vulnerability",
          mode: "warn",
          fieldPath: "spec.template.spec.containers[1].image",
          message: 'image "registry.example/api:2" has denied vulnerabilities GHSA-xxxx',
        },
        {
          rule: "image/vulnerability-severity",
          mode: "audit",
          fieldPath: "spec.template.spec.containers[1].image",
          message:
            'image "registry.example/api:2" has 1 fixable vulnerability at or above high: CVE-2024-0009',
        },
      ],
      evaluated: "controller",
      dryRun: false,
    });
  });

  it("judges only images an UPDATE adds: scaling what runs is never blocked", () => {
    const obj = deployment({ containers: [{ name: "app", image: `nginx@${DIGEST}` }] });
    const d = decide(
      review({
        kind: ["apps", "v1", "Deployment"],
        resource: ["apps", "v1", "deployments"],
        object: obj,
        oldObject: obj,
        operation: "UPDATE",
      }),
      policy,
      facts({}, images),
    );
    expect(d).toMatchObject({ allowed: true, violations: [] });
  });

  it("PSS and image denials share one message, PSS first", () => {
    const p = pod({
      containers: [{ name: "app", image: `nginx@${DIGEST}`, securityContext: { privileged: true } }],
    });
    const d = decide(
      review({ object: p }),
      policy,
      facts({ "pod-security.kubernetes.io/enforce": "baseline" }, images),
    );
    expect(d.status?.message).toBe(
      `pods "web" is forbidden: violates PodSecurity "baseline:latest": privileged (container "app" must not set securityContext.privileged=true); palisade policy: spec.containers[0].image: image "nginx@${DIGEST}" is ${DIGEST}, a digest the policy denies [image/denied-digest]`,
    );
  });
});

describe("parseAdmissionReview: pathological cases", () => {
  const base = () => ({
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: {
      uid: "u",
      kind: { group: "", version: "v1", kind: "Pod" },
      resource: { group: "", version: "v1", resource: "pods" },
      operation: "CREATE",
      object: {},
    },
  });
  it.each([
    ["not an object", [], "body: expected a JSON object (AdmissionReview)"],
    [
      "v1beta1",
      { ...base(), apiVersion: "admission.k8s.io/v1beta1" },
      'apiVersion: expected "admission.k8s.io/v1", got "admission.k8s.io/v1beta1"',
    ],
    ["wrong kind", { ...base(), kind: "Pod" }, 'kind: expected "AdmissionReview", got "Pod"'],
    ["no request", { ...base(), request: undefined }, "request: required object"],
    ["no uid", { ...base(), request: { ...base().request, uid: "" } }, "request.uid: required string"],
    [
      "bad operation",
      { ...base(), request: { ...base().request, operation: "PATCH" } },
      "request.operation: expected one of CREATE, UPDATE, DELETE, CONNECT",
    ],
    [
      "CREATE without object",
      { ...base(), request: { ...base().request, object: null } },
      "request.object: required for CREATE",
    ],
    [
      "UPDATE without oldObject",
      { ...base(), request: { ...base().request, operation: "UPDATE" } },
      "request.oldObject: required for UPDATE",
    ],
    [
      "missing kind.kind",
      { ...base(), request: { ...base().request, kind: { version: "v1" } } },
      "request.kind.kind: required string",
    ],
    [
      "prototype key",
      JSON.parse(
        '{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"__proto__":{"x":1}}}',
      ),
      'body.request: key "__proto__" is not allowed',
    ],
  ])("%s", (_name, body, error) => {
    expect(parseAdmissionReview(body)).toEqual({ ok: false, error });
  });
  it("refuses nesting deeper than the bound", () => {
    let deep: unknown = {};
    for (let i = 0; i < 100; i++) deep = { a: deep };
    const r = parseAdmissionReview({ ...base(), request: { ...base().request, object: deep } });
    expect(r.ok).toBe(false);
  });
});
