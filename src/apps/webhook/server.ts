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
import { monitorEventLoopDelay, performance } from "node:perf_hooks";
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import {
  type AdmissionDecision,
  type AdmissionPolicy,
  type AdmissionRequest,
  admissionReviewResponse,
  failureDecision,
} from "../../core/admission/index.js";
import {
  type AdmissionFactSources,
  answerAdmissionReview,
  type PolicyReloadStatus,
} from "../../services/admission/index.js";
import { LoopWait } from "./loop-wait.js";

export interface WebhookLimits {
  /** Largest AdmissionReview body, bytes (the API server's own request limit is 3 MiB of object). */
  maxBodyBytes: number;
  /** Time from the body's arrival to the answer, milliseconds. */
  deadlineMs: number;
  /**
   * Reviews being read or evaluated at once; past it, and whenever a review has waited for the event loop more than
   * `shedLagMs` (loop-wait.ts: the loop held, then busy with the reviews read before it), a review is answered at
   * once by the failure policy (counted as shed) instead of queueing without bound.
   */
  maxInFlight: number;
  shedLagMs: number;
}

export const DEFAULT_WEBHOOK_LIMITS: WebhookLimits = Object.freeze({
  maxBodyBytes: 4 * 1024 * 1024,
  deadlineMs: 2_000,
  maxInFlight: 512,
  shedLagMs: 250,
});

export interface WebhookOptions {
  tls: { key: string | Buffer; cert: string | Buffer };
  policy: AdmissionPolicy;
  sources: AdmissionFactSources;
  limits?: Partial<WebhookLimits> | undefined;
  /** Called with every decision made (recorders); must not throw. */
  onDecision?:
    | ((d: AdmissionDecision, kind: "validate" | "mutate", request: AdmissionRequest) => void)
    | undefined;
  /** Decision recording counters shown in /metrics (recorded, dropped). */
  recorderStats?: (() => { recorded: number; dropped: number; buffered: number }) | undefined;
  /** Serve POST /mutate (tags resolved to digests when the policy says so). */
  mutate?: boolean | undefined;
  /** Readiness: false until the fact sources are primed (namespace cache synced). */
  ready?: (() => boolean) | undefined;
  /** The policy file's reload state: shown by /readyz and /metrics (a stale policy keeps the pod ready). */
  policyStatus?: (() => PolicyReloadStatus) | undefined;
  /** Analysis queue counters shown in /metrics. */
  analysisStats?:
    | (() => { queued: number; inFlight: number; analyzed: number; failed: number; dropped: number })
    | undefined;
  /** Cache counters shown in /metrics. */
  cacheStats?: (() => { hits: number; misses: number }) | undefined;
  /**
   * How long the review about to be decided has waited for the event loop, and how late the loop's lag probe fired
   * (default: {@link LoopWait} over performance.now and setImmediate, probed every 20 ms). Given: no probe is run.
   */
  loopWait?: Pick<LoopWait, "waitedMs" | "lagMs"> | undefined;
  /** Signature verification counters shown in /metrics (cache, registry fetches, fetches past a deadline). */
  signatureStats?:
    | (() => { hits: number; misses: number; fetches: number; fetchErrors: number; pastDeadline: number })
    | undefined;
}

/** Counters a caller can read (health pages, tests). */
export interface WebhookStats {
  answered: number;
  denied: number;
  failures: number;
  badRequests: number;
  shed: number;
}

export interface Webhook {
  server: Server;
  stats: WebhookStats;
  /** The Prometheus registry /metrics serves. */
  metrics: Registry;
  /** Replace the certificate and key for new connections (files changed on disk). */
  reloadTls(tls: { key: string | Buffer; cert: string | Buffer }): void;
  /** Swap the policy (and the fact sources built for it) for the reviews that arrive from now on. */
  setPolicy(policy: AdmissionPolicy, sources?: AdmissionFactSources): void;
  /** Stop background timers (the lag monitor); the server itself is closed by the caller. */
  stop(): void;
}

