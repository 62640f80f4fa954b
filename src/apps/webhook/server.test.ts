import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTestCerts, type TestCerts } from "../../../test/support/tls.js";
import { type AdmissionPolicy, DEFAULT_ADMISSION_POLICY } from "../../core/admission/index.js";
import type { AdmissionFactSources } from "../../services/admission/index.js";
import { createWebhook, type Webhook, type WebhookOptions } from "./index.js";

const NAMESPACES: Record<string, Record<string, string>> = {
  apps: { "pod-security.kubernetes.io/enforce": "restricted" },
  open: {},
};
const SOURCES: AdmissionFactSources = {
  namespaceLabels: (ns) => NAMESPACES[ns],
  imageFacts: () => new Map(),
};
/** Test double for a slow store: a lookup that never answers (no real store can be made to hang on cue). */
const HANGING: AdmissionFactSources = {
  namespaceLabels: () => new Promise(() => {}),
  imageFacts: () => new Map(),
};

function review(namespace: string, privileged: boolean, uid = "3f2a-uid") {
  return {
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: {
      uid,
      kind: { group: "", version: "v1", kind: "Pod" },
      resource: { group: "", version: "v1", resource: "pods" },
      requestKind: { group: "", version: "v1", kind: "Pod" },
      requestResource: { group: "", version: "v1", resource: "pods" },
      name: "web",
      namespace,
      operation: "CREATE",
      userInfo: { username: "alice", uid: "u-1", groups: ["system:authenticated"] },
      object: {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: "web", namespace },
        spec: { containers: [{ name: "app", image: "nginx:1.27", securityContext: { privileged } }] },
      },
      oldObject: null,
      dryRun: false,
      options: { apiVersion: "meta.k8s.io/v1", kind: "CreateOptions" },
    },
  };
}

let dir: string;
let certs: TestCerts;
const hooks: Webhook[] = [];

async function start(
  policy: AdmissionPolicy,
  sources: AdmissionFactSources,
  limits = {},
  extra: Partial<WebhookOptions> = {},
): Promise<number> {
  const hook = createWebhook({
    tls: { key: readFileSync(certs.key), cert: readFileSync(certs.cert) },
    policy,
    sources,
    // No shedding by the loop's wait unless a test asks for it: a loaded machine holds this process's loop for
    // hundreds of milliseconds, and the decisions are what these tests look at.
    limits: { shedLagMs: 3_600_000, ...limits },
    ...extra,
  });
  hooks.push(hook);
  await new Promise<void>((resolve) => hook.server.listen(0, "127.0.0.1", resolve));
  return (hook.server.address() as AddressInfo).port;
}

function call(
  port: number,
  method: string,
  path: string,
  body?: string | Buffer,
  contentType = "application/json",
  ca = certs.ca,
): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        method,
        path,
        ca: readFileSync(ca),
        headers: { "content-type": contentType },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString();
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = text;
          }
          resolve({ status: res.statusCode ?? 0, json });
        });
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "palisade-webhook-"));
  certs = makeTestCerts(dir);
});
afterAll(async () => {
  await Promise.all(hooks.map((h) => new Promise((r) => h.server.close(r))));
  rmSync(dir, { recursive: true, force: true });
});

