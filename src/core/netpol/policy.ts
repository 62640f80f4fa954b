import type { ResourceRef, SourceLocation } from "../findings/index.js";
import type { KObject } from "../inventory/index.js";
import { MATCH_ALL, parseLabelSelector, type Selector } from "../k8s/index.js";
import { isRecord } from "../util/index.js";
import { type Cidr, parseCidr } from "./cidr.js";
import { MAX_PORT, MIN_PORT, PROTOCOLS, type Protocol } from "./ports.js";

/** One entry of a rule's `ports`. Protocol defaults to TCP (networking/v1 SetDefaults_NetworkPolicyPort). */
export interface PortSpec {
  protocol: Protocol;
  /** Absent: every port of the protocol. A string is a named port, resolved against the destination pod. */
  port?: number | string;
  /** Inclusive end of a numeric range starting at `port` (KEP-2079 endPort). */
  endPort?: number;
  path: string;
}

/** A NetworkPolicyPeer. */
export type Peer =
  | {
      kind: "pods";
      /** Unset: every pod of the selected namespaces. */
      podSelector?: Selector;
      /** Unset: the policy's own namespace. */
      namespaceSelector?: Selector;
      path: string;
    }
  | { kind: "ipBlock"; cidr: Cidr; except: Cidr[]; text: string; path: string };

/** One ingress or egress rule. `"all"` stands for an empty or absent `from`/`to` (all peers) or `ports` (all). */
export interface PolicyRule {
  direction: "ingress" | "egress";
  index: number;
  path: string;
  peers: Peer[] | "all";
  ports: PortSpec[] | "all";
}

/** A validated NetworkPolicy with its defaults applied. */
export interface ParsedPolicy {
  object: KObject;
  ref: ResourceRef;
  namespace: string;
  name: string;
  podSelector: Selector;
  /** Effective policyTypes (after defaulting). */
  isolates: { ingress: boolean; egress: boolean };
  /** Whether policyTypes was given (non-empty) in the object. */
  policyTypesExplicit: boolean;
  /** Rules of an effective policy type only: rules of a type not in policyTypes have no effect. */
  ingress: PolicyRule[];
  egress: PolicyRule[];
}

/** A validation problem that makes the API server reject the policy. */
export interface PolicyIssue {
  ref: ResourceRef;
  path: string;
  message: string;
  location?: SourceLocation;
}

const PORT_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;

/** validation.IsValidPortName (IANA_SVC_NAME): 1-15 of [a-z0-9-], at least one letter, no `--`, no edge `-`. */
export function isValidPortName(s: string): boolean {
  return s.length >= 1 && s.length <= 15 && PORT_NAME.test(s) && /[a-z]/.test(s) && !s.includes("--");
}

const isPortNumber = (v: unknown): v is number =>
  typeof v === "number" && Number.isInteger(v) && v >= MIN_PORT && v <= MAX_PORT;

/**
 * Validate a NetworkPolicy as the API server would (networking ValidateNetworkPolicySpec) and apply its defaults.
 * Returns the parsed policy, or issues naming each invalid field: an invalid policy is never admitted by the API
 * server, so analysis treats it as absent and reports it as coverage.
 */
