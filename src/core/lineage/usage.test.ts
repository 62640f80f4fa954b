import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { buildInventory, type Inventory, type RawObject } from "../inventory/index.js";
import { matchesServiceSelector } from "../k8s/index.js";
import { asArray, asString, isRecord } from "../util/index.js";
import { exposedWorkloads, workloadKey } from "./index.js";

const deployment = (
  cluster: string | undefined,
  ns: string | undefined,
  name: string,
  labels: object,
): RawObject => {
  const object: Record<string, unknown> = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, ...(ns !== undefined ? { namespace: ns } : {}) },
    spec: { template: { metadata: { labels }, spec: { containers: [{ name: "c", image: "nginx:1" }] } } },
  };
  return cluster === undefined ? { object } : { object, cluster };
};

const service = (
  cluster: string | undefined,
  ns: string | undefined,
  name: string,
  type: string,
  selector: object,
): RawObject => {
  const object: Record<string, unknown> = {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, ...(ns !== undefined ? { namespace: ns } : {}) },
    spec: { type, selector },
  };
  return cluster === undefined ? { object } : { object, cluster };
};

const ingress = (cluster: string | undefined, ns: string, name: string, backend: string): RawObject => {
  const object: Record<string, unknown> = {
    apiVersion: "networking.k8s.io/v1",
    kind: "Ingress",
    metadata: { name, namespace: ns },
    spec: { rules: [{ http: { paths: [{ path: "/", backend: { service: { name: backend } } }] } }] },
  };
  return cluster === undefined ? { object } : { object, cluster };
};

/** The definition, written as plainly as possible: every exposed Service against every workload. */
function exposedReference(inv: Inventory): Set<string> {
  const exposed = inv.services.filter((s) => {
    const t = isRecord(s.raw.spec) ? asString(s.raw.spec.type) : undefined;
    return t === "LoadBalancer" || t === "NodePort";
  });
  for (const ing of inv.ingresses) {
    const spec = isRecord(ing.raw.spec) ? ing.raw.spec : {};
    for (const rule of asArray(spec.rules))
      for (const p of isRecord(rule) && isRecord(rule.http) ? asArray(rule.http.paths) : []) {
        const name =
          isRecord(p) && isRecord(p.backend) && isRecord(p.backend.service)
            ? asString(p.backend.service.name)
            : undefined;
        // Of several Services of one name in one namespace (input from several files), the last read, as a later
        // document replaces an earlier one when applied.
        const svc = inv.services.findLast(
          (s) => s.cluster === ing.cluster && s.ref.namespace === ing.ref.namespace && s.ref.name === name,
        );
        if (svc) exposed.push(svc);
      }
  }
  const out = new Set<string>();
  for (const svc of exposed) {
    const spec = isRecord(svc.raw.spec) ? svc.raw.spec : {};
    const sel = Object.fromEntries(
      Object.entries(isRecord(spec.selector) ? spec.selector : {}).filter(([, v]) => typeof v === "string"),
    ) as Record<string, string>;
    for (const w of inv.workloads)
      if (
        w.object.cluster === svc.cluster &&
        w.ref.namespace === svc.ref.namespace &&
        matchesServiceSelector(sel, w.podLabels)
      )
        out.add(workloadKey(w.ref, w.object.cluster));
  }
  return out;
}

describe("exposedWorkloads", () => {
  it("a Service selects only in its own cluster and namespace", () => {
    const inv = buildInventory([
      deployment("a", "web", "front", { app: "web" }),
      deployment("a", "other", "front", { app: "web" }),
      deployment("b", "web", "front", { app: "web" }),
      deployment(undefined, "web", "front", { app: "web" }),
      deployment("a", "web", "api", { app: "api" }),
      deployment("a", "web", "worker", { app: "worker" }),
      service("a", "web", "lb", "LoadBalancer", { app: "web" }),
      service("a", "web", "api", "ClusterIP", { app: "api" }),
      service("a", "web", "worker", "ClusterIP", { app: "worker" }),
      ingress("a", "web", "in", "api"),
      // Routes to a Service of the same name in another namespace: exposes nothing here.
      ingress("a", "other", "in", "worker"),
    ]);
    expect([...exposedWorkloads(inv)].sort()).toEqual(["a/web/Deployment/api", "a/web/Deployment/front"]);
  });

  it("gives the set the definition gives (every Service against every workload)", () => {
    const place = fc.record({
      cluster: fc.constantFrom(undefined, "a", "b"),
      ns: fc.constantFrom("x", "y", "z"),
    });
    const labels = fc.dictionary(fc.constantFrom("app", "tier", "team"), fc.constantFrom("1", "2"), {
      maxKeys: 3,
    });
    fc.assert(
      fc.property(
        fc.array(fc.record({ place, labels }), { maxLength: 25 }),
        fc.array(
          fc.record({
            place,
            selector: labels,
            type: fc.constantFrom("LoadBalancer", "NodePort", "ClusterIP"),
            name: fc.constantFrom("s1", "s2", "s3"),
          }),
          { maxLength: 10 },
        ),
        fc.array(fc.record({ place, backend: fc.constantFrom("s1", "s2", "s3") }), { maxLength: 5 }),
        (workloads, services, ingresses) => {
          const inv = buildInventory([
            ...workloads.map((w, i) => deployment(w.place.cluster, w.place.ns, `w${i}`, w.labels)),
            ...services.map((s) => service(s.place.cluster, s.place.ns, s.name, s.type, s.selector)),
            ...ingresses.map((g, i) => ingress(g.place.cluster, g.place.ns, `i${i}`, g.backend)),
          ]);
          expect([...exposedWorkloads(inv)].sort()).toEqual([...exposedReference(inv)].sort());
        },
      ),
      { numRuns: 300 },
    );
  });
});
