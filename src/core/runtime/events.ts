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
 * - Kubernetes audit: `audit.k8s.io/v1` Event objects, one per line from the log backend
 *   (https://kubernetes.io/docs/tasks/debug/debug-cluster/audit/).
 */
import type { Severity } from "../findings/index.js";
import { redactSecretsInText } from "../secrets/index.js";
import { isRecord } from "../util/index.js";

export type EventSource = "hubble" | "falco" | "tetragon" | "k8s-audit";
export const EVENT_SOURCES: readonly EventSource[] = ["hubble", "falco", "tetragon", "k8s-audit"];

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
      resource: string;
      namespace?: string;
      name?: string;
      code?: number;
      sourceIPs: string[];
    });

/** A line that could not be read, with where and why. */
export interface EventLineError {
  file: string;
  line: number;
  field?: string;
  message: string;
}

export interface ParsedEvents {
  events: RuntimeEvent[];
  errors: EventLineError[];
  /** Lines read (not counting blank and comment lines), accepted and dropped: no silent loss. */
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
  const fmt = (e: Endpoint) => `${e.ip}${e.port === undefined ? "" : `:${e.port}`}`;
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
    evidence: redactSecretsInText(`${verdict} ${proto} ${fmt(src)} -> ${fmt(dst)}`),
  };
}

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

function parseAudit(o: Record<string, unknown>, at: Base): RuntimeEvent {
  if (o.kind !== "Event" || o.apiVersion !== "audit.k8s.io/v1")
    throw new FieldError("apiVersion", 'expected kind "Event" and apiVersion "audit.k8s.io/v1"');
  const verb = str(o, "verb", "");
  const user = str(rec(o, "user", ""), "username", "user.");
  const ref = isRecord(o.objectRef) ? o.objectRef : {};
  const resource = [optStr(ref, "resource"), optStr(ref, "subresource")].filter(Boolean).join("/");
  const namespace = optStr(ref, "namespace");
  const name = optStr(ref, "name");
  const status = isRecord(o.responseStatus) ? o.responseStatus : {};
  const code = typeof status.code === "number" ? status.code : undefined;
  const sourceIPs = Array.isArray(o.sourceIPs)
    ? o.sourceIPs.filter((s): s is string => typeof s === "string")
    : [];
  const t = typeof o.stageTimestamp === "string" ? "stageTimestamp" : "requestReceivedTimestamp";
  const target = resource
    ? ` ${resource}${namespace ? ` ${namespace}/` : " "}${name ?? ""}`
    : ` ${optStr(o, "requestURI") ?? ""}`;
  return {
    kind: "audit",
    source: "k8s-audit",
    ...at,
    time: time(o, t, ""),
    severity: "info",
    verb,
    user,
    resource,
    ...(namespace ? { namespace } : {}),
    ...(name ? { name } : {}),
    ...(code === undefined ? {} : { code }),
    sourceIPs,
    evidence: redactSecretsInText(
      `${user} ${verb}${target.trimEnd()}${code === undefined ? "" : ` -> ${code}`}`,
    ),
  };
}

const PARSERS: Readonly<Record<EventSource, (o: Record<string, unknown>, at: Base) => RuntimeEvent>> = {
  hubble: parseHubble,
  falco: parseFalco,
  tetragon: parseTetragon,
  "k8s-audit": parseAudit,
};

/** Guess the source of one parsed line, for `--source auto`. */
export function detectEventSource(o: Record<string, unknown>): EventSource | undefined {
  if (isRecord(o.flow)) return "hubble";
  if (o.apiVersion === "audit.k8s.io/v1") return "k8s-audit";
  if (TETRAGON_TYPES.some(([k]) => isRecord(o[k]))) return "tetragon";
  if (typeof o.rule === "string" && "priority" in o) return "falco";
  return undefined;
}

/**
 * Parse JSON lines of one source (or detect each line's source when `source` is "auto"). Never throws on bad
 * input: each bad line is an error with file:line and the field, and parsing continues.
 */
export function parseEventLines(
  text: string,
  file: string,
  source: EventSource | "auto" = "auto",
): ParsedEvents {
  const events: RuntimeEvent[] = [];
  const errors: EventLineError[] = [];
  let received = 0;
  let lineNo = 0;
  let start = 0;
  while (start <= text.length) {
    const nl = text.indexOf("\n", start);
    const end = nl === -1 ? text.length : nl;
    const raw = text.slice(start, end);
    start = end + 1;
    lineNo++;
    const line = raw.trim();
    if (line === "" || line.startsWith("//")) {
      if (nl === -1) break;
      continue;
    }
    received++;
    const fail = (message: string, field?: string) =>
      errors.push({ file, line: lineNo, ...(field ? { field } : {}), message });
    if (line.length > MAX_EVENT_LINE_BYTES) fail(`line longer than ${MAX_EVENT_LINE_BYTES} bytes`);
    else {
      let o: unknown;
      try {
        o = JSON.parse(line);
      } catch {
        o = undefined;
        fail("not valid JSON (truncated line?)");
      }
      if (o !== undefined) {
        if (!isRecord(o)) fail("expected a JSON object");
        else {
          const s = source === "auto" ? detectEventSource(o) : source;
          if (!s) fail("not a Hubble flow, Falco alert, Tetragon event or audit.k8s.io/v1 Event");
          else
            try {
              events.push(PARSERS[s](o, { file, line: lineNo }));
            } catch (e) {
              if (e instanceof FieldError) fail(`${s}: ${e.field}: ${e.message}`, e.field);
              else throw e;
            }
        }
      }
    }
    if (nl === -1) break;
  }
  return { events, errors, counts: { received, accepted: events.length, dropped: received - events.length } };
}