export function parseNetworkPolicy(obj: KObject): { policy?: ParsedPolicy; issues: PolicyIssue[] } {
  const issues: PolicyIssue[] = [];
  const add = (path: string, message: string): void => {
    const issue: PolicyIssue = { ref: obj.ref, path, message };
    const loc = obj.source?.locate?.(path);
    if (loc) issue.location = loc;
    else if (obj.source)
      issue.location = { file: obj.source.file, line: obj.source.line, column: obj.source.column };
    issues.push(issue);
  };
  const rawSpec = obj.raw.spec;
  if (rawSpec !== undefined && rawSpec !== null && !isRecord(rawSpec)) {
    add("spec", "must be an object");
    return { issues };
  }
  const spec = isRecord(rawSpec) ? rawSpec : {};

  // spec.podSelector: optional since 1.31 docs ("If it is not specified, it defaults to an empty selector"); an
  // absent struct field also decoded as the empty selector before, which selects every pod in the namespace.
  const ps = parseLabelSelector(spec.podSelector, "everything");
  for (const i of ps.issues) add(joinP("spec.podSelector", i.path), i.message);

  // policyTypes defaulting (networking/v1 SetDefaults_NetworkPolicy): when empty or absent, Ingress always, plus
  // Egress iff `len(spec.egress) != 0` — so `egress: []` without policyTypes does NOT isolate egress.
  let explicit = false;
  const isolates = { ingress: false, egress: false };
  const pt = spec.policyTypes;
  if (pt !== undefined && pt !== null) {
    if (!Array.isArray(pt)) add("spec.policyTypes", "must be a list");
    else if (pt.length > 2) add("spec.policyTypes", "may not specify more than two policyTypes");
    else {
      pt.forEach((t, i) => {
        if (t === "Ingress") isolates.ingress = true;
        else if (t === "Egress") isolates.egress = true;
        else
          add(`spec.policyTypes[${i}]`, `unsupported value ${JSON.stringify(t)}: must be Ingress or Egress`);
      });
      explicit = pt.length > 0;
    }
  }
  const ingressRaw = listField(spec.ingress, "spec.ingress", add);
  const egressRaw = listField(spec.egress, "spec.egress", add);
  if (!explicit) {
    isolates.ingress = true;
    isolates.egress = egressRaw !== undefined && egressRaw.length > 0;
  }
  const ingress = parseRules(ingressRaw ?? [], "ingress", add);
  const egress = parseRules(egressRaw ?? [], "egress", add);
  if (issues.length > 0 || !ps.selector) return { issues };
  return {
    policy: {
      object: obj,
      ref: obj.ref,
      namespace: obj.ref.namespace ?? "default",
      name: obj.ref.name,
      podSelector: ps.selector,
      isolates,
      policyTypesExplicit: explicit,
      ingress: isolates.ingress ? ingress : [],
      egress: isolates.egress ? egress : [],
    },
    issues,
  };
}

function joinP(base: string, rel: string): string {
  if (rel === "") return base;
  return rel.startsWith("[") ? `${base}${rel}` : `${base}.${rel}`;
}

function listField(v: unknown, path: string, add: (p: string, m: string) => void): unknown[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) {
    add(path, "must be a list");
    return undefined;
  }
  return v;
}

function parseRules(
  list: unknown[],
  direction: "ingress" | "egress",
  add: (p: string, m: string) => void,
): PolicyRule[] {
  const peerField = direction === "ingress" ? "from" : "to";
  const out: PolicyRule[] = [];
  list.forEach((r, index) => {
    const path = `spec.${direction}[${index}]`;
    // `- {}` (and a YAML null item) is a rule with every field absent: all peers, all ports.
    const rule = r === null ? {} : r;
    if (!isRecord(rule)) {
      add(path, "must be an object");
      return;
    }
    const peersRaw = listField(rule[peerField], `${path}.${peerField}`, add);
    const portsRaw = listField(rule.ports, `${path}.ports`, add);
    // "If this field is empty or missing, this rule matches all sources/destinations" (NetworkPolicyIngressRule.from,
    // NetworkPolicyEgressRule.to); likewise for ports ("matches all ports").
    const peers: Peer[] | "all" =
      peersRaw === undefined || peersRaw.length === 0
        ? "all"
        : peersRaw.flatMap((p, i) => parsePeer(p, `${path}.${peerField}[${i}]`, add));
    const ports: PortSpec[] | "all" =
      portsRaw === undefined || portsRaw.length === 0
        ? "all"
        : portsRaw.flatMap((p, i) => parsePort(p, `${path}.ports[${i}]`, add));
    out.push({ direction, index, path, peers, ports });
  });
  return out;
}

