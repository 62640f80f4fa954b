import { readFileSync } from "node:fs";
import { request as httpsRequest } from "node:https";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { watchNamespaceLabels } from "../../src/adapters/kube/index.js";
import { createWebhook, type Webhook } from "../../src/apps/webhook/index.js";
import { DEFAULT_ADMISSION_POLICY, decide, parseAdmissionReview } from "../../src/core/admission/index.js";
import { reviewForCreate } from "../../src/services/admission/index.js";
import { makeTestCerts } from "../support/tls.js";
import { inBatches, kubeTestsEnabled, prng, type RealCluster, startCluster } from "./kube-apiserver.js";

/**
 * Issue 15: Palisade's admission decision without a policy against the real kube-apiserver's built-in PodSecurity
 * admission. Generated Pods and Deployments are created with server-side dry-run in namespaces with assorted
 * pod-security.kubernetes.io labels (enforce, audit, warn, versions; the server refuses invalid values on a Namespace); the server's allow/deny, its
 * denial message and its warnings must be Palisade's, for the same object and labels. Objects the server refuses
 * for another reason (422) are counted and left out. Versions are pinned up to v1.35 (the server's release), as
 * "latest" means v1.35 there and a newer policy here.
 *
 * Then the same server calls Palisade's webhook over real TLS (a ValidatingWebhookConfiguration with a url and a
 * test CA): a policy rule the built-in plugin does not have (a forbidden tag) denies through the API server.
 */

const SEED = 0x15_adc;
const P = "pod-security.kubernetes.io/";
const NAMESPACES: Record<string, Record<string, string>> = {
  "d-none": {},
  "d-enforce-baseline": { [`${P}enforce`]: "baseline", [`${P}enforce-version`]: "v1.35" },
  "d-enforce-restricted-old": { [`${P}enforce`]: "restricted", [`${P}enforce-version`]: "v1.24" },
  "d-enforce-warn": {
    [`${P}enforce`]: "baseline",
    [`${P}enforce-version`]: "v1.30",
    [`${P}warn`]: "restricted",
    [`${P}warn-version`]: "v1.30",
  },
  "d-enforce-warn-version": {
    [`${P}enforce`]: "restricted",
    [`${P}enforce-version`]: "v1.35",
    [`${P}warn-version`]: "v1.25",
  },
  "d-audit-only": { [`${P}audit`]: "restricted", [`${P}audit-version`]: "v1.35" },
  "d-warn-privileged": {
    [`${P}enforce`]: "baseline",
    [`${P}enforce-version`]: "v1.35",
    [`${P}warn`]: "privileged",
  },
};
const OBJECTS = 40;

interface ServerAnswer {
  status: number;
  body: Record<string, unknown>;
  warnings: string[];
}

