import * as http from "node:http";
import * as https from "node:https";
import type { Readable } from "node:stream";
import type { KubeConfig } from "@kubernetes/client-node";

/**
 * One answer of the API server: the status and the body as a stream. The caller consumes the body (a list is
 * parsed as it arrives, never held whole) or destroys it.
 */
export interface ApiResponse {
  status: number;
  body: Readable;
}

/**
 * One GET against the API server. Rejects only when no HTTP answer came back (connection refused, TLS failure,
 * `signal` aborted). Aborting `signal` after the answer came also ends its body stream with an error, so one
 * signal bounds the whole exchange.
 */
export type ApiRequest = (path: string, signal: AbortSignal) => Promise<ApiResponse>;

/**
 * A transport that authenticates like kubectl: `applyToHTTPSOptions` fills in the CA, client certificate, bearer
 * token (including exec and auth-provider plugins) and TLS server name from the kubeconfig. `server` has been
 * validated by the caller (an absolute http(s) URL).
 */
export function httpTransport(kc: KubeConfig, server: URL): ApiRequest {
  const secure = server.protocol === "https:";
  const prefix = server.pathname.replace(/\/$/, "");
  return async (path, signal) => {
    // Options are rebuilt per request: exec plugins and token files can rotate credentials.
    const opts: https.RequestOptions = { method: "GET", headers: { Accept: "application/json" } };
    await kc.applyToHTTPSOptions(opts);
    signal.throwIfAborted();
    const url = new URL(prefix + path, server);
    return new Promise((resolve, reject) => {
      const req = (secure ? https : http).request(url, { ...opts, signal }, (res) => {
        resolve({ status: res.statusCode ?? 0, body: res });
      });
      req.on("error", reject);
      req.end();
    });
  };
}
