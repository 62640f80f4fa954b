/**
 * Event ingest: JSON lines from Hubble, Falco, Tetragon and the Kubernetes audit log, validated at the edge and
 * normalised into one {@link RuntimeEvent} shape with its source kept. A bad line is an error naming file:line and
 * the field; the run continues. Evidence text goes through `redactSecretsInText` before it is kept.
 *
 * Formats:
 * - Hubble: `hubble observe -o json`, one `{"flow": {...}, "node_name", "time"}` per line (observer.GetFlowsResponse,
 *   https://github.com/cilium/cilium/blob/main/api/v1/observer/observer.proto and flow/flow.proto); `//` comment
 *   lines and blank lines are skipped.
 * - Falco: `json_output: true`, one `{"time","rule","priority","output","output_fields"}` per line
 *   (https://falco.org/docs/concepts/outputs/formatting/).
 * - Tetragon: JSON export, one `{"process_exec"|"process_exit"|"process_kprobe": {...}, "node_name", "time"}` per
 *   line (https://tetragon.io/docs/concepts/events/).
 * - Kubernetes audit: `audit.k8s.io/v1` Event objects, one per line from the log backend, or an EventList (the
 *   webhook backend's POST body) whose items are read one by one
 *   (https://kubernetes.io/docs/tasks/debug/debug-cluster/audit/). The request object is reduced at parse time
 *   to the facts detections read (privileged containers, host namespaces, RBAC rules, binding subjects, which
 *   Secret/ConfigMap keys hold credentials): values are never kept.
 * - Generic flow logs: JSON objects or CSV with a header, columns time, src (ip:port, or src_ip and src_port),
 *   dst (likewise), protocol, bytes, verdict.
 */
import type { Severity } from "../findings/index.js";
import { WORKLOAD_KINDS } from "../k8s/index.js";
import { detectSecrets, redactSecretsInText } from "../secrets/index.js";
import { isRecord } from "../util/index.js";

export type EventSource = "hubble" | "falco" | "tetragon" | "k8s-audit" | "flowlog";
export const EVENT_SOURCES: readonly EventSource[] = ["hubble", "falco", "tetragon", "k8s-audit", "flowlog"];

/** A pod as an event names it (Falco, Tetragon and Hubble report the pod they saw, when they know it). */
export interface EventPod {
  namespace: string;
  name: string;
  containerId?: string;
}

export interface Endpoint {
  ip: string;
  port?: number;
  pod?: EventPod;
}

interface EventBase {
  /** Milliseconds since the epoch. */
  time: number;
  source: EventSource;
  /** Where it was read: file and 1-based line. */
  file: string;
  line: number;
  severity: Severity;
  node?: string;
  /** A short, redacted description of what happened. */
  evidence: string;
}

export type RuntimeEvent =
  | (EventBase & {
      kind: "flow";
      src: Endpoint;
      dst: Endpoint;
      protocol: string;
      verdict: string;
      bytes?: number;
      /** Hubble `auth_type` (DISABLED, SPIRE, ...): whether the flow was mutually authenticated. */
      authType?: string;
      /** Hubble `destination_names` (from DNS) and the query of a DNS flow (`l7.dns.query`). */
      dstNames?: string[];
      dnsQuery?: string;
    })
  | (EventBase & { kind: "alert"; rule: string; pod?: EventPod })
  | (EventBase & {
      kind: "process";
      type: "exec" | "exit" | "kprobe";
      binary: string;
      pod?: EventPod;
      function?: string;
    })
  | (EventBase & {
      kind: "audit";
      verb: string;
      user: string;
      groups: string[];
      /** `impersonatedUser.username`: the identity the request acted as. */
      impersonatedUser?: string;
      userAgent?: string;
      /** `resource/subresource`, e.g. `pods/exec`. */
      resource: string;
      apiGroup?: string;
      namespace?: string;
      name?: string;
      code?: number;
      stage?: string;
      /** Non-resource requests: the request path (without query). */
      path?: string;
      /** The `authorization.k8s.io/decision` annotation: allow or forbid. */
      decision?: string;
      sourceIPs: string[];
      /** Facts from `requestObject`, never its values. */
      object?: AuditObject;
    });

