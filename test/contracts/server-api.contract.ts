/**
 * The server's HTTP API against one store backend: every route with allowed and denied callers, snapshot ingest
 * with first/last seen and resolution, team confinement, limits. Run with SQLite and memory in the unit run and
 * PostgreSQL in integration (the store contract style: one suite, every backend).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import type { FastifyInstance } from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import type { Stores } from "../../src/adapters/store/index.js";
import { issueToken, memoryTokenStore, type Role, type TokenStore } from "../../src/apps/server/auth.js";
import { bundledDemoDir, loadDemo } from "../../src/apps/server/demo.js";
import { openApiPath } from "../../src/apps/server/schemas.js";
import { buildServer } from "../../src/apps/server/server.js";
import { toCycloneDx } from "../../src/core/sbom/index.js";
import { decisionRecord } from "../../src/services/admission/index.js";
import { fleetImpact, loadFleetView } from "../../src/services/fleet/index.js";
import { wideImpactSnapshot } from "../support/wide-impact.js";

/** A CycloneDX SBOM of an image with one layer and no packages (what `palisade sbom -o cyclonedx` writes). */
const IMAGE_SBOM = JSON.stringify(
  toCycloneDx(
    {
      subject: { kind: "image", name: "registry.example/app:1", digest: `sha256:${"b".repeat(64)}` },
      layers: [{ diffId: `sha256:${"c".repeat(64)}` }],
      packages: [],
      image: { manifestDigest: `sha256:${"b".repeat(64)}`, configDigest: `sha256:${"d".repeat(64)}` },
    },
    { now: new Date("2026-01-01T00:00:00.000Z") },
  ),
);

const ADVISORY = readFileSync(join(bundledDemoDir(), "advisories", "DEBIAN-CVE-2099-0001.json"), "utf8");

const EXCEPTION = JSON.stringify({
  namespaces: ["shop"],
  rules: ["PAL-POD-*"],
  reason: "the shop runs privileged until the migration",
  expires: "2026-06-30",
  owner: "alpha",
});

/** A pod that fires posture rules (privileged, root, no limits) in `ns`. */
function pod(ns: string, name: string, privileged: boolean): Record<string, unknown> {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: ns, uid: `uid-${ns}-${name}` },
    spec: {
      containers: [
        {
          name: "app",
          image: "registry.example/app@sha256:" + "a".repeat(64),
          securityContext: privileged ? { privileged: true } : { runAsNonRoot: true },
        },
      ],
    },
  };
}

function namespace(name: string, team: string): Record<string, unknown> {
  return { apiVersion: "v1", kind: "Namespace", metadata: { name, labels: { team } } };
}

/** `kubectl get -A -o json` output. */
export function snapshotList(items: Record<string, unknown>[]): string {
  return JSON.stringify({ apiVersion: "v1", kind: "List", items, metadata: { resourceVersion: "" } });
}

export const TWO_TEAMS = snapshotList([
  namespace("shop", "alpha"),
  namespace("pay", "beta"),
  pod("shop", "web", true),
  pod("pay", "api", true),
]);

export const TWO_TEAMS_PAY_FIXED = snapshotList([
  namespace("shop", "alpha"),
  namespace("pay", "beta"),
  pod("shop", "web", true),
  pod("pay", "api", false),
]);

interface Harness {
  app: FastifyInstance;
  stores: Stores;
  tokens: TokenStore;
  token: Record<Role | "viewerAlpha" | "viewerBeta", string>;
  clock: { t: Date };
}