/** The request uid from the start of a body without parsing it: what a shed answer needs. */
const UID_RE = /"uid"\s*:\s*"([^"\\]{1,128})"/;

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
  let policy = opts.policy;
  let sources = opts.sources;
  const stats: WebhookStats = { answered: 0, denied: 0, failures: 0, badRequests: 0, shed: 0 };
  const metrics = new Registry();
  const decisions = new Counter({
    name: "palisade_admission_decisions_total",
    help: "Admission decisions by endpoint and result (allowed, denied, failure, shed).",
    labelNames: ["endpoint", "result"],
    registers: [metrics],
  });
  // Counted here and handed to prom-client when /metrics is read: a review can carry dozens of violations, and
  // prom-client hashes the label set on every increment. Rules and modes are closed sets, so the map stays small.
  // By rule, then by mode: no key string is built per violation.
  const violationCounts = new Map<string, Map<string, number>>();
  const countViolation = (rule: string, mode: string) => {
    let byMode = violationCounts.get(rule);
    if (byMode === undefined) {
      byMode = new Map();
      violationCounts.set(rule, byMode);
    }
    byMode.set(mode, (byMode.get(mode) ?? 0) + 1);
  };
  new Counter({
    name: "palisade_admission_violations_total",
    help: "Rule violations in decisions, by rule and mode (excepted ones with mode=excepted).",
    labelNames: ["rule", "mode"],
    registers: [metrics],
    collect() {
      this.reset();
      for (const [rule, byMode] of violationCounts)
        for (const [mode, n] of byMode) this.inc({ rule, mode }, n);
    },
  });
  const latency = new Histogram({
    name: "palisade_admission_duration_seconds",
    help: "Time from the request to the answer.",
    labelNames: ["endpoint"],
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [metrics],
  });
  const shedTotal = new Counter({
    name: "palisade_admission_shed_total",
    help: "Reviews answered by the failure policy without evaluation because the webhook was overloaded.",
    registers: [metrics],
  });
  const badTotal = new Counter({
    name: "palisade_admission_bad_requests_total",
    help: "Requests refused with 4xx (malformed, too large, wrong content type).",
    registers: [metrics],
  });
  if (opts.cacheStats) {
    const read = opts.cacheStats;
    new Counter({
      name: "palisade_admission_cache_hits_total",
      help: "Image fact lookups answered from the cache.",
      registers: [metrics],
      collect() {
        this.reset();
        this.inc(read().hits);
      },
    });
    new Counter({
      name: "palisade_admission_cache_misses_total",
      help: "Image fact lookups that went to the store.",
      registers: [metrics],
      collect() {
        this.reset();
        this.inc(read().misses);
      },
    });
  }

  if (opts.policyStatus) {
    const read = opts.policyStatus;
    new Counter({
      name: "palisade_admission_policy_reload_failures_total",
      help: "Policy file reloads that failed (the previous policy kept answering).",
      registers: [metrics],
      collect() {
        this.reset();
        this.inc(read().failures);
      },
    });
    new Gauge({
      name: "palisade_admission_policy_stale",
      help: "1 while the policy file on disk could not be loaded and the previous policy answers.",
      registers: [metrics],
      collect() {
        this.set(read().stale ? 1 : 0);
      },
    });
    new Gauge({
      name: "palisade_admission_policy_generation",
      help: "Policies applied since start (1: the one loaded at start).",
      registers: [metrics],
      collect() {
        this.set(read().generation);
      },
    });
  }

  if (opts.recorderStats) {
    const read = opts.recorderStats;
    new Counter({
      name: "palisade_admission_decisions_recorded_total",
      help: "Decisions written to the store.",
      registers: [metrics],
      collect() {
        this.reset();
        this.inc(read().recorded);
      },
    });
    new Counter({
      name: "palisade_admission_decisions_dropped_total",
      help: "Decisions not recorded: the buffer was full (the store too slow) or the store refused the batch.",
      registers: [metrics],
      collect() {
        this.reset();
        this.inc(read().dropped);
      },
    });
    new Gauge({
      name: "palisade_admission_decisions_buffered",
      help: "Decisions waiting to be written to the store.",
      registers: [metrics],
      collect() {
        this.set(read().buffered);
      },
    });
  }

  if (opts.analysisStats) {
    const read = opts.analysisStats;
    const counter = (name: string, help: string, key: "analyzed" | "failed" | "dropped") =>
      new Counter({
        name,
        help,
        registers: [metrics],
        collect() {
          this.reset();
          this.inc(read()[key]);
        },
      });
    counter(
      "palisade_admission_analysis_analyzed_total",
      "Queued images analysed and remembered.",
      "analyzed",
    );
    counter("palisade_admission_analysis_failed_total", "Queued images whose analysis failed.", "failed");
    counter("palisade_admission_analysis_dropped_total", "Images not queued: the queue was full.", "dropped");
    new Gauge({
      name: "palisade_admission_analysis_queued",
      help: "Images waiting for analysis (and being analysed).",
      registers: [metrics],
      collect() {
        const s = read();
        this.set(s.queued + s.inFlight);
      },
    });
  }

  // How long the event loop was held, between two reads of /metrics: every review waits behind the longest hold, so
  // its quantiles bound the answers' latency from below. Sampled every 10 ms (a value is the time between two
  // samples: 10 ms when nothing held the loop). Reset at each read, so one scraper should read it.
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  new Gauge({
    name: "palisade_admission_event_loop_delay_seconds",
    help: "Time between two event-loop samples taken every 10 ms, since the previous scrape, by quantile (1: max).",
    labelNames: ["quantile"],
    registers: [metrics],
    collect() {
      if (loopDelay.count > 0)
        for (const q of [0.5, 0.99, 0.999])
          this.set({ quantile: String(q) }, loopDelay.percentile(q * 100) / 1e9);
      this.set({ quantile: "1" }, loopDelay.count > 0 ? loopDelay.max / 1e9 : 0);
      loopDelay.reset();
    },
  });

  if (opts.signatureStats) {
    const read = opts.signatureStats;
    const SIGNATURE_COUNTERS = [
      [
        "palisade_admission_signature_cache_hits_total",
        "Signature verifications answered from the cache.",
        "hits",
      ],
      ["palisade_admission_signature_cache_misses_total", "Signature verifications computed.", "misses"],
      ["palisade_admission_signature_fetches_total", "Registry fetches of an image's signatures.", "fetches"],
      [
        "palisade_admission_signature_fetch_errors_total",
        "Registry fetches of signatures that failed (the review follows the failure policy).",
        "fetchErrors",
      ],
      [
        "palisade_admission_signature_fetch_past_deadline_total",
        "Reviews answered by the failure policy while their signature fetch was still running.",
        "pastDeadline",
      ],
    ] as const;
    for (const [name, help, key] of SIGNATURE_COUNTERS)
      new Counter({
        name,
        help,
        registers: [metrics],
        collect() {
          this.reset();
          this.inc(read()[key]);
        },
      });
  }

  // Event-loop lag: how late a 20 ms timer fires. A loop that far behind is already queueing requests.
  let lagTimer: NodeJS.Timeout | undefined;
  let loopWait = opts.loopWait;
  if (loopWait === undefined) {
    const probed = new LoopWait({ now: () => performance.now(), afterTurn: setImmediate });
    let last = performance.now();
    lagTimer = setInterval(() => {
      const now = performance.now();
      probed.probed(now - last - 20);
      last = now;
    }, 20);
    lagTimer.unref();
    loopWait = probed;
  }
  const waits = loopWait;
  let inFlight = 0;

  const bad = (res: ServerResponse, status: number, error: string) => {
    stats.badRequests++;
    badTotal.inc();
    send(res, status, { error });
  };

  async function review(
    req: IncomingMessage,
    res: ServerResponse,
    endpoint: "validate" | "mutate",
  ): Promise<void> {
    const started = performance.now();
    const type = String(req.headers["content-type"] ?? "")
      .split(";")[0]
      ?.trim();
    if (type !== "application/json") {
      req.resume();
      bad(res, 415, "content-type must be application/json");
      return;
    }
    const overloaded = inFlight >= limits.maxInFlight || waits.lagMs > limits.shedLagMs;
    inFlight++;
    try {
      const raw = await readBody(req, limits.maxBodyBytes);
      if (raw === undefined) {
        bad(res, 413, `body larger than ${limits.maxBodyBytes} bytes`);
        return;
      }
      // Measured now, when it would be decided: a review read late in a long turn of the loop has waited for every
      // review decided before it in that turn, and the API server's clock has been running all along.
      if (overloaded || waits.waitedMs() > limits.shedLagMs) {
        // Answer by the failure policy without parsing: the API server gets an answer now, not a timeout later.
        const uid = UID_RE.exec(raw.subarray(0, 64 * 1024).toString("utf8"))?.[1];
        stats.shed++;
        shedTotal.inc();
        decisions.inc({ endpoint, result: "shed" });
        if (uid === undefined) {
          send(res, 503, { error: "overloaded" });
          return;
        }
        const d = failureDecision({ uid, dryRun: false }, policy, "webhook overloaded (load shed)");
        send(res, 200, admissionReviewResponse(d));
        return;
      }
      let body: unknown;
      try {
        body = JSON.parse(raw.toString("utf8"));
      } catch (e) {
        bad(res, 400, `body is not JSON: ${e instanceof Error ? e.message : String(e)}`);
        return;
      }
      // The deadline's timer is set only when a fact source answers later: a review decided from the caches at
      // once (most) makes no timer, promise or abort signal.
      let timer: NodeJS.Timeout | undefined;
      const deadline = () =>
        new Promise<string>((resolve) => {
          timer = setTimeout(() => resolve(`no decision within ${limits.deadlineMs} ms`), limits.deadlineMs);
        });
      try {
        const answer = await answerAdmissionReview(body, {
          policy,
          sources,
          deadline,
        });
        if (answer.httpStatus === 400) {
          bad(res, 400, answer.body.error);
          return;
        }
        const d = answer.decision;
        stats.answered++;
        if (!d.allowed) stats.denied++;
        if (d.evaluated === "failure") stats.failures++;
        for (const v of d.violations) countViolation(v.rule, v.exception ? "excepted" : v.mode);
        if (endpoint === "mutate") {
          // The mutating webhook only pins digests: denying is the validating webhook's job.
          const patch = d.patch ?? [];
          const response: Record<string, unknown> = { uid: d.uid, allowed: true };
          if (patch.length > 0) {
            response.patchType = "JSONPatch";
            response.patch = Buffer.from(JSON.stringify(patch)).toString("base64");
          }
          decisions.inc({ endpoint, result: patch.length > 0 ? "patched" : "allowed" });
          opts.onDecision?.(d, endpoint, answer.request);
          send(res, 200, { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", response });
          return;
        }
        decisions.inc({
          endpoint,
          result: d.evaluated === "failure" ? "failure" : d.allowed ? "allowed" : "denied",
        });
        opts.onDecision?.(d, endpoint, answer.request);
        send(res, 200, answer.body);
      } finally {
        if (timer !== undefined) clearTimeout(timer);
      }
    } finally {
      inFlight--;
      latency.observe({ endpoint }, (performance.now() - started) / 1000);
    }
  }

  // Built once: the routes do not change while the server runs.
  const postRoutes = new Map<string, "validate" | "mutate">([["/validate", "validate"]]);
  if (opts.mutate) postRoutes.set("/mutate", "mutate");
  const getRoutes: ReadonlySet<string> = new Set(["/healthz", "/readyz", "/metrics"]);

  const server = createServer({ key: opts.tls.key, cert: opts.tls.cert }, (req, res) => {
    const url = req.url ?? "";
    const q = url.indexOf("?");
    const path = q === -1 ? url : url.slice(0, q);
    const endpoint = postRoutes.get(path);
    if (endpoint !== undefined && req.method === "POST") {
      review(req, res, endpoint).catch((e: unknown) => {
        stats.badRequests++;
        send(res, 500, { error: `internal error: ${e instanceof Error ? e.message : String(e)}` });
      });
      return;
    }
    req.resume();
    if (getRoutes.has(path) && req.method === "GET") {
      if (path === "/healthz") return send(res, 200, { status: "ok" });
      if (path === "/readyz") {
        const ready = opts.ready?.() ?? true;
        // A stale policy (the new file did not load) keeps the pod ready: the previous policy still answers
        // correctly, and taking every replica out of the Service for a typo would hand every review to the API
        // server's failurePolicy. It is said here, counted in /metrics, and logged.
        const p = opts.policyStatus?.();
        const policyState =
          p === undefined
            ? {}
            : {
                policy: p.stale
                  ? { status: "stale", generation: p.generation, error: p.stale.error, since: p.stale.since }
                  : { status: "current", generation: p.generation },
              };
        return send(res, ready ? 200 : 503, { status: ready ? "ready" : "not ready", ...policyState });
      }
      metrics.metrics().then(
        (text) => {
          if (res.headersSent) return;
          res.writeHead(200, { "content-type": metrics.contentType });
          res.end(text);
        },
        (e: unknown) => send(res, 500, { error: String(e) }),
      );
      return;
    }
    const known = endpoint !== undefined || getRoutes.has(path);
    return send(res, known ? 405 : 404, { error: known ? "method not allowed" : "not found" });
  });
  // A client that never finishes its request must not hold a socket forever.
  server.requestTimeout = Math.max(limits.deadlineMs * 5, 10_000);
  server.headersTimeout = Math.min(server.requestTimeout, 10_000);
  const stopMonitors = () => {
    if (lagTimer !== undefined) clearInterval(lagTimer);
    loopDelay.disable();
  };
  server.on("close", stopMonitors);
  return {
    server,
    stats,
    metrics,
    reloadTls: (tls) => server.setSecureContext({ key: tls.key, cert: tls.cert }),
    setPolicy: (next, nextSources) => {
      policy = next;
      if (nextSources) sources = nextSources;
    },
    stop: stopMonitors,
  };
}