/** What detections need from an audit event's request object; values (Secret data, env values) are not kept. */
export type AuditObject =
  | {
      type: "pod-spec";
      /** Containers (all kinds) with `securityContext.privileged: true`. */
      privileged: string[];
      hostNetwork: boolean;
      hostPID: boolean;
      hostIPC: boolean;
      hostPaths: string[];
      images: string[];
    }
  | { type: "rules"; rules: { verbs: string[]; resources: string[]; apiGroups: string[] }[] }
  | { type: "binding"; roleRef: { kind: string; name: string }; subjects: string[] }
  | {
      type: "data";
      keys: string[];
      /** Keys whose name or value looks like a credential, with the kind found (never the value). */
      credentials: { key: string; kind: string }[];
    };

/** Why a line (or an item of an EventList) was dropped. */
export type DropReason =
  | "too-long"
  | "invalid-json"
  | "not-an-object"
  | "unknown-format"
  | "invalid-field"
  | "csv-without-header";

/** A line that could not be read, with where and why. */
export interface EventLineError {
  file: string;
  line: number;
  reason: DropReason;
  field?: string;
  message: string;
}

export interface ParsedEvents {
  events: RuntimeEvent[];
  errors: EventLineError[];
  /** Records read (lines, or EventList items; not blank, comment or CSV header lines), accepted and dropped. */
  counts: { received: number; accepted: number; dropped: number };
}

/** Lines longer than this are refused unparsed. */
export const MAX_EVENT_LINE_BYTES = 1 << 20;

class FieldError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

const str = (o: Record<string, unknown>, key: string, path: string): string => {
  const v = o[key];
  if (typeof v !== "string" || v === "") throw new FieldError(`${path}${key}`, "expected a non-empty string");
  return v;
};
const optStr = (o: Record<string, unknown>, key: string): string | undefined => {
  const v = o[key];
  return typeof v === "string" && v !== "" ? v : undefined;
};
const rec = (o: Record<string, unknown>, key: string, path: string): Record<string, unknown> => {
  const v = o[key];
  if (!isRecord(v)) throw new FieldError(`${path}${key}`, "expected an object");
  return v;
};
const time = (o: Record<string, unknown>, key: string, path: string): number => {
  const s = str(o, key, path);
  const t = Date.parse(s);
  if (!Number.isFinite(t))
    throw new FieldError(`${path}${key}`, `not an RFC 3339 time: ${JSON.stringify(s.slice(0, 40))}`);
  return t;
};
const port = (v: unknown): number | undefined =>
  typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= 65535 ? v : undefined;

function podOf(
  namespace: string | undefined,
  name: string | undefined,
  containerId?: string,
): EventPod | undefined {
  if (!namespace || !name) return undefined;
  return containerId ? { namespace, name, containerId } : { namespace, name };
}

type Base = Pick<EventBase, "file" | "line">;

function parseHubble(o: Record<string, unknown>, at: Base): RuntimeEvent {
  const flow = rec(o, "flow", "");
  const ip = rec(flow, "IP", "flow.");
  const l4 = isRecord(flow.l4) ? flow.l4 : {};
  const [protocol, ports] = Object.entries(l4).find(([, v]) => isRecord(v)) ?? ["", {}];
  const p = isRecord(ports) ? ports : {};
  const endpoint = (side: "source" | "destination", addr: string, portKey: string): Endpoint => {
    const e = isRecord(flow[side]) ? (flow[side] as Record<string, unknown>) : {};
    const pod = podOf(optStr(e, "namespace"), optStr(e, "pod_name"));
    const n = port(p[portKey]);
    return { ip: addr, ...(n === undefined ? {} : { port: n }), ...(pod ? { pod } : {}) };
  };
  const src = endpoint("source", str(ip, "source", "flow.IP."), "source_port");
  const dst = endpoint("destination", str(ip, "destination", "flow.IP."), "destination_port");
  const verdict = optStr(flow, "verdict") ?? "VERDICT_UNKNOWN";
  const node = optStr(o, "node_name") ?? optStr(flow, "node_name");
  const proto = protocol === "" ? "unknown" : protocol;
  const authType = optStr(flow, "auth_type");
  const dstNames = Array.isArray(flow.destination_names)
    ? flow.destination_names.filter((n): n is string => typeof n === "string" && n !== "").slice(0, 16)
    : [];
  const l7 = isRecord(flow.l7) ? flow.l7 : {};
  const dnsQuery = isRecord(l7.dns) ? optStr(l7.dns, "query") : undefined;
  return {
    kind: "flow",
    source: "hubble",
    ...at,
    time: time(flow, "time", "flow."),
    severity: verdict === "DROPPED" || verdict === "ERROR" ? "low" : "info",
    ...(node ? { node } : {}),
    src,
    dst,
    protocol: proto,
    verdict,
    ...(authType ? { authType } : {}),
    ...(dstNames.length > 0 ? { dstNames } : {}),
    ...(dnsQuery ? { dnsQuery: dnsQuery.replace(/\.$/, "") } : {}),
    evidence: flowEvidence(verdict, proto, src, dst),
  };
}

