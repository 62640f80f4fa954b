import { describe, expect, it } from "vitest";
import { AUDIT_RULES, detectAudit, parseEventLines, type RuntimeEvent } from "./index.js";

const ev = (o: Record<string, unknown>): RuntimeEvent => {
  const r = parseEventLines(
    JSON.stringify({
      kind: "Event",
      apiVersion: "audit.k8s.io/v1",
      stage: "ResponseComplete",
      verb: "create",
      user: { username: "alice@example.com", groups: ["system:authenticated"] },
      sourceIPs: ["192.0.2.10"],
      stageTimestamp: "2026-12-04T10:00:00Z",
      responseStatus: { code: 201 },
      ...o,
    }),
    "audit.log",
  );
  expect(r.errors).toEqual([]);
  return r.events[0] as RuntimeEvent;
};

const podCreate = (spec: Record<string, unknown>, ns = "shop") =>
  ev({
    objectRef: { resource: "pods", namespace: ns, name: "p", apiVersion: "v1" },
    requestObject: {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "p" },
      spec: { containers: [{ name: "c", image: "nginx" }], ...spec },
    },
  });
const deploymentCreate = (podSpec: Record<string, unknown>) =>
  ev({
    objectRef: { resource: "deployments", namespace: "shop", name: "d", apiGroup: "apps", apiVersion: "v1" },
    requestObject: {
      apiVersion: "apps/v1",
      kind: "Deployment",
      spec: { template: { spec: { containers: [{ name: "c", image: "nginx" }], ...podSpec } } },
    },
  });
const clusterRole = (rules: unknown[], verb = "create") =>
  ev({
    verb,
    objectRef: { resource: "clusterroles", name: "r", apiGroup: "rbac.authorization.k8s.io" },
    requestObject: { kind: "ClusterRole", rules },
  });
const binding = (roleName: string, resource = "clusterrolebindings") =>
  ev({
    objectRef: {
      resource,
      name: "b",
      apiGroup: "rbac.authorization.k8s.io",
      ...(resource === "rolebindings" ? { namespace: "shop" } : {}),
    },
    requestObject: {
      roleRef: { kind: "ClusterRole", name: roleName, apiGroup: "rbac.authorization.k8s.io" },
      subjects: [{ kind: "User", name: "mallory" }],
    },
  });
const AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const configMap = (data: Record<string, string>) =>
  ev({
    objectRef: { resource: "configmaps", namespace: "shop", name: "cm" },
    requestObject: { kind: "ConfigMap", data },
  });
const secret = (user: string) =>
  ev({
    user: { username: user },
    objectRef: { resource: "secrets", namespace: "shop", name: "s" },
    requestObject: { kind: "Secret", data: { password: "aHVudGVyMg==" } },
  });