describe.runIf(kubeTestsEnabled())("admission without a policy = the real PodSecurity admission", () => {
  let c: RealCluster;
  const rand = prng(SEED);
  const chance = (p: number) => rand() < p;
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const maybe = <T>(p: number, v: () => T): T | undefined => (chance(p) ? v() : undefined);
  const clean = (o: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

  function securityContext(): Record<string, unknown> | undefined {
    if (chance(0.4))
      return clean({
        allowPrivilegeEscalation: false,
        capabilities: { drop: ["ALL"] },
        runAsNonRoot: true,
        seccompProfile: { type: "RuntimeDefault" },
        privileged: maybe(0.1, () => true),
      });
    return maybe(0.8, () =>
      clean({
        privileged: maybe(0.2, () => true),
        allowPrivilegeEscalation: maybe(0.5, () => chance(0.5)),
        runAsNonRoot: maybe(0.4, () => chance(0.8)),
        runAsUser: maybe(0.2, () => pick([0, 1000])),
        capabilities: maybe(0.5, () =>
          clean({
            drop: maybe(0.6, () => ["ALL"]),
            add: maybe(0.4, () => [pick(["NET_RAW", "SYS_ADMIN", "CHOWN"])]),
          }),
        ),
        seccompProfile: maybe(0.4, () => pick([{ type: "RuntimeDefault" }, { type: "Unconfined" }])),
      }),
    );
  }
  function podSpec(): Record<string, unknown> {
    return clean({
      hostNetwork: maybe(0.08, () => true),
      hostPID: maybe(0.05, () => true),
      containers: [
        clean({ name: "app", image: "registry.example/app:1", securityContext: securityContext() }),
      ],
      volumes: maybe(0.1, () => [{ name: "host", hostPath: { path: "/var/tmp" } }]),
    });
  }
  function object(i: number): Record<string, unknown> {
    if (chance(0.35))
      return {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: `d${i}` },
        spec: {
          selector: { matchLabels: { app: `d${i}` } },
          template: { metadata: { labels: { app: `d${i}` } }, spec: podSpec() },
        },
      };
    return { apiVersion: "v1", kind: "Pod", metadata: { name: `p${i}` }, spec: podSpec() };
  }

  /** A dry-run create as admin, with the Warning headers the server sent. */
  function dryRun(path: string, body: unknown): Promise<ServerAnswer> {
    return new Promise((resolve, reject) => {
      const data = Buffer.from(JSON.stringify(body));
      const req = httpsRequest(
        `${c.server}${path}?dryRun=All`,
        {
          method: "POST",
          ca: readFileSync(c.caFile),
          headers: {
            Authorization: `Bearer ${c.token("admin")}`,
            "Content-Type": "application/json",
            "Content-Length": data.length,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (x: Buffer) => chunks.push(x));
          res.on("end", () => {
            const raw = res.headers.warning;
            const list = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
            // `299 - "text"`; several may come comma-joined in one header.
            const warnings = list.flatMap((h) =>
              [...h.matchAll(/299 - "((?:[^"\\]|\\.)*)"/g)].map((m) => (m[1] ?? "").replace(/\\(.)/g, "$1")),
            );
            resolve({
              status: res.statusCode ?? 0,
              body: JSON.parse(Buffer.concat(chunks).toString()),
              warnings,
            });
          });
        },
      );
      req.on("error", reject);
      req.end(data);
    });
  }

  beforeAll(async () => {
    c = await startCluster();
    for (const [name, labels] of Object.entries(NAMESPACES)) {
      const r = await c.api("POST", "/api/v1/namespaces", {
        apiVersion: "v1",
        kind: "Namespace",
        metadata: { name, labels },
      });
      if (r.status !== 201) throw new Error(`namespace ${name}: ${r.status} ${JSON.stringify(r.body)}`);
    }
  }, 300_000);
  afterAll(async () => {
    await c?.stop();
  });

  it("allows and denies exactly as the server does, with its message and warnings", async () => {
    const cases = Object.keys(NAMESPACES).flatMap((ns) =>
      Array.from({ length: OBJECTS }, (_, i) => ({ ns, object: object(i) })),
    );
    const answers = await inBatches(cases, 16, ({ ns, object: o }) =>
      dryRun(
        o.kind === "Pod" ? `/api/v1/namespaces/${ns}/pods` : `/apis/apps/v1/namespaces/${ns}/deployments`,
        o,
      ),
    );
    let compared = 0;
    let denied = 0;
    let warned = 0;
    let invalid = 0;
    const mismatches: unknown[] = [];
    cases.forEach(({ ns, object: o }, i) => {
      const server = answers[i] as ServerAnswer;
      if (server.status === 422) {
        invalid++;
        return;
      }
      const body = reviewForCreate({ ...o, metadata: { ...(o.metadata as object), namespace: ns } }, `u${i}`);
      const parsed = parseAdmissionReview(body);
      if (!parsed.ok) throw new Error(parsed.error);
      const d = decide(parsed.request, DEFAULT_ADMISSION_POLICY, {
        namespaceLabels: NAMESPACES[ns],
        images: new Map(),
      });
      const ours = { allowed: d.allowed, message: d.status?.message, warnings: d.warnings };
      const theirs = {
        allowed: server.status === 201,
        message: server.status === 201 ? undefined : String(server.body.message),
        warnings: server.warnings,
      };
      compared++;
      if (!theirs.allowed) denied++;
      if (theirs.warnings.length > 0) warned++;
      if (JSON.stringify(ours) !== JSON.stringify(theirs)) mismatches.push({ ns, object: o, ours, theirs });
    });
    expect(mismatches).toEqual([]);
    // The comparison means something: both outcomes and warnings occurred, few objects were invalid.
    expect(compared).toBeGreaterThan(cases.length * 0.8);
    expect(denied).toBeGreaterThan(20);
    expect(warned).toBeGreaterThan(10);
    console.info(
      `admission differential: ${compared} compared (${denied} denied, ${warned} warned), ${invalid} invalid`,
    );
  }, 300_000);

  describe("the API server calls Palisade's webhook over real TLS", () => {
    let hook: Webhook;
    let certsDir: string;
    beforeAll(async () => {
      certsDir = `${c.dir}/webhook-pki`;
      const certs = makeTestCerts(certsDir);
      hook = createWebhook({
        tls: { key: readFileSync(certs.key), cert: readFileSync(certs.cert) },
        policy: { ...DEFAULT_ADMISSION_POLICY, defaultMode: "enforce", forbiddenTags: ["latest"] },
        sources: { namespaceLabels: (ns) => NAMESPACES[ns] ?? {}, imageFacts: () => new Map() },
        // The API server's verdicts are what is compared: no load shedding while a loaded machine holds the loop.
        limits: { shedLagMs: 3_600_000 },
      });
      await new Promise<void>((resolve) => hook.server.listen(0, "127.0.0.1", resolve));
      const port = (hook.server.address() as AddressInfo).port;
      const r = await c.api("POST", "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations", {
        apiVersion: "admissionregistration.k8s.io/v1",
        kind: "ValidatingWebhookConfiguration",
        metadata: { name: "palisade" },
        webhooks: [
          {
            name: "validate.palisade.dev",
            admissionReviewVersions: ["v1"],
            clientConfig: {
              url: `https://127.0.0.1:${port}/validate`,
              caBundle: readFileSync(certs.ca).toString("base64"),
            },
            failurePolicy: "Fail",
            timeoutSeconds: 5,
            sideEffects: "None",
            rules: [
              {
                apiGroups: ["", "apps"],
                apiVersions: ["v1"],
                operations: ["CREATE", "UPDATE"],
                resources: ["pods", "deployments"],
              },
            ],
            namespaceSelector: {
              matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "In", values: ["d-none"] }],
            },
          },
        ],
      });
      if (r.status !== 201) throw new Error(`webhook configuration: ${r.status} ${JSON.stringify(r.body)}`);
    }, 60_000);
    afterAll(async () => {
      await new Promise((r) => hook?.server.close(r));
      hook?.stop();
    });

    it("denies :latest through the API server with Palisade's message and admits a pinned tag", async () => {
      const pod = (image: string) => ({
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: "w" },
        spec: { containers: [{ name: "app", image }] },
      });
      // The webhook configuration takes effect within a moment: retry until the server calls it (bounded).
      let denied: ServerAnswer | undefined;
      for (let i = 0; i < 50; i++) {
        denied = await dryRun("/api/v1/namespaces/d-none/pods", pod("nginx:latest"));
        if (denied.status !== 201) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      expect(denied?.status).toBe(403);
      expect(String(denied?.body.message)).toBe(
        'admission webhook "validate.palisade.dev" denied the request: pods "w" is forbidden: palisade policy: spec.containers[0].image: image "nginx:latest" uses the forbidden tag "latest" [image/forbidden-tag]',
      );
      expect((await dryRun("/api/v1/namespaces/d-none/pods", pod("nginx:1.27"))).status).toBe(201);
      expect(hook.stats.badRequests).toBe(0);
      expect(hook.stats.answered).toBeGreaterThanOrEqual(2);
    }, 60_000);
  });

  it("the watch-fed namespace cache sees labels and their changes without a request per review", async () => {
    const cache = await watchNamespaceLabels({ kubeconfig: c.kubeconfig("admin") });
    try {
      // Ready once the first list is in (bounded poll, never a speed assertion).
      for (let i = 0; i < 600 && !cache.synced(); i++) await new Promise((x) => setTimeout(x, 50));
      expect(cache.synced()).toBe(true);
      expect(cache.get("d-enforce-baseline")).toEqual({
        ...NAMESPACES["d-enforce-baseline"],
        "kubernetes.io/metadata.name": "d-enforce-baseline",
      });
      expect(cache.get("no-such-namespace")).toBeUndefined();
      const r = await c.api("POST", "/api/v1/namespaces", {
        apiVersion: "v1",
        kind: "Namespace",
        metadata: { name: "d-watched", labels: { [`${P}enforce`]: "restricted" } },
      });
      expect(r.status).toBe(201);
      // Delivered by the watch: poll the cache (bounded), never the server.
      for (let i = 0; i < 100 && cache.get("d-watched") === undefined; i++)
        await new Promise((x) => setTimeout(x, 100));
      expect(cache.get("d-watched")).toMatchObject({ [`${P}enforce`]: "restricted" });
    } finally {
      await cache.stop();
    }
  }, 60_000);
});