/**
 * Flow evidence is built from the two endpoints, the verdict and the protocol. When those are well-formed (an
 * address of hex digits, dots and colons; a verdict and a protocol from the known sets) the text cannot hold a
 * credential, and the redaction pass, the most expensive step of parsing a flow, is skipped.
 */
const KNOWN_VERDICTS = new Set([
  "FORWARDED",
  "DROPPED",
  "ERROR",
  "AUDIT",
  "REDIRECTED",
  "TRACED",
  "TRANSLATED",
  "VERDICT_UNKNOWN",
  "ACCEPT",
  "REJECT",
  "ALLOW",
  "DENY",
  "DROP",
  "UNKNOWN",
]);
const KNOWN_PROTOCOLS = new Set(["TCP", "UDP", "SCTP", "ICMPv4", "ICMPv6", "ICMP", "unknown", "UNKNOWN"]);
const ADDRESS_CHARS = /^[0-9a-fA-F:.]{2,45}$/;

function flowEvidence(verdict: string, proto: string, src: Endpoint, dst: Endpoint): string {
  const text = `${verdict} ${proto} ${fmtEndpoint(src)} -> ${fmtEndpoint(dst)}`;
  return KNOWN_VERDICTS.has(verdict) &&
    KNOWN_PROTOCOLS.has(proto) &&
    ADDRESS_CHARS.test(src.ip) &&
    ADDRESS_CHARS.test(dst.ip)
    ? text
    : redactSecretsInText(text);
}

const fmtEndpoint = (e: Endpoint) =>
  e.ip.includes(":") && e.port !== undefined
    ? `[${e.ip}]:${e.port}`
    : `${e.ip}${e.port === undefined ? "" : `:${e.port}`}`;

/** Falco priorities (syslog levels) to Palisade severities. */
const FALCO_SEVERITY: Readonly<Record<string, Severity>> = {
  emergency: "critical",
  alert: "critical",
  critical: "critical",
  error: "high",
  warning: "medium",
  notice: "low",
  informational: "info",
  info: "info",
  debug: "info",
};

function parseFalco(o: Record<string, unknown>, at: Base): RuntimeEvent {
  const rule = str(o, "rule", "");
  const priority = str(o, "priority", "");
  const severity = FALCO_SEVERITY[priority.toLowerCase()];
  if (!severity)
    throw new FieldError("priority", `unknown Falco priority ${JSON.stringify(priority.slice(0, 40))}`);
  const fields = isRecord(o.output_fields) ? o.output_fields : {};
  const pod = podOf(
    optStr(fields, "k8s.ns.name"),
    optStr(fields, "k8s.pod.name"),
    optStr(fields, "container.id"),
  );
  const host = optStr(o, "hostname");
  return {
    kind: "alert",
    source: "falco",
    ...at,
    time: time(o, "time", ""),
    severity,
    ...(host ? { node: host } : {}),
    rule,
    ...(pod ? { pod } : {}),
    evidence: redactSecretsInText(optStr(o, "output") ?? rule),
  };
}

const TETRAGON_TYPES = [
  ["process_exec", "exec"],
  ["process_exit", "exit"],
  ["process_kprobe", "kprobe"],
] as const;

