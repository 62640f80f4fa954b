/**
 * A sensor's side of runtime-event forwarding: the disk buffer every accepted body is written to before the sensor
 * answers the tool that posted it, and the server sink for `--server` (the JetStream sink is in nats.ts).
 */
import { gzipSync } from "node:zlib";
import { PalisadeError } from "../../core/errors/index.js";
import { type ForwardedEvents, parseForwardedEvents } from "../../core/runtime/index.js";
import { apiRequest } from "../api-client/index.js";
import { type DiskBufferOptions, openFileQueue } from "./disk-buffer.js";
import type { EventBuffer, EventSink } from "./ports.js";

/** Forwarded events waiting to be sent, one body per file, oldest first (the delta buffer's files and cap). */
export function openEventBuffer(o: DiskBufferOptions): Promise<EventBuffer> {
  return openFileQueue<ForwardedEvents>(o, {
    encode: (batch) => `${batch.map((e) => JSON.stringify(e)).join("\n")}\n`,
    decode: (text) =>
      text
        .split("\n")
        .filter((l) => l !== "")
        .map((l) => parseForwardedEvents(JSON.parse(l))),
  });
}

export interface ServerEventSinkOptions {
  server: string;
  token: string;
  ca?: string | Buffer | undefined;
  dangerouslyAllowHttp?: boolean | undefined;
  /** One post, from connecting to the answer (default 60 s). */
  timeoutMs?: number | undefined;
}

/**
 * Forwarded events to `palisade serve`: each body is posted, gzipped, to the events route of its cluster and source
 * (`POST /api/v1/clusters/{cluster}/events/{source}`), where it is read exactly as if the tool had posted it there.
 * A refusal of the whole body (4xx other than 429) will not change on a retry: it is an error that names it, and the
 * sensor drops the body, counted, rather than hold up everything behind it.
 */
export function serverEventSink(o: ServerEventSinkOptions): EventSink {
  return {
    async send(e: ForwardedEvents) {
      const r = await apiRequest({
        server: o.server,
        method: "POST",
        path: `/api/v1/clusters/${encodeURIComponent(e.cluster)}/events/${encodeURIComponent(e.source)}`,
        token: o.token,
        ca: o.ca,
        dangerouslyAllowHttp: o.dangerouslyAllowHttp,
        headers: { "content-type": "text/plain; charset=utf-8", "content-encoding": "gzip" },
        body: gzipSync(e.body),
        timeoutMs: o.timeoutMs ?? 60_000,
      });
      if (r.status === 200) return;
      const permanent = r.status >= 400 && r.status < 500 && r.status !== 429 && r.status !== 401;
      throw new PalisadeError(
        permanent ? "INPUT" : "REMOTE",
        `the server refused events ${e.id} (${r.status}): ${r.body.slice(0, 300)}`,
      );
    },
    async close() {},
  };
}
