/** Service and Ingress exposure rules (PAL-SVC-001..007). */
import type { KObject, Labels } from "../../inventory/index.js";
import { joinPath } from "../../inventory/index.js";
import { matchesServiceSelector } from "../../k8s/index.js";
import { isRecord } from "../../util/index.js";
import type { Env, InventoryRule, ObjectHit, PostureRule } from "../engine.js";
import { show } from "./helpers.js";

const EXPOSURE = "exposure";

/**
 * Cloud-provider annotations that make a LoadBalancer Service internal (reachable only from the VPC/VNet):
 * AWS (legacy in-tree and AWS Load Balancer Controller), GKE, Azure and OCI.
 */
const INTERNAL_LB: readonly [string, (v: string) => boolean][] = [
  ["service.beta.kubernetes.io/aws-load-balancer-internal", (v) => v === "true" || v === "0.0.0.0/0"],
  ["service.beta.kubernetes.io/aws-load-balancer-scheme", (v) => v === "internal"],
  ["networking.gke.io/load-balancer-type", (v) => v.toLowerCase() === "internal"],
  ["cloud.google.com/load-balancer-type", (v) => v.toLowerCase() === "internal"],
  ["service.beta.kubernetes.io/azure-load-balancer-internal", (v) => v === "true"],
  ["service.beta.kubernetes.io/oci-load-balancer-internal", (v) => v === "true"],
];

function isInternalLB(svc: KObject): boolean {
  return INTERNAL_LB.some(([k, ok]) => {
    const v = svc.annotations[k];
    return v !== undefined && ok(v);
  });
}

function teamOf(env: Env, obj: KObject): string | undefined {
  const ns = obj.ref.namespace;
  return ns !== undefined ? env.inv.namespaces.get(ns)?.team : undefined;
}

/** One hit per object, with the namespace's team attached. */
function hit(env: Env, object: KObject, h: Omit<ObjectHit, "object">): ObjectHit {
  const out: ObjectHit = { object, ...h };
  const team = teamOf(env, object);
  if (team !== undefined) out.team = team;
  return out;
}

function serviceType(env: Env, svc: KObject): string {
  const spec = env.reader(svc).rec(svc.raw, "spec", "");
  // The API defaults an absent type to ClusterIP.
  return env.reader(svc).str(spec, "type", "spec") ?? "ClusterIP";
}

function serviceTypeRule(
  id: string,
  type: "NodePort" | "LoadBalancer",
  title: string,
  severity: "low" | "medium",
  rationale: string,
  remediation: string,
): InventoryRule {
  return {
    meta: { id, title, severity, category: EXPOSURE, rationale, remediation, compliance: [] },
    scope: "inventory",
    check(env) {
      return env.inv.services
        .filter((s) => serviceType(env, s) === type)
        .map((s) =>
          hit(env, s, {
            fieldPath: "spec.type",
            evidence: type,
            message: `Service "${s.ref.name}" is of type ${type}${type === "LoadBalancer" && isInternalLB(s) ? " (internal load balancer)" : ""}`,
          }),
        );
    },
  };
}

/** Ingress TLS host matching: exact, or a `*.` wildcard covering exactly one left-most label (RFC 6125 6.4.3). */
function tlsCovers(pattern: string, host: string): boolean {
  const p = pattern.toLowerCase();
  const h = host.toLowerCase();
  if (p === h) return true;
  if (!p.startsWith("*.")) return false;
  const dot = h.indexOf(".");
  return dot > 0 && h.slice(dot) === p.slice(1);
}