function parseTetragon(o: Record<string, unknown>, at: Base): RuntimeEvent {
  const found = TETRAGON_TYPES.find(([k]) => isRecord(o[k]));
  if (!found)
    throw new FieldError("process_exec", "expected one of process_exec, process_exit, process_kprobe");
  const [key, type] = found;
  const body = o[key] as Record<string, unknown>;
  const proc = rec(body, "process", `${key}.`);
  const binary = str(proc, "binary", `${key}.process.`);
  const p = isRecord(proc.pod) ? proc.pod : {};
  const container = isRecord(p.container) ? p.container : {};
  const pod = podOf(optStr(p, "namespace"), optStr(p, "name"), optStr(container, "id"));
  const fn = type === "kprobe" ? optStr(body, "function_name") : undefined;
  const args = optStr(proc, "arguments");
  const node = optStr(o, "node_name");
  return {
    kind: "process",
    source: "tetragon",
    ...at,
    time: time(o, "time", ""),
    severity: "info",
    ...(node ? { node } : {}),
    type,
    binary,
    ...(pod ? { pod } : {}),
    ...(fn ? { function: fn } : {}),
    evidence: redactSecretsInText(`${type} ${binary}${args ? ` ${args}` : ""}${fn ? ` ${fn}` : ""}`),
  };
}

const strings = (v: unknown, max = 64): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === "string").slice(0, max) : [];

/** The pod spec of a Pod or of a workload's template (core/k8s `WORKLOAD_KINDS` paths). */
function podSpecOf(kind: string, o: Record<string, unknown>): Record<string, unknown> | undefined {
  const spec = isRecord(o.spec) ? o.spec : undefined;
  if (!spec) return undefined;
  if (kind === "Pod") return spec;
  if (kind === "CronJob") {
    const jt = isRecord(spec.jobTemplate) ? spec.jobTemplate : {};
    const js = isRecord(jt.spec) ? jt.spec : {};
    const t = isRecord(js.template) ? js.template : {};
    return isRecord(t.spec) ? t.spec : undefined;
  }
  if (!(WORKLOAD_KINDS as readonly string[]).includes(kind)) return undefined;
  const t = isRecord(spec.template) ? spec.template : {};
  return isRecord(t.spec) ? t.spec : undefined;
}

function podFacts(spec: Record<string, unknown>): AuditObject {
  const privileged: string[] = [];
  const images: string[] = [];
  for (const key of ["initContainers", "containers", "ephemeralContainers"]) {
    const list = Array.isArray(spec[key]) ? (spec[key] as unknown[]) : [];
    for (const c of list.slice(0, 256)) {
      if (!isRecord(c)) continue;
      const sc = isRecord(c.securityContext) ? c.securityContext : {};
      if (sc.privileged === true) privileged.push(optStr(c, "name") ?? "?");
      const image = optStr(c, "image");
      if (image) images.push(image);
    }
  }
  const hostPaths: string[] = [];
  for (const v of Array.isArray(spec.volumes) ? spec.volumes.slice(0, 256) : [])
    if (isRecord(v) && isRecord(v.hostPath) && typeof v.hostPath.path === "string")
      hostPaths.push(v.hostPath.path);
  return {
    type: "pod-spec",
    privileged,
    hostNetwork: spec.hostNetwork === true,
    hostPID: spec.hostPID === true,
    hostIPC: spec.hostIPC === true,
    hostPaths,
    images,
  };
}

