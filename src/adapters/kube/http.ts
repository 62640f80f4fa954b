import * as http from "node:http";
import * as https from "node:https";
import type { KubeConfig } from "@kubernetes/client-node";

/** One GET against the API server: status and body text. Throws only when no HTTP answer came back. */
export type ApiGet = (path: string) => Promise<{ status: number; body: string }>;

/** Largest response body accepted (one page of a list). Pages are 500 objects, so this is generous. */
const MAX_BODY_BYTES = 256 * 1024 * 1024;
const TIMEOUT_MS = 60_000;

/**
 * A getter that authenticates like kubectl: `applyToHTTPSOptions` fills in the CA, client certificate, bearer
 * token (including exec and auth-provider plugins) and TLS server name from the kubeconfig.
 */
export async function httpGetter(kc: KubeConfig, server: string): Promise<ApiGet> {
  const base = new URL(server);
  const secure = base.protocol === "https:";
  const prefix = base.pathname.replace(/\/$/, "");
  return async (path) => {
    // Options are rebuilt per request: exec plugins and token files can rotate credentials.
    const opts: https.RequestOptions = { method: "GET", headers: { Accept: "application/json" } };
    await kc.applyToHTTPSOptions(opts);
    const url = new URL(prefix + path, base);
    return new Promise((resolve, reject) => {
      const req = (secure ? https : http).request(url, opts, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on("data", (c: Buffer) => {
          size += c.length;
          if (size > MAX_BODY_BYTES) {
            req.destroy(new Error(`response larger than ${MAX_BODY_BYTES} bytes`));
            return;
          }
          chunks.push(c);
        });
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }),
        );
        res.on("error", reject);
      });
      req.setTimeout(TIMEOUT_MS, () => req.destroy(new Error(`no answer within ${TIMEOUT_MS / 1000} s`)));
      req.on("error", reject);
      req.end();
    });
  };
}