export const EXPOSURE_RULES: readonly PostureRule[] = [
  serviceTypeRule(
    "PAL-SVC-001",
    "NodePort",
    "Service exposed on every node (NodePort)",
    "medium",
    "A NodePort Service opens the port on every node's address, bypassing ingress controls and often reachable from outside the cluster network.",
    "Use a ClusterIP Service behind an Ingress or Gateway, or restrict node ports at the firewall.",
  ),
  serviceTypeRule(
    "PAL-SVC-002",
    "LoadBalancer",
    "Service exposed through a cloud load balancer",
    "low",
    "A LoadBalancer Service provisions an externally routable address; every such Service is an entry point that needs review.",
    "Prefer a shared Ingress or Gateway; make load balancers internal where possible.",
  ),
  {
    meta: {
      id: "PAL-SVC-003",
      title: "Load balancer open to any source address",
      severity: "medium",
      category: EXPOSURE,
      rationale:
        "A public LoadBalancer without loadBalancerSourceRanges (or with 0.0.0.0/0) accepts traffic from the whole internet.",
      remediation:
        "Set spec.loadBalancerSourceRanges to the client CIDRs, or make the load balancer internal.",
      compliance: [],
    },
    scope: "inventory",
    *check(env) {
      for (const s of env.inv.services) {
        if (serviceType(env, s) !== "LoadBalancer" || isInternalLB(s)) continue;
        const read = env.reader(s);
        const spec = read.rec(s.raw, "spec", "");
        const ranges = (read.list(spec, "loadBalancerSourceRanges", "spec") ?? []).filter(
          (r): r is string => typeof r === "string",
        );
        // The legacy annotation is honoured by cloud providers when the field is empty.
        const ann = s.annotations["service.beta.kubernetes.io/load-balancer-source-ranges"];
        const all = ranges.length > 0 ? ranges : ann !== undefined ? ann.split(",").map((x) => x.trim()) : [];
        const open = all.length === 0 || all.some((r) => r === "0.0.0.0/0" || r === "::/0");
        if (!open) continue;
        yield hit(env, s, {
          fieldPath: "spec.loadBalancerSourceRanges",
          ...(all.length > 0 ? { evidence: all.join(",") } : {}),
          message: `Service "${s.ref.name}" load balancer accepts traffic from any address`,
        });
      }
    },
  },
  {
    meta: {
      id: "PAL-SVC-004",
      title: "Service selects no pods",
      severity: "low",
      category: EXPOSURE,
      rationale:
        "A Service whose selector matches no pod template in its namespace has no endpoints: it is a typo or a leftover, and a later workload with matching labels would silently receive its traffic.",
      remediation: "Fix the selector to match the intended pod template labels, or delete the Service.",
      compliance: [],
    },
    scope: "inventory",
    *check(env) {
      // Pod template labels per cluster+namespace, so each Service is matched only against its own namespace.
      const podLabels = new Map<string, Labels[]>();
      for (const w of env.inv.workloads) {
        const key = `${w.object.cluster ?? ""}\u0000${w.ref.namespace ?? ""}`;
        const list = podLabels.get(key);
        if (list) list.push(w.podLabels);
        else podLabels.set(key, [w.podLabels]);
      }
      for (const s of env.inv.services) {
        const read = env.reader(s);
        const spec = read.rec(s.raw, "spec", "");
        if (serviceType(env, s) === "ExternalName") continue;
        const sel = read.rec(spec, "selector", "spec");
        // No selector: endpoints are managed by hand (or by another controller); nothing to match.
        if (!sel || Object.keys(sel).length === 0) continue;
        const pairs: [string, string][] = [];
        let valid = true;
        for (const k of Object.keys(sel).sort()) {
          const v = read.str(sel, k, "spec.selector");
          if (v === undefined) valid = false;
          else pairs.push([k, v]);
        }
        if (!valid) continue;
        // Service selectors are equality-based and match the pod template's labels (ServiceSpec.selector).
        const candidates = podLabels.get(`${s.cluster ?? ""}\u0000${s.ref.namespace ?? ""}`) ?? [];
        const selector: Record<string, string> = Object.fromEntries(pairs);
        const matched = candidates.some((labels) => matchesServiceSelector(selector, labels));
        if (matched) continue;
        const text = pairs.map(([k, v]) => `${k}=${v}`).join(",");
        yield hit(env, s, {
          fieldPath: "spec.selector",
          evidence: show(text),
          message: `Service "${s.ref.name}" selector ${show(text)} matches no pod template in namespace "${s.ref.namespace ?? ""}"`,
        });
      }
    },
  },
  {
    meta: {
      id: "PAL-SVC-005",
      title: "Service sets externalIPs",
      severity: "medium",
      category: EXPOSURE,
      rationale:
        "externalIPs make kube-proxy capture traffic for arbitrary addresses on every node; whoever can create such a Service can intercept traffic to those IPs (CVE-2020-8554).",
      remediation:
        "Remove spec.externalIPs; use a LoadBalancer or Ingress. Block the field cluster-wide with the DenyServiceExternalIPs admission plugin.",
      compliance: [],
    },
    scope: "inventory",
    *check(env) {
      for (const s of env.inv.services) {
        const read = env.reader(s);
        const ips = (read.list(read.rec(s.raw, "spec", ""), "externalIPs", "spec") ?? []).filter(
          (x): x is string => typeof x === "string",
        );
        if (ips.length === 0) continue;
        yield hit(env, s, {
          fieldPath: "spec.externalIPs",
          evidence: ips.join(","),
          message: `Service "${s.ref.name}" claims external IPs ${ips.join(", ")}`,
        });
      }
    },
  },
  {
    meta: {
      id: "PAL-SVC-006",
      title: "Ingress without TLS",
      severity: "medium",
      category: EXPOSURE,
      rationale:
        "An Ingress with no tls section serves plain HTTP: credentials and session cookies cross the network in clear.",
      remediation: "Add spec.tls with a certificate Secret for every host.",
      compliance: [],
    },
    scope: "inventory",
    *check(env) {
      for (const ing of env.inv.ingresses) {
        const read = env.reader(ing);
        const tls = read.list(read.rec(ing.raw, "spec", ""), "tls", "spec") ?? [];
        if (tls.some(isRecord)) continue;
        yield hit(env, ing, {
          fieldPath: "spec.tls",
          message: `Ingress "${ing.ref.name}" has no TLS configuration`,
        });
      }
    },
  },
  {
    meta: {
      id: "PAL-SVC-007",
      title: "Ingress host not covered by TLS",
      severity: "low",
      category: EXPOSURE,
      rationale:
        "A rule host missing from every spec.tls[].hosts list is served without TLS even though the Ingress has TLS.",
      remediation: "Add the host to a spec.tls entry (a wildcard covers one label).",
      compliance: [],
    },
    scope: "inventory",
    *check(env) {
      for (const ing of env.inv.ingresses) {
        const read = env.reader(ing);
        const spec = read.rec(ing.raw, "spec", "");
        const tls = (read.list(spec, "tls", "spec") ?? []).filter(isRecord);
        if (tls.length === 0) continue; // PAL-SVC-006
        const tlsHosts = tls
          .flatMap((t) => (Array.isArray(t.hosts) ? t.hosts : []))
          .filter((h) => typeof h === "string");
        const rules = read.list(spec, "rules", "spec") ?? [];
        for (let i = 0; i < rules.length; i++) {
          const r = rules[i];
          if (!isRecord(r)) continue;
          const p = joinPath("spec", "rules", i);
          const host = read.str(r, "host", p);
          if (host === undefined || host === "") continue;
          if (tlsHosts.some((t) => tlsCovers(t, host))) continue;
          yield hit(env, ing, {
            fieldPath: joinPath(p, "host"),
            evidence: host,
            message: `Ingress "${ing.ref.name}" host ${show(host)} is not covered by any TLS entry`,
          });
        }
      }
    },
  },
];
