import { describe, expect, it } from "vitest";
import { deployment, inventory, namespace, type Obj, policy } from "./__fixtures__/cluster.js";
import { NETPOL_RULES, netpolFindings } from "./findings.js";

const summary = (objects: Obj[]) =>
  netpolFindings(inventory(objects)).findings.map(
    (f) =>
      `${f.ruleId} ${f.resource.kind} ${f.resource.namespace ?? ""}/${f.resource.name}${f.fieldPath ? ` ${f.fieldPath}` : ""}`,
  );

const web = deployment("a", "web", { app: "web" }, [{ name: "http", containerPort: 8080 }]);

describe("NETPOL_RULES", () => {
  it("has unique PAL-NET ids with NSA references", () => {
    expect(new Set(NETPOL_RULES.map((r) => r.id)).size).toBe(NETPOL_RULES.length);
    for (const r of NETPOL_RULES) {
      expect(r.id).toMatch(/^PAL-NET-\d{3}$/);
      expect(r.compliance.some((c) => c.framework === "nsa")).toBe(true);
    }
    expect(
      NETPOL_RULES.filter((r) => r.compliance.some((c) => c.framework === "cis" && c.id === "5.3.2")).map(
        (r) => r.id,
      ),
    ).toEqual(["PAL-NET-001", "PAL-NET-003", "PAL-NET-004", "PAL-NET-005"]);
  });
});