function parsePeer(raw: unknown, path: string, add: (p: string, m: string) => void): Peer[] {
  // A null list item decodes to the zero NetworkPolicyPeer, which has no peer field set.
  if (raw === null) {
    add(path, "must specify a peer");
    return [];
  }
  if (!isRecord(raw)) {
    add(path, "must be an object");
    return [];
  }
  const has = (k: string): boolean => raw[k] !== undefined && raw[k] !== null;
  const n = (has("podSelector") ? 1 : 0) + (has("namespaceSelector") ? 1 : 0) + (has("ipBlock") ? 1 : 0);
  // ValidateNetworkPolicyPeer: at least one field; ipBlock may not be combined with a selector.
  if (n === 0) {
    add(path, "must specify a peer");
    return [];
  }
  if (n > 1 && has("ipBlock")) {
    add(path, "may not specify both ipBlock and another peer");
    return [];
  }
  if (has("ipBlock")) {
    const b = raw.ipBlock;
    if (!isRecord(b)) {
      add(`${path}.ipBlock`, "must be an object");
      return [];
    }
    if (typeof b.cidr !== "string" || b.cidr === "") {
      add(`${path}.ipBlock.cidr`, "required");
      return [];
    }
    const cidr = parseCidr(b.cidr);
    if (!cidr) {
      add(`${path}.ipBlock.cidr`, `not a valid CIDR: ${JSON.stringify(b.cidr)}`);
      return [];
    }
    const except: Cidr[] = [];
    let ok = true;
    const ex = listField(b.except, `${path}.ipBlock.except`, add) ?? [];
    ex.forEach((e, i) => {
      const p = `${path}.ipBlock.except[${i}]`;
      const c = typeof e === "string" ? parseCidr(e) : undefined;
      if (!c) {
        add(p, `not a valid CIDR: ${JSON.stringify(e)}`);
        ok = false;
      } else if (
        c.family !== cidr.family ||
        c.start < cidr.start ||
        c.end > cidr.end ||
        c.prefix <= cidr.prefix
      ) {
        // ValidateIPBlock: `!cidr.Contains(except.IP) || cidrMaskLen >= exceptMaskLen` -> "must be a strict subset".
        add(p, `${JSON.stringify(e)} must be a strict subset of cidr ${JSON.stringify(b.cidr)}`);
        ok = false;
      } else except.push(c);
    });
    if (!ok) return [];
    const text =
      except.length === 0 ? String(b.cidr) : `${String(b.cidr)} except ${(ex as string[]).join(",")}`;
    return [{ kind: "ipBlock", cidr, except, text, path }];
  }
  const peer: Peer = { kind: "pods", path };
  let ok = true;
  for (const field of ["podSelector", "namespaceSelector"] as const) {
    if (!has(field)) continue;
    const s = parseLabelSelector(raw[field], "everything");
    for (const i of s.issues) add(joinP(`${path}.${field}`, i.path), i.message);
    if (s.selector) peer[field] = s.selector;
    else ok = false;
  }
  return ok ? [peer] : [];
}

function parsePort(raw: unknown, path: string, add: (p: string, m: string) => void): PortSpec[] {
  const r = raw === null ? {} : raw;
  if (!isRecord(r)) {
    add(path, "must be an object");
    return [];
  }
  let ok = true;
  let protocol: Protocol = "TCP";
  if (r.protocol !== undefined && r.protocol !== null) {
    if (typeof r.protocol === "string" && (PROTOCOLS as readonly string[]).includes(r.protocol))
      protocol = r.protocol as Protocol;
    else {
      add(`${path}.protocol`, `unsupported value ${JSON.stringify(r.protocol)}: must be TCP, UDP or SCTP`);
      ok = false;
    }
  }
  const spec: PortSpec = { protocol, path };
  const port = r.port;
  const endPort = r.endPort;
  const hasEnd = endPort !== undefined && endPort !== null;
  if (port !== undefined && port !== null) {
    if (typeof port === "number") {
      if (!isPortNumber(port)) {
        add(`${path}.port`, `must be between ${MIN_PORT} and ${MAX_PORT}, inclusive: ${port}`);
        ok = false;
      } else spec.port = port;
      if (hasEnd) {
        if (!isPortNumber(endPort)) {
          add(
            `${path}.endPort`,
            `must be between ${MIN_PORT} and ${MAX_PORT}, inclusive: ${String(endPort)}`,
          );
          ok = false;
        } else if (typeof port === "number" && endPort < port) {
          add(`${path}.endPort`, "must be greater than or equal to `port`");
          ok = false;
        } else spec.endPort = endPort;
      }
    } else if (typeof port === "string") {
      // intstr: a quoted "80" is a name, and not a valid one (a port name needs a letter).
      if (!isValidPortName(port)) {
        add(`${path}.port`, `invalid port name ${JSON.stringify(port)}`);
        ok = false;
      } else spec.port = port;
      if (hasEnd) {
        add(`${path}.endPort`, "may not be specified when `port` is non-numeric");
        ok = false;
      }
    } else {
      add(`${path}.port`, "must be a number or a port name");
      ok = false;
    }
  } else if (hasEnd) {
    add(`${path}.endPort`, "may not be specified when `port` is not specified");
    ok = false;
  }
  return ok ? [spec] : [];
}

export { MATCH_ALL };
