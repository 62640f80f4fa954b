/**
 * The `--server` transport of a sensor, for small setups without NATS. Two calls to `palisade serve`:
 *
 * - {@link serverDeltaSink}: each batch of deltas, as JetStream would carry them, to
 *   `POST /api/v1/clusters/{cluster}/deltas`. The server applies them to the fleet object state through the same
 *   service as its JetStream consumer, in one transaction; a batch sent again (after a lost answer) changes nothing,
 *   as each delta carries its message id's parts (cluster, uid, resourceVersion, op) and the apply rule ignores a
 *   change it already holds. So the cost follows the churn, not the cluster's size.
 * - {@link postServerSnapshot}: the sensor's whole current state, as a kubectl List, to the snapshot endpoint
 *   (`POST /api/v1/clusters/{cluster}/snapshots`, gzipped), which records object versions and findings. The sensor
 *   posts one at start (once every kind is listed) and after a relist, not per change.
 */
import { gzipSync } from "node:zlib";
import type { ObjectDelta } from "../../core/deltas/index.js";
import { PalisadeError } from "../../core/errors/index.js";
import { apiRequest } from "../api-client/index.js";
import type { DeltaSink } from "./ports.js";

export interface ServerTarget {
  server: string;
  cluster: string;
  token: string;
  ca?: string | Buffer | undefined;
  dangerouslyAllowHttp?: boolean | undefined;
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

const post = (o: ServerTarget, path: string, body: Buffer, headers: Record<string, string>) =>
  apiRequest({
    server: o.server,
    method: "POST",
    path,
    token: o.token,
    ca: o.ca,
    dangerouslyAllowHttp: o.dangerouslyAllowHttp,
    headers: { "content-type": "application/json", ...headers },
    body,
    timeoutMs: o.timeoutMs ?? 120_000,
  });

/** What the server answered to posted deltas. */
interface PostedAnswer {
  applied: number;
  ignored: number;
  rejected: { index: number; message: string }[];
}

export interface ServerDeltaSinkOptions extends ServerTarget {
  /** Most deltas per request (default 500; the server takes at most 5,000). */
  maxPerRequest?: number | undefined;
  /**
   * Told of deltas the server will never take: refused as malformed, or one delta alone over its body cap. They
   * are dropped (resending cannot help), so they must be logged and counted.
   */
  onRefused?: ((refused: { delta: ObjectDelta; message: string }[]) => void) | undefined;
}

/**
 * A sensor's sink posting deltas to the server. `send` resolves when the server applied (or ignored) every delta,
 * and rejects otherwise (the sensor keeps the batch and sends it again). A batch over the server's body cap (413)
 * is split in halves and each sent; a single delta over it, and deltas the server refuses as malformed, are
 * dropped and reported through `onRefused`.
 */
export function serverDeltaSink(
  o: ServerDeltaSinkOptions,
): DeltaSink & { stats(): { applied: number; ignored: number; refused: number } } {
  const path = `/api/v1/clusters/${encodeURIComponent(o.cluster)}/deltas`;
  const max = o.maxPerRequest ?? 500;
  const counts = { applied: 0, ignored: 0, refused: 0 };
  const refuse = (refused: { delta: ObjectDelta; message: string }[]) => {
    if (refused.length === 0) return;
    counts.refused += refused.length;
    o.onRefused?.(refused);
  };
  const sendPart = async (deltas: readonly ObjectDelta[]): Promise<void> => {
    const r = await post(o, path, Buffer.from(JSON.stringify({ deltas })), {});
    if (r.status === 413) {
      if (deltas.length === 1) {
        refuse([
          { delta: deltas[0] as ObjectDelta, message: `over the server's body cap: ${answerText(r.body)}` },
        ]);
        return;
      }
      const half = Math.ceil(deltas.length / 2);
      await sendPart(deltas.slice(0, half));
      await sendPart(deltas.slice(half));
      return;
    }
    if (r.status !== 200)
      throw new PalisadeError("REMOTE", `the server refused the deltas (${r.status}): ${answerText(r.body)}`);
    let a: PostedAnswer;
    try {
      a = JSON.parse(r.body) as PostedAnswer;
    } catch {
      throw new PalisadeError(
        "REMOTE",
        `the server's answer to the deltas is not JSON: ${r.body.slice(0, 200)}`,
      );
    }
    counts.applied += a.applied;
    counts.ignored += a.ignored;
    refuse(
      (a.rejected ?? []).flatMap((x) => {
        const delta = deltas[x.index];
        return delta === undefined ? [] : [{ delta, message: x.message }];
      }),
    );
  };
  return {
    async send(deltas) {
      for (let i = 0; i < deltas.length; i += max) await sendPart(deltas.slice(i, i + max));
    },
    stats: () => ({ ...counts }),
    async close() {},
  };
}

/** Post `items` (the cluster's whole current state) as one snapshot; rejects when the server does not take it. */
export async function postServerSnapshot(o: ServerTarget, items: readonly unknown[]): Promise<void> {
  const body = gzipSync(JSON.stringify({ apiVersion: "v1", kind: "List", items }));
  const r = await post(o, `/api/v1/clusters/${encodeURIComponent(o.cluster)}/snapshots`, body, {
    "content-encoding": "gzip",
  });
  if (r.status !== 200)
    throw new PalisadeError("REMOTE", `the server refused the snapshot (${r.status}): ${answerText(r.body)}`);
}
