/**
 * A posted events body as records (the unit line numbers count), for the server's events route and for a sensor
 * that splits a body too large for its transport.
 */
import { MAX_EVENT_LINE_BYTES } from "./events.js";

/** A record longer than {@link MAX_EVENT_LINE_BYTES}: refused unparsed, its length kept for the error. */
export interface OverLongRecord {
  overLong: true;
  bytes: number;
}

/**
 * The records of a body, as lines: a JSON document that is one object (Falco's HTTP output, pretty-printed or not)
 * is one record, an `audit.k8s.io/v1` EventList (the webhook audit backend) or a JSON array gives one record per
 * item, anything else (JSON lines, CSV) is split into lines. Line numbers in errors count these records.
 */
export function* bodyRecords(text: string): Generator<string | OverLongRecord> {
  const start = text.trimStart()[0];
  if (start === "{" || start === "[") {
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      doc = undefined; // JSON lines (or a truncated document): read line by line below
    }
    if (doc !== undefined) {
      const o = doc as Record<string, unknown>;
      if (Array.isArray(doc)) {
        for (const item of doc) yield capped(JSON.stringify(item) ?? "null");
        return;
      }
      if (o.kind === "EventList" && o.apiVersion === "audit.k8s.io/v1" && Array.isArray(o.items)) {
        // The items of a webhook batch carry no kind of their own: name it, so every item reads as an Event.
        for (const item of o.items)
          yield capped(
            item !== null && typeof item === "object" && !Array.isArray(item)
              ? JSON.stringify({ kind: "Event", apiVersion: "audit.k8s.io/v1", ...item })
              : JSON.stringify(item),
          );
        return;
      }
      yield capped(JSON.stringify(doc));
      return;
    }
  }
  let from = 0;
  while (from < text.length) {
    let nl = text.indexOf("\n", from);
    if (nl === -1) nl = text.length;
    const line = text.slice(from, nl);
    from = nl + 1;
    yield capped(line.endsWith("\r") ? line.slice(0, -1) : line);
  }
}

const capped = (line: string): string | OverLongRecord =>
  line.length > MAX_EVENT_LINE_BYTES ? { overLong: true as const, bytes: line.length } : line;