describe("admission webhook over real TLS", () => {
  it("denies a privileged pod in a restricted namespace and admits it in an unlabelled one", async () => {
    const port = await start(DEFAULT_ADMISSION_POLICY, SOURCES);
    const denied = await call(port, "POST", "/validate", JSON.stringify(review("apps", true)));
    expect(denied.status).toBe(200);
    expect(denied.json).toEqual({
      apiVersion: "admission.k8s.io/v1",
      kind: "AdmissionReview",
      response: {
        uid: "3f2a-uid",
        allowed: false,
        status: {
          status: "Failure",
          code: 403,
          reason: "Forbidden",
          message:
            'pods "web" is forbidden: violates PodSecurity "restricted:latest": privileged (container "app" must not set securityContext.privileged=true), allowPrivilegeEscalation != false (container "app" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container "app" must set securityContext.capabilities.drop=["ALL"]), runAsNonRoot != true (pod or container "app" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container "app" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")',
          details: { name: "web", kind: "pods" },
        },
        auditAnnotations: { "enforce-policy": "restricted:latest" },
      },
    });
    const allowed = await call(port, "POST", "/validate", JSON.stringify(review("open", true, "u2")));
    expect(allowed).toEqual({
      status: 200,
      json: {
        apiVersion: "admission.k8s.io/v1",
        kind: "AdmissionReview",
        response: { uid: "u2", allowed: true },
      },
    });
    expect(await call(port, "GET", "/healthz")).toEqual({ status: 200, json: { status: "ok" } });
  });

  it("a client that does not trust the CA cannot talk to it", async () => {
    const port = await start(DEFAULT_ADMISSION_POLICY, SOURCES);
    await expect(
      call(port, "GET", "/healthz", undefined, "application/json", certs.wrongCa),
    ).rejects.toThrow();
  });

  it("answers hostile bodies with 4xx and a reason, and keeps serving", async () => {
    const port = await start(DEFAULT_ADMISSION_POLICY, SOURCES, { maxBodyBytes: 64 * 1024 });
    expect(await call(port, "POST", "/validate", Buffer.alloc(200 * 1024, 0x20))).toEqual({
      status: 413,
      json: { error: "body larger than 65536 bytes" },
    });
    expect((await call(port, "POST", "/validate", "{not json")).status).toBe(400);
    expect(
      await call(port, "POST", "/validate", JSON.stringify({ ...review("apps", false), kind: "Pod" })),
    ).toEqual({
      status: 400,
      json: { error: 'kind: expected "AdmissionReview", got "Pod"' },
    });
    expect((await call(port, "POST", "/validate", "{}", "text/plain")).status).toBe(415);
    expect((await call(port, "GET", "/validate")).status).toBe(405);
    expect((await call(port, "POST", "/nope", "{}")).status).toBe(404);
    let deep = "1";
    for (let i = 0; i < 5000; i++) deep = `[${deep}]`;
    const r = review("apps", false);
    const body = JSON.stringify(r).replace('"dryRun":false', `"dryRun":false,"extra":${deep}`);
    expect((await call(port, "POST", "/validate", body)).status).toBe(400);
    expect((await call(port, "GET", "/healthz")).status).toBe(200);
  });

  it("never hangs: past the deadline it fails closed with failurePolicy Fail", async () => {
    const port = await start(DEFAULT_ADMISSION_POLICY, HANGING, { deadlineMs: 50 });
    expect((await call(port, "POST", "/validate", JSON.stringify(review("apps", false)))).json).toEqual({
      apiVersion: "admission.k8s.io/v1",
      kind: "AdmissionReview",
      response: {
        uid: "3f2a-uid",
        allowed: false,
        status: {
          status: "Failure",
          code: 500,
          reason: "InternalError",
          message: "palisade could not evaluate the request: no decision within 50 ms",
        },
        auditAnnotations: { "evaluation-failure": "no decision within 50 ms" },
      },
    });
    expect(hooks.at(-1)?.stats).toEqual({ answered: 1, denied: 1, failures: 1, badRequests: 0, shed: 0 });
  });

  it("never hangs: past the deadline it fails open with failurePolicy Ignore, saying so", async () => {
    const port = await start({ ...DEFAULT_ADMISSION_POLICY, failurePolicy: "Ignore" }, HANGING, {
      deadlineMs: 50,
    });
    expect((await call(port, "POST", "/validate", JSON.stringify(review("apps", true)))).json).toEqual({
      apiVersion: "admission.k8s.io/v1",
      kind: "AdmissionReview",
      response: {
        uid: "3f2a-uid",
        allowed: true,
        warnings: [
          "palisade could not evaluate the request: no decision within 50 ms; admitted because the failure policy is Ignore",
        ],
        auditAnnotations: { "evaluation-failure": "no decision within 50 ms" },
      },
    });
  });

  it("sheds load by the failure policy instead of queueing, and counts it in /metrics", async () => {
    // maxInFlight 0: every review is over the limit, so each one is shed (deterministic, no timing).
    const port = await start({ ...DEFAULT_ADMISSION_POLICY, failurePolicy: "Ignore" }, SOURCES, {
      maxInFlight: 0,
    });
    const r = await call(port, "POST", "/validate", JSON.stringify(review("apps", true, "shed-1")));
    expect(r.json).toEqual({
      apiVersion: "admission.k8s.io/v1",
      kind: "AdmissionReview",
      response: {
        uid: "shed-1",
        allowed: true,
        warnings: [
          "palisade could not evaluate the request: webhook overloaded (load shed); admitted because the failure policy is Ignore",
        ],
        auditAnnotations: { "evaluation-failure": "webhook overloaded (load shed)" },
      },
    });
    expect(hooks.at(-1)?.stats.shed).toBe(1);
    const m = await call(port, "GET", "/metrics");
    expect(m.status).toBe(200);
    expect(String(m.json)).toContain(
      'palisade_admission_decisions_total{endpoint="validate",result="shed"} 1',
    );
    expect(String(m.json)).toContain("palisade_admission_shed_total 1");
  });

  it("sheds a review that waited for the event loop past shedLagMs, decides one that did not", async () => {
    // Test double for the loop's wait (no real loop can be held for a chosen time without depending on the
    // machine's speed): the wait each review is measured at.
    let waited = 0;
    let lagMs = 0;
    const port = await start(
      { ...DEFAULT_ADMISSION_POLICY, failurePolicy: "Fail" },
      SOURCES,
      { shedLagMs: 250 },
      {
        loopWait: {
          waitedMs: () => waited,
          get lagMs() {
            return lagMs;
          },
        },
      },
    );
    const hook = hooks.at(-1);
    waited = 251;
    const shed = await call(port, "POST", "/validate", JSON.stringify(review("open", false, "late-1")));
    expect(shed.json).toEqual({
      apiVersion: "admission.k8s.io/v1",
      kind: "AdmissionReview",
      response: {
        uid: "late-1",
        allowed: false,
        status: {
          status: "Failure",
          code: 500,
          reason: "InternalError",
          message: "palisade could not evaluate the request: webhook overloaded (load shed)",
        },
        auditAnnotations: { "evaluation-failure": "webhook overloaded (load shed)" },
      },
    });
    expect(hook?.stats).toEqual({ answered: 0, denied: 0, failures: 0, badRequests: 0, shed: 1 });
    waited = 250;
    const decided = await call(port, "POST", "/validate", JSON.stringify(review("open", false, "on-time")));
    expect(decided.json).toMatchObject({ response: { uid: "on-time", allowed: true } });
    // The loop held before the review was read (the lag probe late) sheds it too.
    waited = 0;
    lagMs = 251;
    const held = await call(port, "POST", "/validate", JSON.stringify(review("open", false, "late-2")));
    expect(held.json).toMatchObject({ response: { uid: "late-2", allowed: false } });
    expect(hook?.stats).toEqual({ answered: 1, denied: 0, failures: 0, badRequests: 0, shed: 2 });
    const m = await call(port, "GET", "/metrics");
    expect(String(m.json)).toContain("palisade_admission_shed_total 2");
  });

  it("exposes decisions by result and rule, latency and cache hit counters in /metrics; /readyz follows the sources", async () => {
    let ready = false;
    const port = await start(
      DEFAULT_ADMISSION_POLICY,
      SOURCES,
      {},
      {
        ready: () => ready,
        cacheStats: () => ({ hits: 7, misses: 3 }),
      },
    );
    expect((await call(port, "GET", "/readyz")).status).toBe(503);
    ready = true;
    expect((await call(port, "GET", "/readyz")).status).toBe(200);
    await call(port, "POST", "/validate", JSON.stringify(review("apps", true)));
    await call(port, "POST", "/validate", JSON.stringify(review("open", true, "u3")));
    const text = String((await call(port, "GET", "/metrics")).json);
    expect(text).toContain('palisade_admission_decisions_total{endpoint="validate",result="denied"} 1');
    expect(text).toContain('palisade_admission_decisions_total{endpoint="validate",result="allowed"} 1');
    expect(text).toContain('palisade_admission_violations_total{rule="pss/privileged",mode="enforce"} 1');
    expect(text).toContain('palisade_admission_duration_seconds_count{endpoint="validate"} 2');
    expect(text).toContain("palisade_admission_cache_hits_total 7");
    expect(text).toContain("palisade_admission_cache_misses_total 3");
    // The event loop's holds since the last read (a value, whatever this machine's speed).
    expect(text).toMatch(/^palisade_admission_event_loop_delay_seconds\{quantile="1"\} \d[\d.e+-]*$/m);
  });

  it("/mutate pins tags to the digests the sources resolved (JSON patch), only when enabled", async () => {
    const digest = `sha256:${"c".repeat(64)}`;
    const sources: AdmissionFactSources = {
      namespaceLabels: (ns) => NAMESPACES[ns],
      imageFacts: () => new Map([["nginx:1.27", { digest, vulnerabilities: [] }]]),
    };
    const port = await start(
      { ...DEFAULT_ADMISSION_POLICY, mutation: { resolveTags: true } },
      sources,
      {},
      { mutate: true },
    );
    const r = await call(port, "POST", "/mutate", JSON.stringify(review("open", false, "m1")));
    const response = (r.json as { response: { patchType: string; patch: string } }).response;
    expect(response.patchType).toBe("JSONPatch");
    expect(JSON.parse(Buffer.from(response.patch, "base64").toString())).toEqual([
      { op: "replace", path: "/spec/containers/0/image", value: `nginx:1.27@${digest}` },
    ]);
    const off = await start(DEFAULT_ADMISSION_POLICY, sources);
    expect((await call(off, "POST", "/mutate", "{}")).status).toBe(404);
  });

  it("reloads its certificate for new connections", async () => {
    const other = makeTestCerts(join(dir, "rotated"));
    const hook = createWebhook({
      tls: { key: readFileSync(certs.key), cert: readFileSync(certs.cert) },
      policy: DEFAULT_ADMISSION_POLICY,
      sources: SOURCES,
    });
    hooks.push(hook);
    await new Promise<void>((resolve) => hook.server.listen(0, "127.0.0.1", resolve));
    const port = (hook.server.address() as AddressInfo).port;
    await expect(call(port, "GET", "/healthz", undefined, "application/json", other.ca)).rejects.toThrow();
    hook.reloadTls({ key: readFileSync(other.key), cert: readFileSync(other.cert) });
    expect((await call(port, "GET", "/healthz", undefined, "application/json", other.ca)).status).toBe(200);
    await expect(call(port, "GET", "/healthz", undefined, "application/json", certs.ca)).rejects.toThrow();
  });
});
