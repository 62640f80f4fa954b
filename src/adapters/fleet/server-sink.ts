/**
 * The `--server` transport of a sensor, for small setups without NATS: the sensor keeps the cluster's current
 * state (its own deltas applied by the rule of core/deltas, in memory) and each send posts that whole state, as a
 * kubectl List, to the server's existing snapshot endpoint (`POST /api/v1/clusters/{cluster}/snapshots`, gzipped).
 * The server then records it as any pushed snapshot (object versions, findings first/last seen).
 *
 * So this transport sends full snapshots, not deltas: a sensor throttles it (one post per interval), and its cost
 * grows with the cluster, not with the churn. A send that fails is retried (and buffered) like any other; posting
 * the same state twice changes nothing on the server.
 */
import { gzipSync } from "node:zlib";
import { applyDeltas, liveObjects, type ObjectDelta, type ObjectStateRow } from "../../core/deltas/index.js";
import { PalisadeError } from "../../core/errors/index.js";
import { apiRequest } from "../api-client/index.js";
import type { DeltaSink } from "./ports.js";

export interface ServerSinkOptions {
  server: string;
  cluster: string;
  token: string;
  ca?: string | Buffer | undefined;
  dangerouslyAllowHttp?: boolean | undefined;
  /**
   * Whether every kind has been listed once: before that the state is partial, and posting it would tell the
   * server that the objects not listed yet were deleted. A send before then fails (and is retried).
   */
  ready: () => boolean;
  /** One post, from connecting to the answer (default 120 s). */
  timeoutMs?: number | undefined;
}

/** The server's error text, or the start of the body. */
function answerText(body: string): string {
  try {
    const j = JSON.parse(body) as { error?: { code?: string; message?: string } };
    if (j.error?.message) return `${j.error.code ?? "ERROR"}: ${j.error.message}`;
  } catch {}
  return body.slice(0, 500);
}

export function serverSnapshotSink(o: ServerSinkOptions): DeltaSink & { objects(): number } {
  const rows = new Map<string, ObjectStateRow>();
  return {
    async send(deltas: readonly ObjectDelta[]) {
      applyDeltas(rows, deltas);
      if (!o.ready()) throw new PalisadeError("IO", "not every kind is listed yet; the snapshot waits");
      const items = liveObjects(rows.values(), o.cluster).map((r) => r.object);
      const body = gzipSync(JSON.stringify({ apiVersion: "v1", kind: "List", items }));
      const r = await apiRequest({
        server: o.server,
        method: "POST",
        path: `/api/v1/clusters/${encodeURIComponent(o.cluster)}/snapshots`,
        token: o.token,
        ca: o.ca,
        dangerouslyAllowHttp: o.dangerouslyAllowHttp,
        headers: { "content-type": "application/json", "content-encoding": "gzip" },
        body,
        timeoutMs: o.timeoutMs ?? 120_000,
      });
      if (r.status !== 200)
        throw new PalisadeError(
          "REMOTE",
          `the server refused the snapshot (${r.status}): ${answerText(r.body)}`,
        );
    },
    objects: () => liveObjects(rows.values(), o.cluster).length,
    async close() {},
  };
}