describe("netpolFindings", () => {
  it("namespace without policies: namespace and workload findings", () => {
    expect(summary([namespace("a"), web])).toEqual([
      "PAL-NET-001 Deployment a/web",
      "PAL-NET-002 Deployment a/web",
      "PAL-NET-003 Namespace /a",
    ]);
  });
  it("default deny in both directions silences isolation findings", () => {
    expect(
      summary([web, policy("a", "deny", { podSelector: {}, policyTypes: ["Ingress", "Egress"] })]),
    ).toEqual([]);
  });
  it("policies without default deny: per-direction namespace findings", () => {
    expect(
      summary([
        web,
        policy("a", "web", {
          podSelector: { matchLabels: { app: "web" } },
          ingress: [{ from: [{ podSelector: {} }] }],
        }),
      ]),
    ).toEqual(["PAL-NET-002 Deployment a/web", "PAL-NET-004 Namespace /a", "PAL-NET-005 Namespace /a"]);
  });
  it("broad rules, empty selections and unresolved named ports", () => {
    const objs = [
      web,
      policy("a", "deny", { podSelector: {}, policyTypes: ["Ingress", "Egress"] }),
      policy("a", "broad", {
        podSelector: {},
        policyTypes: ["Ingress", "Egress"],
        ingress: [
          {
            from: [{ namespaceSelector: {} }, { ipBlock: { cidr: "0.0.0.0/0", except: ["10.0.0.0/8"] } }],
            ports: [{ port: "http" }, { port: "htttp" }],
          },
          {},
        ],
        egress: [
          { to: [{ ipBlock: { cidr: "::/0" } }] },
          { to: [{ podSelector: {} }], ports: [{ port: "grpc" }] },
        ],
      }),
      policy("a", "typo", { podSelector: { matchLabels: { app: "wbe" } } }),
    ];
    expect(summary(objs)).toEqual([
      "PAL-NET-006 NetworkPolicy a/broad spec.ingress[0].from[0].namespaceSelector",
      "PAL-NET-006 NetworkPolicy a/broad spec.ingress[1]",
      "PAL-NET-007 NetworkPolicy a/broad spec.ingress[0].from[1].ipBlock.cidr",
      "PAL-NET-008 NetworkPolicy a/broad spec.egress[0].to[0].ipBlock.cidr",
      "PAL-NET-009 NetworkPolicy a/typo spec.podSelector",
      "PAL-NET-010 NetworkPolicy a/broad spec.egress[1].ports[0].port",
      "PAL-NET-010 NetworkPolicy a/broad spec.ingress[0].ports[1].port",
    ]);
  });
  it("builds whole findings with stable ids and references", () => {
    const [f] = netpolFindings(
      inventory([policy("a", "typo", { podSelector: { matchLabels: { app: "wbe" } } })]),
    ).findings.filter((x) => x.ruleId === "PAL-NET-009");
    expect(f).toEqual({
      id: f?.id,
      ruleId: "PAL-NET-009",
      title: "Policy selects no pods",
      severity: "low",
      resource: { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", namespace: "a", name: "typo" },
      fieldPath: "spec.podSelector",
      evidence: "app=wbe",
      message: "NetworkPolicy a/typo selects no pods: podSelector app=wbe matches no workload in namespace a",
      remediation: "Fix the podSelector labels or the policy's namespace, or delete the policy.",
      compliance: [
        {
          framework: "nsa",
          id: "network-separation",
          title: "NSA/CISA Kubernetes Hardening Guidance: Network separation and hardening",
        },
      ],
      category: "network",
    });
    expect(f?.id).toMatch(/^[0-9a-f]+$/);
  });
  it("an empty podSelector selects every pod of the namespace: never 'selects no pods', even with no workload in the input", () => {
    // A default-deny manifest applied to a namespace before (or without) its workloads: it applies to every pod
    // created there later. Written as `{}`, as `matchLabels: {}` and with podSelector left out (defaults to {}).
    const objs = [
      namespace("empty"),
      policy("empty", "deny-all", { podSelector: {}, policyTypes: ["Ingress", "Egress"] }),
      policy("empty", "deny-ingress", { podSelector: { matchLabels: {}, matchExpressions: [] } }),
      policy("empty", "no-selector", { policyTypes: ["Ingress"] }),
      policy("empty", "typo", { podSelector: { matchLabels: { app: "web" } } }),
    ];
    expect(summary(objs)).toEqual(["PAL-NET-009 NetworkPolicy empty/typo spec.podSelector"]);
    const { findings } = netpolFindings(inventory(objs));
    expect(findings.map((f) => f.message)).toEqual([
      "NetworkPolicy empty/typo selects no pods: podSelector app=web matches no workload in namespace empty",
    ]);
  });
  it("namespaceSelector: {} is every namespace; an absent one is the policy's namespace", () => {
    const other = deployment("b", "api", { app: "api" });
    const objs = [
      web,
      other,
      policy("a", "deny", { podSelector: {}, policyTypes: ["Ingress", "Egress"] }),
      policy("b", "deny", { podSelector: {}, policyTypes: ["Ingress", "Egress"] }),
      policy("a", "same-ns", {
        podSelector: {},
        ingress: [{ from: [{ podSelector: { matchLabels: { app: "api" } } }] }],
      }),
      policy("a", "all-ns", {
        podSelector: {},
        ingress: [
          {
            from: [
              { namespaceSelector: null, podSelector: {} },
              { namespaceSelector: {}, podSelector: { matchLabels: { app: "api" } } },
            ],
          },
        ],
      }),
    ];
    expect(summary(objs)).toEqual([
      "PAL-NET-006 NetworkPolicy a/all-ns spec.ingress[0].from[1].namespaceSelector",
    ]);
  });
  it("rules of a type not in policyTypes do not fire", () => {
    expect(
      summary([
        web,
        policy("a", "p", {
          podSelector: {},
          policyTypes: ["Egress"],
          ingress: [{}],
          egress: [{ to: [{ podSelector: {} }] }],
        }),
      ]),
    ).toEqual(["PAL-NET-001 Deployment a/web", "PAL-NET-004 Namespace /a"]);
  });
  it("invalid policies become coverage and do not count as default deny", () => {
    const r = netpolFindings(
      inventory([web, policy("a", "deny", { podSelector: {}, policyTypes: ["Ingress", "Egres"] })]),
    );
    expect(r.findings.map((f) => f.ruleId)).toEqual(["PAL-NET-001", "PAL-NET-002", "PAL-NET-003"]);
    expect(r.coverage.map((c) => c.message)).toEqual([
      'NetworkPolicy a/deny: spec.policyTypes[1]: unsupported value "Egres": must be Ingress or Egress; the policy was left out of the analysis',
    ]);
  });
});
