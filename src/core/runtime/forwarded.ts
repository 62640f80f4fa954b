/**
 * Runtime events a sensor forwards: one body as a tool posted it to the sensor (Falco's HTTP output, the API
 * server's webhook audit backend, Hubble flows as JSON lines, ...), kept whole and parsed only on the central side,
 * by the same code as a body posted to the server directly. The sensor gives each body an id when it accepts it;
 * every send of that body carries the same id, so the transport stores it once however often it is sent again
 * (NATS JetStream's de-duplication window), and the central side can tell a redelivery in its logs.
 */
import { PalisadeError } from "../errors/index.js";
import { bodyRecords } from "./body-records.js";
import { EVENT_SOURCES, type EventSource } from "./events.js";

/** What a body's records are: one source, or `auto` (told apart per record). */
export type ForwardedSource = "auto" | EventSource;
export const FORWARDED_SOURCES: readonly ForwardedSource[] = ["auto", ...EVENT_SOURCES];

export interface ForwardedEvents {
  /** Given by the sensor when it accepted the body; the same on every send of it. */
  id: string;
  cluster: string;
  source: ForwardedSource;
  /** When the sensor accepted the body (ISO 8601). */
  receivedAt: string;
  /** The body as posted (decompressed), UTF-8. */
  body: string;
}

const CLUSTER = /^[a-z0-9]([a-z0-9._-]{0,61}[a-z0-9])?$/;
const ID = /^[A-Za-z0-9_-]{8,64}$/;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

function field(name: string, message: string): PalisadeError {
  return new PalisadeError("INPUT", `forwarded events: ${name}: ${message}`, { context: { field: name } });
}

function str(o: Record<string, unknown>, name: string): string {
  const v = o[name];
  if (typeof v !== "string") throw field(name, "must be a string");
  return v;
}

/** Validate forwarded events read from the transport (a JSON value); a bad one is refused (INPUT) naming its field. */
export function parseForwardedEvents(value: unknown): ForwardedEvents {
  if (value === null || typeof value !== "object" || Array.isArray(value))
    throw field("$", "must be an object");
  const o = value as Record<string, unknown>;
  const id = str(o, "id");
  if (!ID.test(id)) throw field("id", "must be 8-64 letters, digits, '_' or '-'");
  const cluster = str(o, "cluster");
  if (!CLUSTER.test(cluster))
    throw field("cluster", `${JSON.stringify(cluster.slice(0, 80))} is not a DNS label`);
  const source = str(o, "source");
  if (!(FORWARDED_SOURCES as readonly string[]).includes(source))
    throw field("source", `must be one of ${FORWARDED_SOURCES.join(", ")}`);
  const receivedAt = str(o, "receivedAt");
  if (!ISO.test(receivedAt) || Number.isNaN(Date.parse(receivedAt)))
    throw field("receivedAt", "must be an ISO 8601 time in UTC");
  const body = str(o, "body");
  return { id, cluster, source: source as ForwardedSource, receivedAt, body };
}

/** How a body was cut to fit the transport. */
export interface SplitBody {
  /** Bodies of at most the size asked for (JSON-encoded), in order; the whole body when it fits. */
  parts: string[];
  /** Records that do not fit on their own: not forwarded (the sender counts and logs them). */
  tooLarge: number;
}

/** UTF-8 bytes of `text` once written as a JSON string value (quotes and escapes included). */
export function encodedBytes(text: string): number {
  const j = JSON.stringify(text);
  let n = j.length;
  for (let i = 0; i < j.length; i++) {
    const c = j.charCodeAt(i);
    if (c >= 0x80) n += c >= 0x800 && (c < 0xd800 || c > 0xdfff) ? 2 : 1;
  }
  return n;
}

/**
 * Cut a body whose JSON-encoded size is over `maxBytes` into bodies of JSON lines that each fit, record by record
 * (a record is what {@link bodyRecords} yields: one Falco event, one audit event of an EventList, one line), so the
 * central side reads the same records, numbered from 1 in each part. A CSV flow log keeps its header: it opens every
 * part. A record that cannot fit in a part on its own is left out and counted.
 */
export function splitForwardedBody(body: string, maxBytes: number): SplitBody {
  if (encodedBytes(body) <= maxBytes) return { parts: [body], tooLarge: 0 };
  const parts: string[] = [];
  let tooLarge = 0;
  let header: string | undefined;
  // A part's encoded size: two quotes, then each line escaped with its newline (`\n`: two bytes).
  const base = () => 2 + (header === undefined ? 0 : encodedBytes(header));
  let lines: string[] = [];
  let size = 2;
  const flush = () => {
    if (lines.length > (header === undefined ? 0 : 1)) parts.push(`${lines.join("\n")}\n`);
    lines = header === undefined ? [] : [header];
    size = base();
  };
  let first = true;
  for (const r of bodyRecords(body)) {
    if (typeof r !== "string") {
      tooLarge++;
      continue;
    }
    if (first) {
      first = false;
      const t = r.trimStart();
      // A first line that is not JSON and has fields: the header of a CSV flow log.
      if (t !== "" && t[0] !== "{" && t[0] !== "[" && r.includes(",")) {
        header = r;
        lines = [r];
        size = base();
        continue;
      }
    }
    const n = encodedBytes(r);
    if (base() + n > maxBytes) {
      tooLarge++;
      continue;
    }
    if (size + n > maxBytes) flush();
    lines.push(r);
    size += n;
  }
  flush();
  return { parts, tooLarge };
}
