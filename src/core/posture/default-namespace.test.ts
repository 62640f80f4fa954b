import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { buildInventory, type RawObject } from "../inventory/index.js";
import { evaluatePosture } from "./index.js";

const manifest = (name: string, origin: RawObject["origin"] = "manifest"): RawObject[] =>
  parseAllDocuments(readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), "utf8")).map((d) => ({
    object: d.toJS() as Record<string, unknown>,
    origin,
  }));

describe("PAL-NS-001 objects in the default namespace (CIS 5.7.4)", () => {
  it("reports Services, ConfigMaps, Secrets, ServiceAccounts, Roles, RoleBindings and Ingresses there, not the control plane's own", () => {
    const f = evaluatePosture(buildInventory(manifest("default-namespace.yaml"))).findings.filter(
      (x) => x.ruleId === "PAL-NS-001",
    );
    expect(f.map((x) => [x.resource.kind, x.resource.name, x.evidence, x.message])).toEqual([
      ["ConfigMap", "billing-config", "default", 'ConfigMap "billing-config" is in the default namespace'],
      [
        "Ingress",
        "billing",
        undefined,
        'Ingress "billing" names no namespace: applied without -n it lands in the default namespace',
      ],
      ["Role", "billing-reader", "default", 'Role "billing-reader" is in the default namespace'],
      [
        "RoleBinding",
        "billing-reader",
        "default",
        'RoleBinding "billing-reader" is in the default namespace',
      ],
      ["Secret", "billing-db", "default", 'Secret "billing-db" is in the default namespace'],
      ["Service", "billing", "default", 'Service "billing" is in the default namespace'],
      ["ServiceAccount", "billing", "default", 'ServiceAccount "billing" is in the default namespace'],
    ]);
    expect(f.every((x) => x.fieldPath === "metadata.namespace" && x.severity === "low")).toBe(true);
    expect(f[0]?.compliance.map((c) => `${c.framework} ${c.id}`)).toEqual(["nsa Namespaces", "cis 5.7.4"]);
  });

  it("the legacy token Secret of the default ServiceAccount, read from a cluster, is the controller's", () => {
    const token: RawObject = {
      origin: "cluster",
      object: {
        apiVersion: "v1",
        kind: "Secret",
        type: "kubernetes.io/service-account-token",
        metadata: {
          name: "default-token-x7k2p",
          namespace: "default",
          annotations: { "kubernetes.io/service-account.name": "default" },
        },
        data: { token: "ZXhhbXBsZQ==" },
      },
    };
    const f = evaluatePosture(buildInventory([token])).findings.filter((x) => x.ruleId === "PAL-NS-001");
    expect(f).toEqual([]);
  });
});
