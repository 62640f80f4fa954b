import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { CHART, helm, helmTestsEnabled, NAMESPACE, RENDERED, templateArgs } from "../deploy/helm.js";
import { kubeTestsEnabled, type RealCluster, startCluster } from "./kube-apiserver.js";

/**
 * Issue 17: the committed deploy/manifests/palisade.yaml are valid API objects. Each is created with server-side
 * dry-run (`?dryRun=All`: validated, defaulted and admitted, never stored) on a real kube-apiserver, in a namespace
 * labelled pod-security.kubernetes.io/enforce=restricted; and a Pod made from each Deployment's pod template is
 * dry-run there too, so the server's own PodSecurity admission plugin judges it at restricted (a Deployment is only
 * warned about, its pods are what enforce rejects).
 *
 * cert-manager's Issuer and Certificate are not sent: the test control plane has no cert-manager CRDs. They are
 * listed below by name so that the set not validated here is explicit.
 */

// biome-ignore lint/suspicious/noExplicitAny: rendered manifests are walked field by field
type Obj = Record<string, any>;

/** Collection URL of a kind (the plural resource of each kind the chart renders). */
const RESOURCES: Record<string, { prefix: string; plural: string; namespaced: boolean }> = {
  "v1/ServiceAccount": {
    prefix: "/api/v1",
    plural: "serviceaccounts",
    namespaced: true,
  },
  "v1/Service": { prefix: "/api/v1", plural: "services", namespaced: true },
  "v1/Secret": { prefix: "/api/v1", plural: "secrets", namespaced: true },
  "v1/ConfigMap": { prefix: "/api/v1", plural: "configmaps", namespaced: true },
  "apps/v1/Deployment": {
    prefix: "/apis/apps/v1",
    plural: "deployments",
    namespaced: true,
  },
  "policy/v1/PodDisruptionBudget": {
    prefix: "/apis/policy/v1",
    plural: "poddisruptionbudgets",
    namespaced: true,
  },
  "networking.k8s.io/v1/NetworkPolicy": {
    prefix: "/apis/networking.k8s.io/v1",
    plural: "networkpolicies",
    namespaced: true,
  },
  "networking.k8s.io/v1/Ingress": {
    prefix: "/apis/networking.k8s.io/v1",
    plural: "ingresses",
    namespaced: true,
  },
  "rbac.authorization.k8s.io/v1/ClusterRole": {
    prefix: "/apis/rbac.authorization.k8s.io/v1",
    plural: "clusterroles",
    namespaced: false,
  },
  "rbac.authorization.k8s.io/v1/ClusterRoleBinding": {
    prefix: "/apis/rbac.authorization.k8s.io/v1",
    plural: "clusterrolebindings",
    namespaced: false,
  },
  "admissionregistration.k8s.io/v1/ValidatingWebhookConfiguration": {
    prefix: "/apis/admissionregistration.k8s.io/v1",
    plural: "validatingwebhookconfigurations",
    namespaced: false,
  },
};

const parseManifests = (text: string): Obj[] =>
  parseAllDocuments(text)
    .map((d) => d.toJS() as Obj | null)
    .filter((d): d is Obj => d !== null);
const docs = parseManifests(readFileSync(RENDERED, "utf8"));

const CERT_MANAGER_OBJECTS = [
  "cert-manager.io/v1 Certificate/palisade-admission",
  "cert-manager.io/v1 Certificate/palisade-admission-ca",
  "cert-manager.io/v1 Issuer/palisade-admission-ca",
  "cert-manager.io/v1 Issuer/palisade-admission-selfsigned",
];