/** Reduce a request object to detection facts. Secret and ConfigMap values are inspected here and dropped. */
function auditObject(resource: string, o: unknown): AuditObject | undefined {
  if (!isRecord(o)) return undefined;
  const kind = optStr(o, "kind") ?? "";
  const spec = podSpecOf(kind, o);
  if (spec) return podFacts(spec);
  if (resource === "clusterroles" || resource === "roles") {
    const rules = (Array.isArray(o.rules) ? o.rules.slice(0, 256) : []).filter(isRecord).map((r) => ({
      verbs: strings(r.verbs),
      resources: strings(r.resources),
      apiGroups: strings(r.apiGroups),
    }));
    return { type: "rules", rules };
  }
  if (resource === "clusterrolebindings" || resource === "rolebindings") {
    const ref = isRecord(o.roleRef) ? o.roleRef : {};
    const subjects = (Array.isArray(o.subjects) ? o.subjects.slice(0, 256) : [])
      .filter(isRecord)
      .map(
        (s) =>
          `${optStr(s, "kind") ?? "?"}:${s.namespace ? `${String(s.namespace)}/` : ""}${optStr(s, "name") ?? "?"}`,
      );
    return {
      type: "binding",
      roleRef: { kind: optStr(ref, "kind") ?? "", name: optStr(ref, "name") ?? "" },
      subjects,
    };
  }
  if (resource === "secrets" || resource === "configmaps") {
    const keys = new Set<string>();
    const credentials: { key: string; kind: string }[] = [];
    for (const field of ["data", "stringData", "binaryData"]) {
      const d = isRecord(o[field]) ? (o[field] as Record<string, unknown>) : {};
      for (const [k, v] of Object.entries(d).slice(0, 1024)) {
        keys.add(k);
        if (resource === "secrets") continue;
        // A ConfigMap is not meant to hold credentials: look at each value (never kept) for one.
        const m = typeof v === "string" ? detectSecrets(k, v.slice(0, 65536))[0] : undefined;
        if (m) credentials.push({ key: k, kind: m.kind });
      }
    }
    if (resource === "secrets") for (const k of keys) credentials.push({ key: k, kind: "secret" });
    return { type: "data", keys: [...keys].sort(), credentials };
  }
  return undefined;
}

