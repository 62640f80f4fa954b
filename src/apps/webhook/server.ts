/**
 * The validating admission webhook: HTTPS (node:https, the certificate and key given), `POST /validate` with an
 * AdmissionReview v1 JSON body, `GET /healthz`. One service call per review (services/admission).
 *
 * Failure behaviour (what the API server sees):
 * - Every review is answered within `deadlineMs`. If the facts are not in by then the answer follows the policy's
 *   failurePolicy: "Ignore" admits with a warning (fail open), "Fail" denies with a 500 status (fail closed). Set
 *   `deadlineMs` below the ValidatingWebhookConfiguration's timeoutSeconds, so that this policy, not the API
 *   server's own failurePolicy on timeout, decides.
 * - A body over `maxBodyBytes` is 413, a body that is not JSON or not a valid AdmissionReview is 400 with the
 *   reason, another method or path is 405/404; none of them reaches the decision, none crashes the server.
 */

import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer, type Server } from "node:https";
import type { AdmissionDecision, AdmissionPolicy } from "../../core/admission/index.js";
import { type AdmissionFactSources, answerAdmissionReview } from "../../services/admission/index.js";

export interface WebhookLimits {
  /** Largest AdmissionReview body, bytes (the API server's own request limit is 3 MiB of object). */
  maxBodyBytes: number;
  /** Time from the body's arrival to the answer, milliseconds. */
  deadlineMs: number;
}

export const DEFAULT_WEBHOOK_LIMITS: WebhookLimits = Object.freeze({
  maxBodyBytes: 4 * 1024 * 1024,
  deadlineMs: 2_000,
});

export interface WebhookOptions {
  tls: { key: string | Buffer; cert: string | Buffer };
  policy: AdmissionPolicy;
  sources: AdmissionFactSources;
  limits?: Partial<WebhookLimits> | undefined;
  /** Called with every decision made (recorders, metrics); must not throw. */
  onDecision?: ((d: AdmissionDecision) => void) | undefined;
}

/** Counters a caller can read (health pages, tests). */
export interface WebhookStats {
  answered: number;
  denied: number;
  failures: number;
  badRequests: number;
}

export interface Webhook {
  server: Server;
  stats: WebhookStats;
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

/** Read the body up to `max` bytes; undefined when it was larger (the rest is drained, not buffered). */
function readBody(req: IncomingMessage, max: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"]);
    if (Number.isFinite(declared) && declared > max) {
      req.resume();
      resolve(undefined);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on("data", (c: Buffer) => {
      if (over) return;
      size += c.length;
      if (size > max) {
        over = true;
        chunks.length = 0;
        return;
      }
      chunks.push(c);
    });
    req.on("end", () => resolve(over ? undefined : Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/** Create the webhook's HTTPS server (not yet listening). */
export function createWebhook(opts: WebhookOptions): Webhook {
  const limits = { ...DEFAULT_WEBHOOK_LIMITS, ...opts.limits };
  const stats: WebhookStats = { answered: 0, denied: 0, failures: 0, badRequests: 0 };

  async function validate(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const type = String(req.headers["content-type"] ?? "")
      .split(";")[0]
      ?.trim();
    if (type !== "application/json") {
      req.resume();
      stats.badRequests++;
      send(res, 415, { error: "content-type must be application/json" });
      return;
    }
    const raw = await readBody(req, limits.maxBodyBytes);
    if (raw === undefined) {
      stats.badRequests++;
      send(res, 413, { error: `body larger than ${limits.maxBodyBytes} bytes` });
      return;
    }
    let body: unknown;
    try {
      body = JSON.parse(raw.toString("utf8"));
    } catch (e) {
      stats.badRequests++;
      send(res, 400, { error: `body is not JSON: ${e instanceof Error ? e.message : String(e)}` });
      return;
    }
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<string>((resolve) => {
      timer = setTimeout(() => resolve(`no decision within ${limits.deadlineMs} ms`), limits.deadlineMs);
    });
    try {
      const answer = await answerAdmissionReview(body, {
        policy: opts.policy,
        sources: opts.sources,
        deadline,
      });
      if (answer.httpStatus === 400) {
        stats.badRequests++;
        send(res, 400, answer.body);
        return;
      }
      stats.answered++;
      if (!answer.decision.allowed) stats.denied++;
      if (answer.decision.evaluated === "failure") stats.failures++;
      opts.onDecision?.(answer.decision);
      send(res, 200, answer.body);
    } finally {
      clearTimeout(timer);
    }
  }

  const server = createServer({ key: opts.tls.key, cert: opts.tls.cert }, (req, res) => {
    const path = (req.url ?? "").split("?")[0];
    const route =
      path === "/validate"
        ? req.method === "POST"
          ? "validate"
          : "method"
        : path === "/healthz"
          ? req.method === "GET"
            ? "healthz"
            : "method"
          : "none";
    if (route === "healthz") return send(res, 200, { status: "ok" });
    if (route !== "validate") {
      req.resume();
      return send(res, route === "method" ? 405 : 404, {
        error: route === "method" ? "method not allowed" : "not found",
      });
    }
    validate(req, res).catch((e: unknown) => {
      stats.badRequests++;
      send(res, 500, { error: `internal error: ${e instanceof Error ? e.message : String(e)}` });
    });
  });
  // A client that never finishes its request must not hold a socket forever.
  server.requestTimeout = Math.max(limits.deadlineMs * 5, 10_000);
  server.headersTimeout = Math.min(server.requestTimeout, 10_000);
  return { server, stats };
}