/** Create each object with dryRun=All and strict field validation: what the server refused, and what was not sent. */
async function dryRunAll(c: RealCluster, objects: Obj[]) {
  const refused: { object: string; status: number; message: unknown }[] = [];
  const notSent: string[] = [];
  for (const d of objects) {
    const name = `${d.kind}/${d.metadata.name}`;
    const r = RESOURCES[`${d.apiVersion}/${d.kind}`];
    if (r === undefined) {
      notSent.push(`${d.apiVersion} ${name}`);
      continue;
    }
    const ns = r.namespaced ? `/namespaces/${d.metadata.namespace}` : "";
    const a = await c.api("POST", `${r.prefix}${ns}/${r.plural}?dryRun=All&fieldValidation=Strict`, d);
    if (a.status !== 201) refused.push({ object: name, status: a.status, message: a.body.message });
  }
  return { refused, notSent: notSent.sort() };
}

describe.runIf(kubeTestsEnabled())(
  "deploy/manifests/palisade.yaml on a real kube-apiserver (server-side dry-run)",
  () => {
    let c: RealCluster;
    beforeAll(async () => {
      c = await startCluster();
      const r = await c.api("POST", "/api/v1/namespaces", {
        apiVersion: "v1",
        kind: "Namespace",
        metadata: {
          name: NAMESPACE,
          labels: {
            "pod-security.kubernetes.io/enforce": "restricted",
            "pod-security.kubernetes.io/enforce-version": "latest",
          },
        },
      });
      expect(r.status).toBe(201);
    });
    afterAll(async () => {
      await c?.stop();
    });

    it("accepts every object but cert-manager's (no CRDs here)", async () => {
      const { refused, notSent } = await dryRunAll(c, docs);
      expect(refused).toEqual([]);
      expect(notSent).toEqual(CERT_MANAGER_OBJECTS);
    });

    it.runIf(helmTestsEnabled())(
      "accepts every object of the all-features render (Ingress, Secret, ConfigMap; needs helm: scripts/helm-path.sh)",
      async () => {
        const dir = mkdtempSync(join(tmpdir(), "palisade-helm-"));
        try {
          const r = helm(templateArgs(["--values", join(CHART, "ci", "all-features-values.yaml")]), dir);
          expect(r.status).toBe(0);
          const all = parseManifests(r.stdout);
          expect(all.map((d) => d.kind)).toEqual(expect.arrayContaining(["Ingress", "Secret", "ConfigMap"]));
          const { refused, notSent } = await dryRunAll(c, all);
          expect(refused).toEqual([]);
          expect(notSent).toEqual(CERT_MANAGER_OBJECTS);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      },
    );

    it("admits a pod of every Deployment's template under PodSecurity enforce=restricted", async () => {
      const deployments = docs.filter((d) => d.kind === "Deployment");
      expect(deployments.length).toBe(3);
      const refused: {
        deployment: string;
        status: number;
        message: unknown;
      }[] = [];
      for (const d of deployments) {
        const pod = {
          apiVersion: "v1",
          kind: "Pod",
          metadata: {
            name: `${d.metadata.name}-pod`,
            namespace: NAMESPACE,
            labels: d.spec.template.metadata.labels,
          },
          spec: d.spec.template.spec,
        };
        const a = await c.api("POST", `/api/v1/namespaces/${NAMESPACE}/pods?dryRun=All`, pod);
        if (a.status !== 201)
          refused.push({
            deployment: d.metadata.name,
            status: a.status,
            message: a.body.message,
          });
      }
      expect(refused).toEqual([]);
    });

    it("refuses a pod of the same template made to run as root (the namespace really enforces restricted)", async () => {
      const d = docs.find((x) => x.kind === "Deployment") as Obj;
      const spec = structuredClone(d.spec.template.spec) as Obj;
      spec.securityContext = {
        ...spec.securityContext,
        runAsNonRoot: false,
        runAsUser: 0,
      };
      for (const ctr of spec.containers as Obj[]) delete ctr.securityContext.runAsNonRoot;
      const a = await c.api("POST", `/api/v1/namespaces/${NAMESPACE}/pods?dryRun=All`, {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: "as-root", namespace: NAMESPACE },
        spec,
      });
      expect(a.status).toBe(403);
      expect(String(a.body.message)).toContain('violates PodSecurity "restricted:latest"');
    });
  },
);