export function describeServerApi(name: string, open: () => Promise<Stores>): void {
  describe(`server API on ${name}`, () => {
    const opened: Harness[] = [];
    afterEach(async () => {
      for (const h of opened.splice(0)) {
        await h.app.close();
        await h.stores.close();
      }
    });

    async function harness(limits?: { maxBodyBytes?: number; maxSnapshotBytes?: number }): Promise<Harness> {
      const stores = await open();
      const tokens = memoryTokenStore();
      const clock = { t: new Date("2026-01-01T00:00:00.000Z") };
      const at = new Date("2026-01-01T00:00:00.000Z");
      const token = {
        admin: (await issueToken(tokens, { role: "admin" }, at)).token,
        security: (await issueToken(tokens, { role: "security" }, at)).token,
        ingest: (await issueToken(tokens, { role: "ingest" }, at)).token,
        "team-viewer": (await issueToken(tokens, { role: "team-viewer", team: "alpha" }, at)).token,
        viewerAlpha: (await issueToken(tokens, { role: "team-viewer", team: "alpha" }, at)).token,
        viewerBeta: (await issueToken(tokens, { role: "team-viewer", team: "beta" }, at)).token,
      };
      const app = buildServer({ stores, now: () => clock.t, auth: { tokens }, limits });
      const h = { app, stores, tokens, token, clock };
      opened.push(h);
      return h;
    }

    const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

    async function push(h: Harness, body: string | Buffer, headers: Record<string, string> = {}) {
      return h.app.inject({
        method: "POST",
        url: "/api/v1/clusters/prod/snapshots",
        headers: { "content-type": "application/json", ...bearer(h.token.ingest), ...headers },
        payload: body,
      });
    }

    it("health and readiness answer without a token", async () => {
      const h = await harness();
      expect((await h.app.inject({ url: "/healthz" })).json()).toEqual({ status: "ok" });
      const r = await h.app.inject({ url: "/readyz" });
      expect(r.statusCode).toBe(200);
      expect(r.json()).toEqual({ status: "ready" });
    });

    it("ingests a snapshot, then tracks first seen, last seen and resolution across snapshots", async () => {
      const h = await harness();
      const r1 = await push(h, TWO_TEAMS);
      expect(r1.statusCode, r1.body).toBe(200);
      const s1 = r1.json();
      expect(s1).toMatchObject({
        cluster: "prod",
        observedAt: "2026-01-01T00:00:00.000Z",
        objects: 4,
        snapshot: { opened: 4, closed: 0, unchanged: 0 },
      });
      expect(s1.findings.opened).toBe(s1.findings.total);
      expect(s1.findings.total).toBeGreaterThan(0);

      const before = await h.app.inject({
        url: "/api/v1/findings?limit=1000",
        headers: bearer(h.token.security),
      });
      const privileged = (
        before.json().items as { finding: { ruleId: string; resource: { namespace: string } } }[]
      )
        .filter((f) => f.finding.resource.namespace === "pay")
        .map((f) => f.finding.ruleId);
      expect(privileged.length).toBeGreaterThan(0);

      h.clock.t = new Date("2026-01-02T00:00:00.000Z");
      const r2 = await push(h, gzipSync(TWO_TEAMS_PAY_FIXED), { "content-encoding": "gzip" });
      expect(r2.statusCode, r2.body).toBe(200);
      const s2 = r2.json();
      expect(s2.snapshot).toEqual({ opened: 1, closed: 1, unchanged: 3 });
      expect(s2.findings.resolved).toBeGreaterThan(0);
      expect(s2.findings.opened + s2.findings.updated + s2.findings.reopened).toBe(s2.findings.total);

      const all = await h.app.inject({ url: "/api/v1/findings?limit=1000", headers: bearer(h.token.admin) });
      const items = all.json().items as {
        finding: { id: string; resource: { namespace?: string } };
        firstSeen: string;
        lastSeen: string;
        resolvedAt?: string;
      }[];
      const shop = items.filter((f) => f.finding.resource.namespace === "shop");
      expect(shop.length).toBeGreaterThan(0);
      for (const f of shop) {
        expect(f.firstSeen).toBe("2026-01-01T00:00:00.000Z");
        expect(f.lastSeen).toBe("2026-01-02T00:00:00.000Z");
        expect(f.resolvedAt).toBeUndefined();
      }
      expect(items.some((f) => f.resolvedAt === "2026-01-02T00:00:00.000Z")).toBe(true);

      const open = await h.app.inject({
        url: "/api/v1/findings?open=true&limit=1000",
        headers: bearer(h.token.admin),
      });
      expect((open.json().items as { resolvedAt?: string }[]).every((f) => f.resolvedAt === undefined)).toBe(
        true,
      );

      const one = shop[0];
      if (one === undefined) throw new Error("no finding in shop");
      const got = await h.app.inject({
        url: `/api/v1/findings/${one.finding.id}`,
        headers: bearer(h.token.security),
      });
      expect(got.statusCode).toBe(200);
      expect(got.json()).toEqual(one);
      const missing = await h.app.inject({ url: "/api/v1/findings/nope", headers: bearer(h.token.security) });
      expect(missing.statusCode).toBe(404);
    });

    it("filters by cluster, namespace and severity, and pages", async () => {
      const h = await harness();
      expect((await push(h, TWO_TEAMS)).statusCode).toBe(200);
      const q = async (qs: string) =>
        (await h.app.inject({ url: `/api/v1/findings?${qs}`, headers: bearer(h.token.security) })).json() as {
          items: { cluster: string; finding: { severity: string; resource: { namespace?: string } } }[];
          next?: string;
        };
      const all = await q("limit=1000");
      expect((await q("cluster=other")).items).toEqual([]);
      expect((await q("namespace=pay&limit=1000")).items).toEqual(
        all.items.filter((f) => f.finding.resource.namespace === "pay"),
      );
      expect((await q("severity=critical,high&limit=1000")).items).toEqual(
        all.items.filter((f) => f.finding.severity === "critical" || f.finding.severity === "high"),
      );
      const paged: unknown[] = [];
      let page = await q("limit=2");
      for (;;) {
        paged.push(...page.items);
        if (page.next === undefined) break;
        page = await q(`limit=2&after=${encodeURIComponent(page.next)}`);
      }
      expect(paged).toEqual(all.items);
      const bad = await h.app.inject({
        url: "/api/v1/findings?severity=urgent",
        headers: bearer(h.token.security),
      });
      expect(bad.statusCode).toBe(400);
      const extra = await h.app.inject({
        url: "/api/v1/findings?bogus=1",
        headers: bearer(h.token.security),
      });
      expect(extra.statusCode).toBe(400);
    });

    it("a team-viewer token never sees another team's findings", async () => {
      const h = await harness();
      expect((await push(h, TWO_TEAMS)).statusCode).toBe(200);
      const all = (
        await h.app.inject({ url: "/api/v1/findings?limit=1000", headers: bearer(h.token.admin) })
      ).json().items as { finding: { id: string; team?: string } }[];
      expect(all.some((f) => f.finding.team === "beta")).toBe(true);
      for (const [tok, team] of [
        [h.token.viewerAlpha, "alpha"],
        [h.token.viewerBeta, "beta"],
      ] as const) {
        const seen: { finding: { team?: string } }[] = [];
        let next: string | undefined;
        do {
          const r = await h.app.inject({
            url: `/api/v1/findings?limit=1${next ? `&after=${encodeURIComponent(next)}` : ""}`,
            headers: bearer(tok),
          });
          expect(r.statusCode).toBe(200);
          seen.push(...r.json().items);
          next = r.json().next;
        } while (next !== undefined);
        expect(seen.length).toBeGreaterThan(0);
        expect(seen.every((f) => f.finding.team === team)).toBe(true);
        expect(seen).toEqual(all.filter((f) => f.finding.team === team));
        const other = team === "alpha" ? "beta" : "alpha";
        const asked = await h.app.inject({ url: `/api/v1/findings?team=${other}`, headers: bearer(tok) });
        expect(asked.statusCode).toBe(403);
        const theirs = all.find((f) => f.finding.team === other);
        if (theirs === undefined) throw new Error(`no finding of ${other}`);
        const byId = await h.app.inject({
          url: `/api/v1/findings/${theirs.finding.id}`,
          headers: bearer(tok),
        });
        expect(byId.statusCode).toBe(404);
      }
    });

    it("refuses a body over the size cap (413), before and after gzip, and bad input (400)", async () => {
      const h = await harness({ maxBodyBytes: 4096, maxSnapshotBytes: 8192 });
      const big = snapshotList(
        Array.from({ length: 200 }, (_, i) => ({
          apiVersion: "v1",
          kind: "ConfigMap",
          metadata: { name: `c${i}`, namespace: "x" },
        })),
      );
      expect(Buffer.byteLength(big)).toBeGreaterThan(8192);
      expect((await push(h, big)).statusCode).toBe(413);
      const gz = gzipSync(big);
      expect(gz.length).toBeLessThan(4096);
      const r = await push(h, gz, { "content-encoding": "gzip" });
      expect(r.statusCode).toBe(413);
      expect(r.json().error.code).toBe("LIMIT");
      expect((await push(h, Buffer.from("not gzip"), { "content-encoding": "gzip" })).statusCode).toBe(400);
      expect((await push(h, "{}", { "content-encoding": "br" })).statusCode).toBe(415);
      const badName = await h.app.inject({
        method: "POST",
        url: "/api/v1/clusters/Bad_Name/snapshots",
        headers: { "content-type": "application/json", ...bearer(h.token.ingest) },
        payload: TWO_TEAMS,
      });
      expect(badName.statusCode).toBe(400);
    });

    it("refuses a snapshot cut short (a truncated gzip stream) whole: the previous snapshot's findings stay open", async () => {
      const h = await harness();
      expect((await push(h, TWO_TEAMS)).statusCode).toBe(200);
      const open = async () =>
        (
          await h.app.inject({ url: "/api/v1/findings?open=true&limit=1000", headers: bearer(h.token.admin) })
        ).json().items.length as number;
      const before = await open();
      expect(before).toBeGreaterThan(0);
      const gz = gzipSync(TWO_TEAMS_PAY_FIXED);
      const r = await push(h, gz.subarray(0, Math.floor(gz.length / 2)), { "content-encoding": "gzip" });
      expect(r.statusCode).toBe(400);
      expect(r.json().error).toEqual({ code: "INPUT", message: "body is not valid gzip" });
      expect(await open()).toBe(before);
    });

    it("overview: per team, counted by the server; a team-viewer gets its own team only", async () => {
      const h = await harness();
      expect((await push(h, TWO_TEAMS)).statusCode).toBe(200);
      h.clock.t = new Date("2026-01-02T00:00:00.000Z");
      expect((await push(h, TWO_TEAMS_PAY_FIXED)).statusCode).toBe(200);
      const all = await h.app.inject({ url: "/api/v1/findings?limit=1000", headers: bearer(h.token.admin) });
      const items = all.json().items as { finding: { team?: string }; resolvedAt?: string }[];
      const count = (team: string, open: boolean) =>
        items.filter((f) => f.finding.team === team && (f.resolvedAt === undefined) === open).length;
      const overview = await h.app.inject({ url: "/api/v1/overview", headers: bearer(h.token.admin) });
      expect(overview.statusCode, overview.body).toBe(200);
      const o = overview.json() as { findings: number; latest: string; teams: Record<string, unknown>[] };
      expect(o.findings).toBe(items.length);
      expect(o.latest).toBe("2026-01-02T00:00:00.000Z");
      const beta = o.teams.find((t) => t.team === "beta");
      expect(beta).toMatchObject({
        open: count("beta", true),
        resolved: count("beta", false),
        mttrSeconds: 86400,
      });
      expect(beta?.trend).toEqual([null, null, null, 86400]);
      expect(o.teams.find((t) => t.team === "alpha")).toMatchObject({
        open: count("alpha", true),
        resolved: 0,
      });
      const mine = await h.app.inject({ url: "/api/v1/overview", headers: bearer(h.token.viewerAlpha) });
      expect((mine.json() as { teams: { team?: string }[] }).teams.map((t) => t.team)).toEqual(["alpha"]);
      const other = await h.app.inject({
        url: "/api/v1/overview?team=beta",
        headers: bearer(h.token.viewerAlpha),
      });
      expect(other.statusCode).toBe(403);
    });

    it("reports ingests and latency in /metrics", async () => {
      const h = await harness();
      await push(h, TWO_TEAMS);
      const m = await h.app.inject({ url: "/metrics", headers: bearer(h.token.security) });
      expect(m.statusCode).toBe(200);
      expect(m.body).toContain('palisade_snapshots_ingested_total{result="accepted"} 1');
      expect(m.body).toContain("palisade_snapshot_objects_ingested_total 4");
      expect(m.body).toMatch(
        /palisade_http_request_duration_seconds_count\{method="POST",route="\/api\/v1\/clusters\/:cluster\/snapshots",status="200"\} 1/,
      );
      // Store latency per store and operation: the ingest wrote a snapshot and an evaluation.
      expect(m.body).toMatch(
        /palisade_store_operation_duration_seconds_count\{store="snapshots",operation="putSnapshot",result="ok"\} 1/,
      );
      expect(m.body).toMatch(
        /palisade_store_operation_duration_seconds_count\{store="findings",operation="upsertEvaluation",result="ok"\} 1/,
      );
    });

    // Who may call what: each route with a caller allowed and every caller denied (no token, a wrong token,
    // roles without the access).
    const READERS = ["admin", "security", "team-viewer"] as const;
    const CASES: {
      method: "GET" | "POST";
      url: string;
      path: string;
      allowed: readonly (Role | "none")[];
      /** The POST body (default: a snapshot). */
      payload?: string;
    }[] = [
      { method: "GET", url: "/api/v1/clusters", path: "/api/v1/clusters", allowed: READERS },
      { method: "GET", url: "/api/v1/vulnerabilities", path: "/api/v1/vulnerabilities", allowed: READERS },
      {
        method: "GET",
        url: "/api/v1/vulnerabilities/:id/impact",
        path: "/api/v1/vulnerabilities/CVE-2099-0001/impact",
        allowed: READERS,
      },
      { method: "GET", url: "/api/v1/images", path: "/api/v1/images", allowed: READERS },
      { method: "GET", url: "/api/v1/images/tree", path: "/api/v1/images/tree", allowed: READERS },
      { method: "GET", url: "/api/v1/workloads", path: "/api/v1/workloads", allowed: READERS },
      { method: "GET", url: "/api/v1/plan", path: "/api/v1/plan", allowed: READERS },
      { method: "GET", url: "/api/v1/remediations", path: "/api/v1/remediations", allowed: READERS },
      { method: "GET", url: "/api/v1/rbac/paths", path: "/api/v1/rbac/paths", allowed: READERS },
      {
        method: "GET",
        url: "/api/v1/netpol/connectivity",
        path: "/api/v1/netpol/connectivity",
        allowed: READERS,
      },
      { method: "GET", url: "/api/v1/risk", path: "/api/v1/risk", allowed: READERS },
      { method: "GET", url: "/api/v1/exceptions", path: "/api/v1/exceptions", allowed: READERS },
      {
        method: "POST",
        url: "/api/v1/exceptions",
        path: "/api/v1/exceptions",
        allowed: ["admin", "security"],
        payload: EXCEPTION,
      },
      {
        method: "POST",
        url: "/api/v1/exceptions/:id/revoke",
        path: "/api/v1/exceptions/exc_0123456789abcdef/revoke",
        allowed: ["admin", "security"],
        payload: JSON.stringify({ reason: "no longer needed" }),
      },
      { method: "GET", url: "/api/v1/overview", path: "/api/v1/overview", allowed: READERS },
      { method: "GET", url: "/api/v1/audit", path: "/api/v1/audit", allowed: ["admin", "security"] },
      { method: "GET", url: "/api/v1/whoami", path: "/api/v1/whoami", allowed: READERS },
      {
        method: "GET",
        url: "/api/v1/admission/decisions",
        path: "/api/v1/admission/decisions",
        allowed: ["admin", "security"],
      },
      {
        method: "POST",
        url: "/api/v1/tokens",
        path: "/api/v1/tokens",
        allowed: ["admin"],
        payload: JSON.stringify({ role: "team-viewer", team: "alpha" }),
      },
      {
        method: "POST",
        url: "/api/v1/images",
        path: "/api/v1/images?ref=registry.example/app:1",
        allowed: ["admin", "ingest"],
        payload: IMAGE_SBOM,
      },
      {
        method: "POST",
        url: "/api/v1/advisories",
        path: "/api/v1/advisories",
        allowed: ["admin", "ingest"],
        payload: ADVISORY,
      },
      {
        method: "GET",
        url: "/healthz",
        path: "/healthz",
        allowed: ["none", "admin", "security", "ingest", "team-viewer"],
      },
      {
        method: "GET",
        url: "/readyz",
        path: "/readyz",
        allowed: ["none", "admin", "security", "ingest", "team-viewer"],
      },
      {
        method: "GET",
        url: "/api/v1/openapi.json",
        path: "/api/v1/openapi.json",
        allowed: ["none", "admin", "security", "ingest", "team-viewer"],
      },
      { method: "GET", url: "/metrics", path: "/metrics", allowed: ["admin", "security", "team-viewer"] },
      {
        method: "GET",
        url: "/api/v1/findings",
        path: "/api/v1/findings",
        allowed: ["admin", "security", "team-viewer"],
      },
      {
        method: "GET",
        url: "/api/v1/findings/:id",
        path: "/api/v1/findings/x",
        allowed: ["admin", "security", "team-viewer"],
      },
      {
        method: "POST",
        url: "/api/v1/clusters/:cluster/snapshots",
        path: "/api/v1/clusters/prod/snapshots",
        allowed: ["admin", "ingest"],
      },
      {
        method: "POST",
        url: "/api/v1/clusters/:cluster/events/:source",
        path: "/api/v1/clusters/prod/events/auto",
        allowed: ["admin", "ingest"],
      },
      {
        method: "GET",
        url: "/api/v1/alerts",
        path: "/api/v1/alerts",
        allowed: ["admin", "security", "team-viewer"],
      },
    ];

    it("shows the admission decisions the webhook recorded, newest first, filtered and paged", async () => {
      const h = await harness();
      const d = (n: number, allowed: boolean, namespace: string, rules: string[]) => ({
        at: new Date(Date.UTC(2026, 0, 1, 0, 0, n)),
        uid: `u${n}`,
        endpoint: "validate",
        allowed,
        evaluated: "pod",
        operation: "CREATE",
        kind: "Pod",
        namespace,
        name: `p${n}`,
        user: "alice",
        rules,
        details: { message: allowed ? null : "denied", warnings: [], violations: [] },
      });
      await h.stores.admissionDecisions.append([
        d(1, true, "shop", []),
        d(2, false, "shop", ["pss/privileged"]),
        d(3, false, "payments", ["image/forbidden-tag"]),
      ]);
      const get = async (q: string) => {
        const r = await h.app.inject({
          url: `/api/v1/admission/decisions${q}`,
          headers: bearer(h.token.security),
        });
        expect(r.statusCode, r.body).toBe(200);
        return r.json() as { items: { uid: string; at: string; rules: string[] }[]; next?: string };
      };
      const all = await get("");
      expect(all.items.map((i) => i.uid)).toEqual(["u3", "u2", "u1"]);
      expect(all.items[0]).toMatchObject({ at: "2026-01-01T00:00:03.000Z", rules: ["image/forbidden-tag"] });
      expect((await get("?allowed=false&namespace=shop")).items.map((i) => i.uid)).toEqual(["u2"]);
      expect((await get("?rule=image/forbidden-tag")).items.map((i) => i.uid)).toEqual(["u3"]);
      const first = await get("?limit=2");
      expect(first.items.map((i) => i.uid)).toEqual(["u3", "u2"]);
      expect((await get(`?limit=2&after=${first.next}`)).items.map((i) => i.uid)).toEqual(["u1"]);
      const bad = await h.app.inject({
        url: "/api/v1/admission/decisions?allowed=perhaps",
        headers: bearer(h.token.security),
      });
      expect(bad.statusCode).toBe(400);
    });

    it("shows a decision the webhook recorded (stored compact) with its message, warnings and violations as answered", async () => {
      const h = await harness();
      const violations = [
        { rule: "pss/privileged", mode: "enforce" as const, fieldPath: "spec", message: "privileged" },
        {
          rule: "image/forbidden-tag",
          mode: "enforce" as const,
          fieldPath: "spec.containers[0].image",
          message: 'image "nginx:latest" uses the forbidden tag "latest"',
          exception: { id: "legacy", reason: "migrating" },
        },
        {
          rule: "posture/PAL-POD-037",
          mode: "enforce" as const,
          fieldPath: "spec.containers[0]",
          message: "no probe",
        },
      ];
      const message =
        'pods "web" is forbidden: violates PodSecurity "baseline:v1.30": privileged; palisade policy: spec.containers[0]: no probe [posture/PAL-POD-037]';
      await h.stores.admissionDecisions.append([
        decisionRecord(
          {
            uid: "u9",
            allowed: false,
            status: { status: "Failure", code: 403, reason: "Forbidden", message },
            warnings: [],
            auditAnnotations: {},
            violations,
            evaluated: "pod",
            dryRun: false,
          },
          {
            kind: { group: "", version: "v1", kind: "Pod" },
            namespace: "shop",
            name: "web",
            operation: "CREATE",
            userInfo: { username: "alice", groups: [] },
          },
          "validate",
          new Date(Date.UTC(2026, 0, 1)),
        ),
      ]);
      const r = await h.app.inject({ url: "/api/v1/admission/decisions", headers: bearer(h.token.security) });
      expect(r.statusCode, r.body).toBe(200);
      expect((r.json() as { items: { details: unknown }[] }).items.map((i) => i.details)).toEqual([
        {
          message,
          warnings: [],
          dryRun: false,
          exemption: null,
          violations: violations.map((v) => ({ exception: null, ...v })),
        },
      ]);
    });

    it("every route in the OpenAPI document has an allowed-and-denied case, and every case is a route", async () => {
      const h = await harness();
      const doc = (await h.app.inject({ url: "/api/v1/openapi.json" })).json() as {
        openapi: string;
        paths: Record<string, Record<string, { "x-palisade-access": string }>>;
      };
      expect(doc.openapi).toBe("3.1.0");
      const documented = Object.entries(doc.paths)
        .flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`))
        .sort();
      expect(documented).toEqual(CASES.map((c) => `${c.method} ${openApiPath(c.url)}`).sort());
      for (const c of CASES) expect(h.app.hasRoute({ method: c.method, url: c.url })).toBe(true);
    });

    for (const c of CASES) {
      it(`${c.method} ${c.url}: allowed ${c.allowed.join(", ")}; every other caller refused`, async () => {
        const h = await harness();
        const callers: [Role | "none" | "wrong", Record<string, string>][] = [
          ["none", {}],
          ["wrong", bearer("pal_not-a-token")],
          ["admin", bearer(h.token.admin)],
          ["security", bearer(h.token.security)],
          ["ingest", bearer(h.token.ingest)],
          ["team-viewer", bearer(h.token["team-viewer"])],
        ];
        for (const [who, headers] of callers) {
          const r = await h.app.inject({
            method: c.method,
            url: c.path,
            headers: { ...headers, ...(c.method === "POST" ? { "content-type": "application/json" } : {}) },
            ...(c.method === "POST" ? { payload: c.payload ?? TWO_TEAMS } : {}),
          });
          const allowed =
            (c.allowed as readonly string[]).includes(who) || (c.allowed.includes("none") && who === "wrong");
          if (allowed) expect([200, 201, 404], `${who}: ${r.body}`).toContain(r.statusCode);
          else expect(r.statusCode, `${who}`).toBe(who === "none" || who === "wrong" ? 401 : 403);
        }
      });
    }

    it("every read route answers a team-viewer with its own team's data only (the demo: team-a and team-b)", async () => {
      const h = await harness();
      await loadDemo(h.stores, bundledDemoDir(), () => h.clock.t);
      const a = (await issueToken(h.tokens, { role: "team-viewer", team: "team-a" }, h.clock.t)).token;
      const routes = [
        "/api/v1/findings?limit=1000",
        "/api/v1/vulnerabilities?limit=1000",
        "/api/v1/vulnerabilities/CVE-2099-0001/impact",
        "/api/v1/images?limit=1000",
        "/api/v1/images/tree",
        "/api/v1/workloads?limit=1000",
        "/api/v1/plan",
        "/api/v1/remediations?limit=1000",
        "/api/v1/rbac/paths?limit=1000",
        "/api/v1/netpol/connectivity?limit=1000",
        "/api/v1/risk?limit=1000",
        "/api/v1/clusters",
      ];
      // What the admin sees of team-b, on the routes that hold workloads of both teams: the check below can fail.
      const seesB = new Set([
        "/api/v1/findings?limit=1000",
        "/api/v1/vulnerabilities/CVE-2099-0001/impact",
        "/api/v1/images?limit=1000",
        "/api/v1/workloads?limit=1000",
        "/api/v1/remediations?limit=1000",
      ]);
      for (const url of routes) {
        const admin = await h.app.inject({ url, headers: bearer(h.token.admin) });
        expect(admin.statusCode, `${url}: ${admin.body}`).toBe(200);
        if (seesB.has(url)) expect(admin.body, url).toMatch(/team-b/);
        const mine = await h.app.inject({ url, headers: bearer(a) });
        expect(mine.statusCode, `${url}: ${mine.body}`).toBe(200);
        expect(mine.body, url).not.toMatch(/team-b/);
        expect(mine.body, url).not.toMatch(/"namespace":"search"/);
        const other = await h.app.inject({
          url: `${url}${url.includes("?") ? "&" : "?"}team=team-b`,
          headers: bearer(a),
        });
        expect(other.statusCode, url).toBe(403);
      }
      const impact = (
        await h.app.inject({ url: "/api/v1/vulnerabilities/CVE-2099-0001/impact", headers: bearer(a) })
      ).json() as { teams: string[]; workloads: { items: unknown[]; total: number }; fixAt: unknown[] };
      expect(impact.teams).toEqual(["team-a"]);
      expect(impact.workloads.items.length).toBeGreaterThan(0);
      expect(impact.workloads.total).toBe(impact.workloads.items.length);
      expect(impact.fixAt.length).toBeGreaterThan(0);
    });

    describe("a vulnerability's impact, its workloads a page at a time", () => {
      const CVE = "CVE-2099-0001";
      const url = (q: string) => `/api/v1/vulnerabilities/${CVE}/impact${q}`;
      interface Workload {
        ref: { namespace?: string; name: string };
        cluster?: string;
        team?: string;
      }
      interface Page {
        workloads: { items: Workload[]; next?: string; total: number };
        totals: { workloads: number; replicas: number };
        [k: string]: unknown;
      }

      /** The demo, and 130 more workloads running its vulnerable digest in cluster prod (team-a and team-b). */
      async function wide(): Promise<Harness> {
        const h = await harness();
        await loadDemo(h.stores, bundledDemoDir(), () => h.clock.t);
        const r = await push(h, wideImpactSnapshot(130));
        expect(r.statusCode, r.body).toBe(200);
        return h;
      }

      /** Every page from `?limit=` on, following `next`; each page's summary must be the first page's. */
      async function walk(h: Harness, token: string, q: string): Promise<{ first: Page; items: Workload[] }> {
        let first: Page | undefined;
        const items: Workload[] = [];
        let after: string | undefined;
        for (let pages = 0; pages < 1000; pages++) {
          const r = await h.app.inject({
            url: url(`?${q}${after === undefined ? "" : `&after=${after}`}`),
            headers: bearer(token),
          });
          expect(r.statusCode, r.body).toBe(200);
          const page = r.json() as Page;
          const { workloads, ...summary } = page;
          if (first === undefined) first = page;
          else expect(summary, `page after ${after}`).toEqual({ ...first, workloads: undefined });
          expect(workloads.total).toBe(page.totals.workloads);
          items.push(...workloads.items);
          after = workloads.next;
          if (after === undefined) return { first: first as Page, items };
          expect(workloads.items.length, "a page with a next is full").toBe(
            Number(q.match(/limit=(\d+)/)?.[1]),
          );
        }
        throw new Error("the pages did not end");
      }

      it("walking every page gives exactly the unpaginated workloads, in order, with the summary whole on each page", async () => {
        const h = await wide();
        const view = await loadFleetView({ stores: h.stores, now: () => h.clock.t });
        const whole = fleetImpact(view.index, CVE, {});
        // The demo's own workloads on the CVE, and the 130 pushed.
        expect(whole.workloads.length).toBeGreaterThan(130);
        for (const limit of [1, 7, 100, 1000]) {
          const { first, items } = await walk(h, h.token.security, `limit=${limit}`);
          expect(items, `limit=${limit}`).toEqual(whole.workloads);
          const { workloads: _all, ...summary } = whole;
          expect({ ...first, workloads: undefined }).toEqual({ ...summary, workloads: undefined });
        }
        // Without ?limit: the other lists' default of 100, the next page's cursor, and every total of the fleet.
        const page = (await h.app.inject({ url: url(""), headers: bearer(h.token.admin) })).json() as Page;
        expect(page.workloads.items).toEqual(whole.workloads.slice(0, 100));
        expect(page.workloads).toMatchObject({ next: "100", total: whole.workloads.length });
        expect(page.totals).toEqual(whole.totals);
        expect(page.byCluster).toEqual(whole.byCluster);
        const last = (
          await h.app.inject({ url: url("?after=100"), headers: bearer(h.token.admin) })
        ).json() as Page;
        expect(last.workloads.items).toEqual(whole.workloads.slice(100));
        expect(last.workloads.next).toBeUndefined();
        const beyond = (
          await h.app.inject({ url: url("?after=100000"), headers: bearer(h.token.admin) })
        ).json() as Page;
        expect(beyond.workloads).toEqual({ items: [], total: whole.workloads.length });
      });

      it("a team viewer's pages hold its own team's workloads only, all of them, with its own totals", async () => {
        const h = await wide();
        const a = (await issueToken(h.tokens, { role: "team-viewer", team: "team-a" }, h.clock.t)).token;
        const view = await loadFleetView({ stores: h.stores, now: () => h.clock.t });
        const mine = fleetImpact(view.index, CVE, { team: "team-a" });
        expect(mine.workloads.length).toBeGreaterThan(65);
        for (const limit of [3, 50]) {
          const { first, items } = await walk(h, a, `limit=${limit}`);
          expect(items).toEqual(mine.workloads);
          expect(items.every((w) => w.team === "team-a" && w.ref.namespace !== "wide-b")).toBe(true);
          expect(first.totals).toEqual(mine.totals);
          expect(JSON.stringify(first)).not.toMatch(/team-b|wide-b|"namespace":"search"/);
        }
        for (let after = 0; after < mine.workloads.length; after += 10) {
          const r = await h.app.inject({ url: url(`?limit=10&after=${after}`), headers: bearer(a) });
          expect(r.body).not.toMatch(/team-b|wide-b/);
        }
        // Asking for another team's page is refused, whatever the cursor.
        const other = await h.app.inject({ url: url("?team=team-b&limit=10&after=10"), headers: bearer(a) });
        expect(other.statusCode).toBe(403);
        expect(other.body).not.toMatch(/wide-b/);
      });

      it("a page is refused to callers without read access, and a malformed page request is a 400", async () => {
        const h = await wide();
        const paged = url("?limit=10&after=10");
        const status = async (headers: Record<string, string>, u = paged) =>
          (await h.app.inject({ url: u, headers })).statusCode;
        expect(await status({})).toBe(401);
        expect(await status(bearer("pal_not-a-token"))).toBe(401);
        expect(await status(bearer(h.token.ingest))).toBe(403);
        const a = (await issueToken(h.tokens, { role: "team-viewer", team: "team-a" }, h.clock.t)).token;
        for (const t of [h.token.admin, h.token.security, a]) expect(await status(bearer(t))).toBe(200);
        for (const q of ["?limit=0", "?limit=1001", "?limit=x", "?after=-1", "?after=abc", "?cursor=1"])
          expect(await status(bearer(h.token.admin), url(q)), q).toBe(400);
      });
    });

    it("whoami: each token's id, role and team, never the token; the audit log is read by admin and security only", async () => {
      const h = await harness();
      const who = async (token: string) => {
        const r = await h.app.inject({ url: "/api/v1/whoami", headers: bearer(token) });
        expect(r.statusCode, r.body).toBe(200);
        expect(r.body).not.toContain(token);
        return r.json() as Record<string, unknown>;
      };
      expect(await who(h.token.admin)).toEqual({
        id: expect.stringMatching(/^tok_[0-9a-f]{16}$/),
        role: "admin",
      });
      expect(await who(h.token.security)).toEqual({
        id: expect.stringMatching(/^tok_[0-9a-f]{16}$/),
        role: "security",
      });
      expect(await who(h.token.viewerBeta)).toEqual({
        id: expect.stringMatching(/^tok_[0-9a-f]{16}$/),
        role: "team-viewer",
        team: "beta",
      });
      const made = await h.app.inject({
        method: "POST",
        url: "/api/v1/exceptions",
        headers: { "content-type": "application/json", ...bearer(h.token.security) },
        payload: JSON.stringify({ rules: ["PAL-POD-001"], reason: "audited", expires: "2026-02-01" }),
      });
      expect(made.statusCode, made.body).toBe(201);
      const security = (await who(h.token.security)).id;
      const trail = await h.app.inject({ url: "/api/v1/audit", headers: bearer(h.token.security) });
      expect(trail.statusCode, trail.body).toBe(200);
      expect(
        (trail.json() as { items: { actor: string; action: string; subject: string }[] }).items.map((e) => [
          e.actor,
          e.action,
          e.subject,
        ]),
      ).toEqual([[security, "exception.create", (made.json() as { id: string }).id]]);
      for (const t of [h.token.viewerAlpha, h.token.ingest])
        expect((await h.app.inject({ url: "/api/v1/audit", headers: bearer(t) })).statusCode).toBe(403);
    });

    it("vulnerabilities ?image=: those one image carries (its base's included); a team-viewer gets none of another team's image", async () => {
      const h = await harness();
      await loadDemo(h.stores, bundledDemoDir(), () => h.clock.t);
      const a = (await issueToken(h.tokens, { role: "team-viewer", team: "team-a" }, h.clock.t)).token;
      const images = (
        await h.app.inject({ url: "/api/v1/images?limit=1000", headers: bearer(h.token.admin) })
      ).json() as { items: { digest: string; refs: string[] }[] };
      const digest = (ref: string) => {
        const d = images.items.find((i) => i.refs.includes(ref))?.digest;
        if (d === undefined) throw new Error(`the demo has no image ${ref}`);
        return d;
      };
      const ids = async (token: string, image: string) => {
        const r = await h.app.inject({
          url: `/api/v1/vulnerabilities?image=${encodeURIComponent(image)}`,
          headers: bearer(token),
        });
        expect(r.statusCode, r.body).toBe(200);
        return (r.json() as { items: { id: string; severity: string }[] }).items.map((v) => [
          v.id,
          v.severity,
        ]);
      };
      const checkout = digest("registry.example/team-a/checkout:2.0");
      const search = digest("registry.example/team-b/search:1.0");
      // checkout:2.0 carries the critical of its base (base-runtime:1.4) and a high of its own.
      const checkoutVulns = [
        ["CVE-2099-0001", "critical"],
        ["CVE-2099-0002", "high"],
        ["CVE-2099-0003", "low"],
      ];
      expect(await ids(h.token.admin, checkout)).toEqual(checkoutVulns);
      expect(await ids(h.token.admin, search)).toEqual([
        ["CVE-2099-0001", "critical"],
        ["CVE-2099-0003", "low"],
      ]);
      expect(await ids(a, checkout)).toEqual(checkoutVulns);
      // team-b's image: nothing, not even the vulnerabilities team-a shares with it.
      expect(await ids(a, search)).toEqual([]);
      expect(await ids(h.token.admin, "sha256:0000")).toEqual([]);
    });

    it("exceptions: created with reason, scope and expiry, listed, audited, applied from the next snapshot", async () => {
      const h = await harness();
      expect((await push(h, TWO_TEAMS)).statusCode).toBe(200);
      const shopBefore = (
        await h.app.inject({
          url: "/api/v1/findings?namespace=shop&open=true",
          headers: bearer(h.token.admin),
        })
      ).json().items as { finding: { ruleId: string } }[];
      expect(shopBefore.some((f) => f.finding.ruleId.startsWith("PAL-POD-"))).toBe(true);
      const bad = await h.app.inject({
        method: "POST",
        url: "/api/v1/exceptions",
        headers: { ...bearer(h.token.security), "content-type": "application/json" },
        payload: JSON.stringify({ namespaces: ["shop"], reason: "x" }),
      });
      expect(bad.statusCode).toBe(400);
      const past = await h.app.inject({
        method: "POST",
        url: "/api/v1/exceptions",
        headers: { ...bearer(h.token.security), "content-type": "application/json" },
        payload: JSON.stringify({ namespaces: ["shop"], reason: "x", expires: "2025-01-01" }),
      });
      expect(past.statusCode).toBe(400);
      const made = await h.app.inject({
        method: "POST",
        url: "/api/v1/exceptions",
        headers: { ...bearer(h.token.security), "content-type": "application/json" },
        payload: EXCEPTION,
      });
      expect(made.statusCode, made.body).toBe(201);
      const created = made.json() as { id: string; createdBy: string; exception: Record<string, unknown> };
      expect(created.exception).toEqual(JSON.parse(EXCEPTION));
      const listed = await h.app.inject({ url: "/api/v1/exceptions", headers: bearer(h.token.viewerAlpha) });
      expect(listed.json().items.map((e: { id: string }) => e.id)).toEqual([created.id]);
      const beta = await h.app.inject({ url: "/api/v1/exceptions", headers: bearer(h.token.viewerBeta) });
      expect(beta.json().items).toEqual([]);
      const audit = await h.app.inject({ url: "/api/v1/audit", headers: bearer(h.token.admin) });
      expect(
        (audit.json().items as { action: string; subject: string; actor: string }[]).map((e) => [
          e.action,
          e.subject,
          e.actor,
        ]),
      ).toEqual([["exception.create", created.id, created.createdBy]]);
      h.clock.t = new Date("2026-01-02T00:00:00.000Z");
      expect((await push(h, TWO_TEAMS)).statusCode).toBe(200);
      const shopAfter = (
        await h.app.inject({
          url: "/api/v1/findings?namespace=shop&open=true",
          headers: bearer(h.token.admin),
        })
      ).json().items as { finding: { ruleId: string } }[];
      expect(shopAfter.some((f) => f.finding.ruleId.startsWith("PAL-POD-"))).toBe(false);
      const resolved = await h.app.inject({
        url: "/api/v1/findings?resolvedSince=2026-01-02T00:00:00.000Z&limit=1000",
        headers: bearer(h.token.admin),
      });
      expect(resolved.json().items.length).toBeGreaterThan(0);
      const fresh = await h.app.inject({
        url: "/api/v1/findings?since=2026-01-02T00:00:00.000Z",
        headers: bearer(h.token.admin),
      });
      expect(fresh.json().items).toEqual([]);

      // Revoked: listed as not in force with who and why, audited, and the next snapshot reports the findings again.
      h.clock.t = new Date("2026-01-03T00:00:00.000Z");
      const revoke = (headers: Record<string, string>) =>
        h.app.inject({
          method: "POST",
          url: `/api/v1/exceptions/${created.id}/revoke`,
          headers: { ...headers, "content-type": "application/json" },
          payload: JSON.stringify({ reason: "the migration is done" }),
        });
      expect((await revoke(bearer(h.token.viewerAlpha))).statusCode).toBe(403);
      const ended = await revoke(bearer(h.token.security));
      expect(ended.statusCode, ended.body).toBe(200);
      const revokedBy = { at: "2026-01-03T00:00:00.000Z", reason: "the migration is done" };
      expect(ended.json()).toMatchObject({ id: created.id, active: false, revoked: revokedBy });
      expect((await revoke(bearer(h.token.admin))).statusCode).toBe(409);
      const inForce = await h.app.inject({
        url: "/api/v1/exceptions?active=true",
        headers: bearer(h.token.admin),
      });
      expect(inForce.json().items).toEqual([]);
      const trail = (await h.app.inject({ url: "/api/v1/audit", headers: bearer(h.token.admin) })).json()
        .items as { action: string; subject: string; details: unknown }[];
      expect(trail.map((e) => [e.action, e.subject, e.details])).toEqual([
        ["exception.create", created.id, expect.anything()],
        ["exception.revoke", created.id, { reason: "the migration is done" }],
      ]);
      expect((await push(h, TWO_TEAMS)).statusCode).toBe(200);
      const shopAgain = (
        await h.app.inject({
          url: "/api/v1/findings?namespace=shop&open=true",
          headers: bearer(h.token.admin),
        })
      ).json().items as { finding: { ruleId: string } }[];
      expect(shopAgain.some((f) => f.finding.ruleId.startsWith("PAL-POD-"))).toBe(true);
    });

    it("tokens issued through the API work at once and are audited; images and advisories pushed are listed", async () => {
      const h = await harness();
      const r = await h.app.inject({
        method: "POST",
        url: "/api/v1/tokens",
        headers: { ...bearer(h.token.admin), "content-type": "application/json" },
        payload: JSON.stringify({ role: "ingest" }),
      });
      expect(r.statusCode, r.body).toBe(201);
      const { token, id } = r.json() as { token: string; id: string };
      const img = await h.app.inject({
        method: "POST",
        url: "/api/v1/images?ref=registry.example/app:1",
        headers: { ...bearer(token), "content-type": "application/json" },
        payload: IMAGE_SBOM,
      });
      expect(img.statusCode, img.body).toBe(200);
      const adv = await h.app.inject({
        method: "POST",
        url: "/api/v1/advisories",
        headers: { ...bearer(token), "content-type": "application/json" },
        payload: `[${ADVISORY}, {"id": 3}]`,
      });
      expect(adv.statusCode, adv.body).toBe(200);
      expect(adv.json()).toMatchObject({ received: 2, written: 1, rejected: [{ index: 1 }] });
      const images = await h.app.inject({ url: "/api/v1/images", headers: bearer(h.token.security) });
      expect(images.json().items.map((i: { refs: string[] }) => i.refs)).toEqual([
        ["registry.example/app:1"],
      ]);
      const audit = (await h.app.inject({ url: "/api/v1/audit", headers: bearer(h.token.admin) })).json()
        .items as { action: string; actor: string }[];
      expect(audit.map((e) => [e.action, e.actor])).toEqual([
        ["token.create", expect.stringMatching(/^tok_/)],
        ["image.add", id],
        ["advisories.import", id],
      ]);
    });
  });
}