/** One positive and one negative event per rule. */
const CASES: Record<string, { positive: RuntimeEvent; negative: RuntimeEvent }> = {
  "PAL-RT-AUDIT-001": {
    positive: podCreate({ containers: [{ name: "c", image: "x", securityContext: { privileged: true } }] }),
    negative: podCreate({ containers: [{ name: "c", image: "x", securityContext: { privileged: false } }] }),
  },
  "PAL-RT-AUDIT-002": {
    positive: deploymentCreate({ hostPID: true }),
    negative: deploymentCreate({ hostPID: false }),
  },
  "PAL-RT-AUDIT-003": {
    positive: podCreate({ volumes: [{ name: "sock", hostPath: { path: "/var/run/docker.sock" } }] }),
    negative: podCreate({ volumes: [{ name: "logs", hostPath: { path: "/var/log/app" } }] }),
  },
  "PAL-RT-AUDIT-004": {
    positive: ev({
      objectRef: { resource: "pods", subresource: "exec", namespace: "shop", name: "web-1" },
      responseStatus: { code: 101 },
    }),
    negative: ev({
      objectRef: { resource: "pods", subresource: "log", namespace: "shop", name: "web-1" },
      verb: "get",
    }),
  },
  "PAL-RT-AUDIT-005": {
    positive: clusterRole([{ apiGroups: [""], resources: ["*"], verbs: ["get"] }]),
    negative: clusterRole([{ apiGroups: [""], resources: ["pods"], verbs: ["get"] }]),
  },
  "PAL-RT-AUDIT-006": {
    positive: clusterRole([{ apiGroups: [""], resources: ["pods/exec"], verbs: ["create"] }]),
    negative: clusterRole([{ apiGroups: [""], resources: ["pods/log"], verbs: ["get"] }]),
  },
  "PAL-RT-AUDIT-007": { positive: binding("cluster-admin"), negative: binding("view") },
  "PAL-RT-AUDIT-008": {
    positive: configMap({ AWS_SECRET_ACCESS_KEY: AWS_SECRET, mode: "prod" }),
    negative: configMap({ mode: "prod", replicas: "3" }),
  },
  "PAL-RT-AUDIT-009": {
    positive: secret("alice@example.com"),
    negative: secret("system:serviceaccount:cert-manager:cert-manager"),
  },
  "PAL-RT-AUDIT-010": {
    positive: ev({
      user: { username: "system:anonymous" },
      verb: "list",
      objectRef: { resource: "secrets", namespace: "shop" },
      responseStatus: { code: 200 },
      annotations: { "authorization.k8s.io/decision": "allow" },
    }),
    negative: ev({
      user: { username: "system:anonymous" },
      verb: "get",
      requestURI: "/healthz?verbose",
      responseStatus: { code: 200 },
      annotations: { "authorization.k8s.io/decision": "allow" },
    }),
  },
  "PAL-RT-AUDIT-011": {
    positive: ev({
      verb: "get",
      objectRef: { resource: "secrets", namespace: "shop", name: "s" },
      impersonatedUser: { username: "system:admin" },
    }),
    negative: ev({ verb: "get", objectRef: { resource: "secrets", namespace: "shop", name: "s" } }),
  },
  "PAL-RT-AUDIT-012": { positive: podCreate({}, "kube-system"), negative: podCreate({}, "shop") },
  "PAL-RT-AUDIT-013": {
    positive: ev({ objectRef: { resource: "serviceaccounts", namespace: "kube-system", name: "x" } }),
    negative: ev({ objectRef: { resource: "serviceaccounts", namespace: "shop", name: "x" } }),
  },
  "PAL-RT-AUDIT-014": {
    positive: ev({
      verb: "patch",
      objectRef: { resource: "clusterroles", name: "system:aggregate-to-view" },
    }),
    negative: ev({
      verb: "patch",
      objectRef: { resource: "clusterroles", name: "system:aggregate-to-view" },
      user: { username: "system:apiserver" },
    }),
  },
};
describe("audit rules", () => {
  it("has a positive and a negative case for every rule, ids unique and sorted", () => {
    const ids = AUDIT_RULES.map((r) => r.id);
    expect(Object.keys(CASES).sort()).toEqual(ids);
    expect([...ids].sort()).toEqual(ids);
  });

  for (const rule of AUDIT_RULES)
    it(`${rule.id} ${rule.title}: fires on the positive event only`, () => {
      const c = CASES[rule.id];
      if (!c) throw new Error(`no case for ${rule.id}`);
      const pos = detectAudit(c.positive).filter((a) => a.ruleId === rule.id);
      expect(pos).toHaveLength(1);
      expect(pos[0]).toMatchObject({
        severity: rule.severity,
        category: "audit",
        origin: { file: "audit.log", line: 1 },
      });
      expect(pos[0]?.evidence.length).toBeGreaterThan(0);
      expect(detectAudit(c.negative).filter((a) => a.ruleId === rule.id)).toEqual([]);
    });

  it("names what fired with evidence, never a credential's value", () => {
    const [a] = detectAudit(CASES["PAL-RT-AUDIT-008"]?.positive as RuntimeEvent);
    expect(a?.evidence).toBe(
      "alice@example.com create configmaps shop/cm with credential-like key(s): AWS_SECRET_ACCESS_KEY (aws-secret-access-key)",
    );
    const all = JSON.stringify([
      CASES["PAL-RT-AUDIT-008"],
      CASES["PAL-RT-AUDIT-009"],
      detectAudit(secret("bob")),
    ]);
    expect(all).not.toContain(AWS_SECRET);
    expect(all).not.toContain("aHVudGVyMg==");
    expect(detectAudit(CASES["PAL-RT-AUDIT-007"]?.positive as RuntimeEvent)[0]?.evidence).toBe(
      "alice@example.com create clusterrolebinding b binding cluster-admin to User:mallory",
    );
  });

  it("judges only the final stage of a request, and only successful creations", () => {
    const priv = { containers: [{ name: "c", image: "x", securityContext: { privileged: true } }] };
    const received = ev({
      stage: "RequestReceived",
      objectRef: { resource: "pods", namespace: "shop", name: "p" },
      requestObject: { kind: "Pod", spec: priv },
    });
    expect(detectAudit(received)).toEqual([]);
    const forbidden = ev({
      objectRef: { resource: "pods", namespace: "shop", name: "p" },
      requestObject: { kind: "Pod", spec: priv },
      responseStatus: { code: 403 },
    });
    expect(detectAudit(forbidden)).toEqual([]);
  });
});
