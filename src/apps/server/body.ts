/** Request bodies read as bytes: Content-Encoding gzip inflated under a cap, other encodings refused. */
import { gunzipSync } from "node:zlib";
import type { FastifyRequest } from "fastify";

export type DecodedBody =
  | { ok: true; bytes: Buffer }
  | { ok: false; status: 400 | 413 | 415; code: string; message: string; reason: string };

/** The body of a raw-body route, inflated when gzip, at most `maxBytes` once decompressed. */
export function decodeBody(req: FastifyRequest, maxBytes: number, what: string): DecodedBody {
  if (!Buffer.isBuffer(req.body))
    return { ok: false, status: 400, code: "INPUT", message: `send the ${what}`, reason: "no-body" };
  const encoding = String(req.headers["content-encoding"] ?? "identity").toLowerCase();
  let bytes: Buffer = req.body;
  if (encoding === "gzip") {
    try {
      bytes = gunzipSync(bytes, { maxOutputLength: maxBytes });
    } catch (e) {
      if ((e as { code?: string }).code === "ERR_BUFFER_TOO_LARGE")
        return {
          ok: false,
          status: 413,
          code: "LIMIT",
          message: `${what} is larger than ${maxBytes} bytes decompressed`,
          reason: "too-large",
        };
      return { ok: false, status: 400, code: "INPUT", message: "body is not valid gzip", reason: "bad-gzip" };
    }
  } else if (encoding !== "identity")
    return {
      ok: false,
      status: 415,
      code: "UNSUPPORTED",
      message: `content-encoding ${encoding} is not accepted`,
      reason: "unsupported-encoding",
    };
  if (bytes.length > maxBytes)
    return {
      ok: false,
      status: 413,
      code: "LIMIT",
      message: `${what} is larger than ${maxBytes} bytes`,
      reason: "too-large",
    };
  return { ok: true, bytes };
}