function parseAudit(o: Record<string, unknown>, at: Base): RuntimeEvent {
  if (o.kind !== "Event" || o.apiVersion !== "audit.k8s.io/v1")
    throw new FieldError("apiVersion", 'expected kind "Event" and apiVersion "audit.k8s.io/v1"');
  const verb = str(o, "verb", "");
  const userInfo = rec(o, "user", "");
  const user = str(userInfo, "username", "user.");
  const imp = isRecord(o.impersonatedUser) ? optStr(o.impersonatedUser, "username") : undefined;
  const ref = isRecord(o.objectRef) ? o.objectRef : {};
  const baseResource = optStr(ref, "resource");
  const resource = [baseResource, optStr(ref, "subresource")].filter(Boolean).join("/");
  const apiGroup = optStr(ref, "apiGroup");
  const namespace = optStr(ref, "namespace");
  const name = optStr(ref, "name");
  const status = isRecord(o.responseStatus) ? o.responseStatus : {};
  const code = typeof status.code === "number" ? status.code : undefined;
  const sourceIPs = strings(o.sourceIPs, 16);
  const stage = optStr(o, "stage");
  const userAgent = optStr(o, "userAgent");
  const decision = isRecord(o.annotations)
    ? optStr(o.annotations, "authorization.k8s.io/decision")
    : undefined;
  const t = typeof o.stageTimestamp === "string" ? "stageTimestamp" : "requestReceivedTimestamp";
  const target = resource
    ? ` ${resource}${namespace ? ` ${namespace}/` : " "}${name ?? ""}`
    : ` ${optStr(o, "requestURI") ?? ""}`;
  const object =
    baseResource &&
    (verb === "create" || verb === "update" || verb === "patch") &&
    !optStr(ref, "subresource")
      ? auditObject(baseResource, o.requestObject)
      : undefined;
  return {
    kind: "audit",
    source: "k8s-audit",
    ...at,
    time: time(o, t, ""),
    severity: "info",
    verb,
    user,
    groups: strings(userInfo.groups),
    ...(imp ? { impersonatedUser: imp } : {}),
    ...(userAgent ? { userAgent: userAgent.slice(0, 256) } : {}),
    resource,
    ...(apiGroup ? { apiGroup } : {}),
    ...(namespace ? { namespace } : {}),
    ...(name ? { name } : {}),
    ...(code === undefined ? {} : { code }),
    ...(stage ? { stage } : {}),
    ...(decision ? { decision } : {}),
    ...(resource === "" && optStr(o, "requestURI")
      ? { path: (optStr(o, "requestURI") ?? "").split("?", 1).join("").slice(0, 256) }
      : {}),
    sourceIPs,
    ...(object ? { object } : {}),
    evidence: redactSecretsInText(
      `${user}${imp ? ` as ${imp}` : ""} ${verb}${target.trimEnd()}${code === undefined ? "" : ` -> ${code}`}`,
    ),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Generic flow logs (JSON objects or CSV rows)

const FLOW_COLUMNS: Readonly<Record<string, string>> = {
  time: "time",
  timestamp: "time",
  start: "time",
  start_time: "time",
  src: "src",
  source: "src",
  src_addr: "src_ip",
  src_ip: "src_ip",
  srcaddr: "src_ip",
  source_ip: "src_ip",
  src_port: "src_port",
  srcport: "src_port",
  source_port: "src_port",
  dst: "dst",
  destination: "dst",
  dst_addr: "dst_ip",
  dst_ip: "dst_ip",
  dstaddr: "dst_ip",
  destination_ip: "dst_ip",
  dst_port: "dst_port",
  dstport: "dst_port",
  destination_port: "dst_port",
  protocol: "protocol",
  proto: "protocol",
  bytes: "bytes",
  verdict: "verdict",
  action: "verdict",
};

/** IANA protocol numbers that flow logs (VPC flow logs) write instead of names. */
const PROTOCOL_NUMBERS: Readonly<Record<string, string>> = {
  "1": "ICMP",
  "6": "TCP",
  "17": "UDP",
  "58": "ICMPv6",
  "132": "SCTP",
};

/** `ip:port`, `[v6]:port`, or a bare address. */
function splitHostPort(v: string, field: string): { ip: string; port?: number } {
  const s = v.trim();
  let ip = s;
  let portText: string | undefined;
  if (s.startsWith("[")) {
    const close = s.indexOf("]");
    if (close < 0) throw new FieldError(field, "unterminated [address]");
    ip = s.slice(1, close);
    if (s[close + 1] === ":") portText = s.slice(close + 2);
  } else if (s.indexOf(":") === s.lastIndexOf(":") && s.includes(":")) {
    ip = s.slice(0, s.indexOf(":"));
    portText = s.slice(s.indexOf(":") + 1);
  }
  if (ip === "") throw new FieldError(field, "expected an address");
  if (portText === undefined) return { ip };
  const n = Number(portText);
  if (!/^[0-9]{1,5}$/.test(portText) || n > 65535)
    throw new FieldError(field, `invalid port ${JSON.stringify(portText.slice(0, 10))}`);
  return { ip, port: n };
}

function flowTime(v: unknown): number {
  if (typeof v === "number" && Number.isFinite(v)) return v < 1e11 ? v * 1000 : v; // seconds or milliseconds
  if (typeof v === "string" && /^[0-9]+(\.[0-9]+)?$/.test(v)) return flowTime(Number(v));
  if (typeof v === "string") {
    const t = Date.parse(v);
    if (Number.isFinite(t)) return t;
  }
  throw new FieldError(
    "time",
    `not an RFC 3339 time or epoch seconds: ${JSON.stringify(String(v).slice(0, 40))}`,
  );
}

/** One flow-log record from its columns (already mapped to canonical names). */
function flowFromColumns(c: Record<string, unknown>, at: Base): RuntimeEvent {
  const text = (k: string) =>
    typeof c[k] === "string" || typeof c[k] === "number" ? String(c[k]) : undefined;
  const side = (name: "src" | "dst"): Endpoint => {
    const whole = text(name);
    const ipOnly = text(`${name}_ip`);
    const portText = text(`${name}_port`);
    const hp = whole ? splitHostPort(whole, name) : ipOnly ? { ip: ipOnly.trim() } : undefined;
    if (!hp) throw new FieldError(name, "expected an address (ip:port, or ip and port columns)");
    if (portText !== undefined && portText !== "" && hp.port === undefined) {
      const n = Number(portText);
      if (!Number.isInteger(n) || n < 0 || n > 65535) throw new FieldError(`${name}_port`, "invalid port");
      return { ip: hp.ip, port: n };
    }
    return hp;
  };
  if (c.time === undefined) throw new FieldError("time", "expected a time");
  const t = flowTime(c.time);
  const src = side("src");
  const dst = side("dst");
  const p = (text("protocol") ?? "unknown").toUpperCase();
  const protocol = PROTOCOL_NUMBERS[p] ?? p;
  const verdict = (text("verdict") ?? "UNKNOWN").toUpperCase();
  const b = text("bytes");
  const bytes = b !== undefined && /^[0-9]{1,15}$/.test(b) ? Number(b) : undefined;
  const denied = verdict === "REJECT" || verdict === "DROPPED" || verdict === "DENY" || verdict === "DROP";
  return {
    kind: "flow",
    source: "flowlog",
    ...at,
    time: t,
    severity: denied ? "low" : "info",
    src,
    dst,
    protocol,
    verdict,
    ...(bytes === undefined ? {} : { bytes }),
    evidence: flowEvidence(verdict, protocol, src, dst),
  };
}

function parseFlowLogObject(o: Record<string, unknown>, at: Base): RuntimeEvent {
  const c: Record<string, unknown> = Object.create(null);
  for (const [k, v] of Object.entries(o)) {
    const canon = FLOW_COLUMNS[k.toLowerCase()];
    if (canon && c[canon] === undefined) c[canon] = v;
  }
  return flowFromColumns(c, at);
}

/** Split one CSV line (RFC 4180 quoting, no embedded newlines). */
function splitCsv(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i <= line.length) {
    if (line[i] === '"') {
      let v = "";
      i++;
      while (i < line.length) {
        if (line[i] === '"' && line[i + 1] === '"') {
          v += '"';
          i += 2;
        } else if (line[i] === '"') {
          i++;
          break;
        } else v += line[i++];
      }
      out.push(v);
      const comma = line.indexOf(",", i);
      i = comma < 0 ? line.length + 1 : comma + 1;
    } else {
      const comma = line.indexOf(",", i);
      const end = comma < 0 ? line.length : comma;
      out.push(line.slice(i, end).trim());
      i = end + 1;
    }
  }
  return out;
}

const PARSERS: Readonly<Record<EventSource, (o: Record<string, unknown>, at: Base) => RuntimeEvent>> = {
  hubble: parseHubble,
  falco: parseFalco,
  tetragon: parseTetragon,
  "k8s-audit": parseAudit,
  flowlog: parseFlowLogObject,
};

const hasAny = (o: Record<string, unknown>, keys: readonly string[]) => keys.some((k) => k in o);

/** Guess the source of one parsed line, for `--source auto`. */
export function detectEventSource(o: Record<string, unknown>): EventSource | undefined {
  if (isRecord(o.flow)) return "hubble";
  if (o.apiVersion === "audit.k8s.io/v1") return "k8s-audit";
  if (TETRAGON_TYPES.some(([k]) => isRecord(o[k]))) return "tetragon";
  if (typeof o.rule === "string" && "priority" in o) return "falco";
  if (
    hasAny(o, ["src", "source", "src_ip", "src_addr", "srcaddr", "source_ip"]) &&
    hasAny(o, ["dst", "destination", "dst_ip", "dst_addr", "dstaddr", "destination_ip"])
  )
    return "flowlog";
  return undefined;
}

/** The outcome of one line: events read from it (an EventList line gives several) and errors. */
export interface LineResult {
  events: RuntimeEvent[];
  errors: EventLineError[];
  /** Records this line counted as received (0 for blank, comment and CSV header lines). */
  received: number;
}

/**
 * A streaming parser of one input: feed it lines in order with their 1-based numbers. It keeps only the CSV
 * header it has seen, so memory does not grow with the input. Never throws on bad input.
 */
export class EventLineParser {
  private csvHeader: (string | undefined)[] | undefined;
  constructor(
    readonly file: string,
    readonly source: EventSource | "auto" = "auto",
  ) {}

  parse(raw: string, lineNo: number): LineResult {
    const file = this.file;
    const line = raw.trim();
    if (line === "" || line.startsWith("//") || line.startsWith("#"))
      return { events: [], errors: [], received: 0 };
    const fail = (reason: DropReason, message: string, field?: string): LineResult => ({
      events: [],
      errors: [{ file, line: lineNo, reason, ...(field ? { field } : {}), message }],
      received: 1,
    });
    if (line.length > MAX_EVENT_LINE_BYTES)
      return fail("too-long", `line longer than ${MAX_EVENT_LINE_BYTES} bytes`);
    if (line[0] !== "{" && line[0] !== "[" && (this.source === "auto" || this.source === "flowlog"))
      return this.csv(line, lineNo, fail);
    let o: unknown;
    try {
      o = JSON.parse(line);
    } catch {
      return fail("invalid-json", "not valid JSON (truncated line?)");
    }
    if (!isRecord(o)) return fail("not-an-object", "expected a JSON object");
    if (o.kind === "EventList" && o.apiVersion === "audit.k8s.io/v1" && this.source !== "flowlog")
      return this.eventList(o, lineNo);
    return this.one(o, lineNo, "", fail);
  }

  private one(
    o: Record<string, unknown>,
    lineNo: number,
    prefix: string,
    fail: (reason: DropReason, message: string, field?: string) => LineResult,
  ): LineResult {
    const s = this.source === "auto" ? detectEventSource(o) : this.source;
    if (!s)
      return fail(
        "unknown-format",
        "not a Hubble flow, Falco alert, Tetragon event, audit.k8s.io/v1 Event or flow-log record",
      );
    try {
      return { events: [PARSERS[s](o, { file: this.file, line: lineNo })], errors: [], received: 1 };
    } catch (e) {
      if (e instanceof FieldError)
        return fail("invalid-field", `${s}: ${prefix}${e.field}: ${e.message}`, `${prefix}${e.field}`);
      throw e;
    }
  }

  /** An EventList (the audit webhook backend's POST body): each item is one record, failing alone. */
  private eventList(o: Record<string, unknown>, lineNo: number): LineResult {
    const out: LineResult = { events: [], errors: [], received: 0 };
    const items = Array.isArray(o.items) ? o.items : [];
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      const prefix = `items[${i}].`;
      const fail = (reason: DropReason, message: string, field?: string): LineResult => ({
        events: [],
        errors: [{ file: this.file, line: lineNo, reason, ...(field ? { field } : {}), message }],
        received: 1,
      });
      const r = isRecord(item)
        ? this.one({ kind: "Event", apiVersion: "audit.k8s.io/v1", ...item }, lineNo, prefix, fail)
        : fail("not-an-object", `${prefix.slice(0, -1)}: expected a JSON object`, prefix.slice(0, -1));
      for (const e of r.events) out.events.push(e);
      for (const e of r.errors) out.errors.push(e);
      out.received += r.received;
    }
    return out;
  }

  private csv(
    line: string,
    lineNo: number,
    fail: (reason: DropReason, message: string, field?: string) => LineResult,
  ): LineResult {
    const cells = splitCsv(line);
    const canon = cells.map((c) => FLOW_COLUMNS[c.toLowerCase()]);
    const known = new Set(canon.filter(Boolean));
    const isHeader =
      known.has("time") &&
      (known.has("src") || known.has("src_ip")) &&
      (known.has("dst") || known.has("dst_ip"));
    if (isHeader) {
      this.csvHeader = canon;
      return { events: [], errors: [], received: 0 };
    }
    if (!this.csvHeader)
      return this.source === "flowlog"
        ? fail("csv-without-header", "CSV row before a header naming time, src and dst columns")
        : fail("invalid-json", "not valid JSON (truncated line?)");
    const c: Record<string, unknown> = Object.create(null);
    this.csvHeader.forEach((name, i) => {
      if (name && c[name] === undefined && cells[i] !== undefined) c[name] = cells[i];
    });
    try {
      return { events: [flowFromColumns(c, { file: this.file, line: lineNo })], errors: [], received: 1 };
    } catch (e) {
      if (e instanceof FieldError) return fail("invalid-field", `flowlog: ${e.field}: ${e.message}`, e.field);
      throw e;
    }
  }
}

/**
 * Parse a whole text (a small file, a test): each bad line is an error with file:line and the field, and parsing
 * continues. Large inputs go through {@link EventLineParser} line by line.
 */
export function parseEventLines(
  text: string,
  file: string,
  source: EventSource | "auto" = "auto",
): ParsedEvents {
  const parser = new EventLineParser(file, source);
  const events: RuntimeEvent[] = [];
  const errors: EventLineError[] = [];
  let received = 0;
  let lineNo = 0;
  let start = 0;
  while (start <= text.length) {
    const nl = text.indexOf("\n", start);
    const end = nl === -1 ? text.length : nl;
    lineNo++;
    const r = parser.parse(text.slice(start, end), lineNo);
    for (const e of r.events) events.push(e);
    for (const e of r.errors) errors.push(e);
    received += r.received;
    start = end + 1;
    if (nl === -1) break;
  }
  return { events, errors, counts: { received, accepted: events.length, dropped: received - events.length } };
}
