/**
 * Runtime events through a real `palisade serve` (startServe on 127.0.0.1, real HTTP): every ingest format, line
 * errors by number, attribution from the stored snapshots, alerts stored deduplicated, routed once to a webhook
 * receiver this suite runs, listed with filters and team confinement, counted on /metrics. One suite, run on a
 * SQLite file in the unit run and on PostgreSQL in integration.
 */
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { openStores } from "../../src/adapters/store/index.js";
import { type RunningServer, startServe } from "../../src/apps/server/serve.js";

const T0 = Date.parse("2026-12-04T09:00:00.000Z");
const MIN = 60_000;
const ADMIN = "runtime-admin-token-0123456789";
const iso = (t: number) => new Date(t).toISOString();

/** A kubectl List: namespace shop (team payments) with Deployment web, its ReplicaSet and one pod at 10.1.0.7. */
const SNAPSHOT = JSON.stringify({
  apiVersion: "v1",
  kind: "List",
  items: [
    { apiVersion: "v1", kind: "Namespace", metadata: { name: "shop", labels: { team: "payments" } } },
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web", namespace: "shop", uid: "d-web" },
      spec: {
        selector: { matchLabels: { app: "web" } },
        template: {
          metadata: { labels: { app: "web" } },
          spec: { containers: [{ name: "web", image: "registry.example/web:1" }] },
        },
      },
    },
    {
      apiVersion: "apps/v1",
      kind: "ReplicaSet",
      metadata: {
        name: "web-7d9f",
        namespace: "shop",
        uid: "rs-web",
        ownerReferences: [
          { apiVersion: "apps/v1", kind: "Deployment", name: "web", uid: "d-web", controller: true },
        ],
      },
      spec: { template: { spec: { containers: [{ name: "web", image: "registry.example/web:1" }] } } },
    },
    {
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        name: "web-7d9f-aaaaa",
        namespace: "shop",
        uid: "u-web",
        labels: { app: "web" },
        ownerReferences: [
          { apiVersion: "apps/v1", kind: "ReplicaSet", name: "web-7d9f", uid: "rs-web", controller: true },
        ],
      },
      spec: { nodeName: "n1", containers: [{ name: "web", image: "registry.example/web:1" }] },
      status: {
        phase: "Running",
        podIP: "10.1.0.7",
        podIPs: [{ ip: "10.1.0.7" }],
        startTime: iso(T0 - 30 * MIN),
      },
    },
  ],
});

const hubble = (at: number, src: string, dst: string, port: number) =>
  JSON.stringify({
    flow: {
      time: iso(at),
      verdict: "FORWARDED",
      IP: { source: src, destination: dst },
      l4: { TCP: { source_port: 40000, destination_port: port } },
    },
    node_name: "n1",
    time: iso(at),
  });

/** An audit Event as the webhook backend sends it in an EventList (items without kind/apiVersion). */
const execItem = (at: number, pod: string) => ({
  level: "Metadata",
  auditID: `exec-${pod}-${at}`,
  stage: "ResponseComplete",
  requestURI: `/api/v1/namespaces/shop/pods/${pod}/exec?command=sh`,
  verb: "create",
  user: { username: "alice@example.com", groups: ["system:authenticated"] },
  objectRef: { resource: "pods", namespace: "shop", name: pod, apiVersion: "v1", subresource: "exec" },
  responseStatus: { metadata: {}, code: 101 },
  requestReceivedTimestamp: iso(at),
  stageTimestamp: iso(at + 100),
});

interface Receiver {
  url: string;
  bodies: unknown[];
  close(): Promise<void>;
  /** Resolves once `n` bodies have arrived. */
  waitFor(n: number): Promise<void>;
}

async function webhookReceiver(): Promise<Receiver> {
  const bodies: unknown[] = [];
  const waiters: { n: number; done: () => void }[] = [];
  const server: Server = createServer((req, res) => {
    let text = "";
    req.setEncoding("utf8");
    req.on("data", (c: string) => {
      text += c;
    });
    req.on("end", () => {
      bodies.push(JSON.parse(text));
      res.writeHead(204).end();
      for (const w of waiters.splice(0))
        if (bodies.length >= w.n) w.done();
        else waiters.push(w);
    });
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    bodies,
    close: () => new Promise((done) => server.close(() => done())),
    waitFor: (n) =>
      bodies.length >= n ? Promise.resolve() : new Promise((done) => waiters.push({ n, done })),
  };
}

export function describeRuntimeApi(name: string, db: (dir: string) => string): void {
  describe(`runtime events through palisade serve on ${name}`, () => {
    const dir = mkdtempSync(join(tmpdir(), "palisade-runtime-api-"));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));
    const running: { server: RunningServer; receiver: Receiver }[] = [];
    afterEach(async () => {
      for (const r of running.splice(0)) {
        await r.server.close();
        await r.receiver.close();
      }
    });

    let n = 0;
    async function serve(
      limits?: { maxEventBytes?: number },
      runtime: { feedRefreshMs?: number; baselineWindowMs?: number } = {},
    ) {
      const receiver = await webhookReceiver();
      const feed = join(dir, `feed-${n}.txt`);
      writeFileSync(feed, "# known bad\n203.0.113.0/24\nevil.example\n");
      const clock = { t: new Date(T0) };
      const location = db(join(dir, `r${n++}.db`));
      const server = await startServe({
        listen: "127.0.0.1:0",
        db: location,
        adminToken: ADMIN,
        now: () => clock.t,
        logger: false,
        limits,
        runtime: { feeds: [feed], webhooks: [receiver.url], ...runtime },
      });
      running.push({ server, receiver });
      const call = async (
        method: string,
        path: string,
        body?: string | Buffer,
        headers: Record<string, string> = {},
        token = ADMIN,
      ) => {
        const res = await fetch(`${server.url}${path}`, {
          method,
          headers: { authorization: `Bearer ${token}`, ...headers },
          ...(body === undefined ? {} : { body }),
        });
        const text = await res.text();
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        return { status: res.status, json: json as Record<string, unknown> & { items?: unknown[] }, text };
      };
      const token = async (role: string, team?: string) =>
        (
          await call("POST", "/api/v1/tokens", JSON.stringify({ role, ...(team ? { team } : {}) }), {
            "content-type": "application/json",
          })
        ).json.token as string;
      expect(
        (
          await call("POST", "/api/v1/clusters/prod/snapshots", SNAPSHOT, {
            "content-type": "application/json",
          })
        ).status,
      ).toBe(200);
      return { server, receiver, call, token, clock, feed, location };
    }

    it("Hubble JSON lines: flows attributed with the stored snapshot, a feed hit stored once, routed once; bad lines named by number", async () => {
      const { call, receiver } = await serve();
      const lines = [
        "// hubble observe -o json",
        hubble(T0 + MIN, "10.1.0.7", "203.0.113.9", 443),
        "{not json",
        hubble(T0 + 2 * MIN, "10.1.0.7", "10.1.0.99", 80),
        '{"flow":{"time":"2026-12-04T09:0',
        "",
      ].join("\n");
      const r = await call("POST", "/api/v1/clusters/prod/events/hubble", lines, {
        "content-type": "application/x-ndjson",
      });
      expect(r.status).toBe(200);
      expect(r.json).toMatchObject({
        cluster: "prod",
        source: "hubble",
        lines: 5,
        received: 4,
        accepted: 2,
        dropped: 2,
        errors: [
          { line: 3, reason: "invalid-json", message: expect.any(String) },
          { line: 5, reason: "invalid-json", message: expect.any(String) },
        ],
        alerts: { new: 1, merged: 0, total: 1 },
      });
      const alerts = await call("GET", "/api/v1/alerts?cluster=prod");
      expect(alerts.json.items).toEqual([
        expect.objectContaining({
          cluster: "prod",
          ruleId: "PAL-RT-FEED-001",
          severity: expect.any(String),
          firstSeen: iso(T0 + MIN),
          lastSeen: iso(T0 + MIN),
          count: 1,
          alert: expect.objectContaining({
            workload: { kind: "Deployment", namespace: "shop", name: "web" },
            team: "payments",
            time: iso(T0 + MIN),
          }),
        }),
      ]);
      await receiver.waitFor(1);
      expect(receiver.bodies[0]).toMatchObject({
        version: 1,
        alerts: [expect.objectContaining({ ruleId: "PAL-RT-FEED-001" })],
      });
      // The same flow again, gzipped: merged into the stored alert, not routed again.
      const again = await call(
        "POST",
        "/api/v1/clusters/prod/events/hubble",
        gzipSync(hubble(T0 + 5 * MIN, "10.1.0.7", "203.0.113.9", 443)),
        { "content-type": "application/x-ndjson", "content-encoding": "gzip" },
      );
      expect(again.json).toMatchObject({ accepted: 1, dropped: 0, alerts: { new: 0, merged: 1, total: 1 } });
      const after = (await call("GET", "/api/v1/alerts?cluster=prod&rule=PAL-RT-FEED-001")).json.items;
      expect(after).toEqual([expect.objectContaining({ count: 2, lastSeen: iso(T0 + 5 * MIN) })]);
      // Deliveries go out in order: the next new alert is the second body, so the merged one was never sent.
      const list = {
        kind: "EventList",
        apiVersion: "audit.k8s.io/v1",
        items: [execItem(T0 + 7 * MIN, "web-7d9f-aaaaa")],
      };
      await call("POST", "/api/v1/clusters/prod/events/k8s-audit", JSON.stringify(list), {
        "content-type": "application/json",
      });
      await receiver.waitFor(2);
      expect(receiver.bodies).toHaveLength(2);
      expect(receiver.bodies[1]).toMatchObject({
        alerts: [expect.objectContaining({ ruleId: "PAL-RT-AUDIT-004" })],
      });
    });

    it("the webhook audit backend: an EventList (gzip) gives one record per item, a bad item named by its number", async () => {
      const { call, receiver } = await serve();
      const list = {
        kind: "EventList",
        apiVersion: "audit.k8s.io/v1",
        metadata: {},
        items: [execItem(T0 + MIN, "web-7d9f-aaaaa"), { stage: 7 }, execItem(T0 + 2 * MIN, "web-7d9f-aaaaa")],
      };
      const r = await call("POST", "/api/v1/clusters/prod/events/k8s-audit", gzipSync(JSON.stringify(list)), {
        "content-type": "application/json",
        "content-encoding": "gzip",
      });
      expect(r.status).toBe(200);
      expect(r.json).toMatchObject({
        lines: 3,
        received: 3,
        accepted: 2,
        dropped: 1,
        alerts: { new: 1, total: 1 },
      });
      expect((r.json.errors as { line: number }[]).map((e) => e.line)).toEqual([2]);
      const items = (await call("GET", "/api/v1/alerts?cluster=prod&rule=PAL-RT-AUDIT-004")).json.items;
      expect(items).toEqual([
        expect.objectContaining({ ruleId: "PAL-RT-AUDIT-004", count: 2, firstSeen: iso(T0 + MIN + 100) }),
      ]);
      await receiver.waitFor(1);
    });

    it("Falco's HTTP output: one JSON event per request (pretty-printed too), and JSON lines", async () => {
      const { call } = await serve();
      const falco = (at: number) => ({
        hostname: "n1",
        output: "Notice A shell was spawned in a container with an attached terminal",
        priority: "Notice",
        rule: "Terminal shell in container",
        source: "syscall",
        time: iso(at),
        output_fields: { "k8s.ns.name": "shop", "k8s.pod.name": "web-7d9f-aaaaa", "proc.cmdline": "bash" },
      });
      const one = await call(
        "POST",
        "/api/v1/clusters/prod/events/falco",
        JSON.stringify(falco(T0 + MIN), null, 2),
        {
          "content-type": "application/json",
        },
      );
      expect(one.json).toMatchObject({ lines: 1, received: 1, accepted: 1, dropped: 0 });
      const many = await call(
        "POST",
        "/api/v1/clusters/prod/events/auto",
        `${JSON.stringify(falco(T0 + 2 * MIN))}\n${JSON.stringify(falco(T0 + 3 * MIN))}\n`,
        { "content-type": "application/json" },
      );
      expect(many.json).toMatchObject({ lines: 2, received: 2, accepted: 2, dropped: 0 });
    });

    it("flow logs as CSV (text/csv) and as a JSON array; a row that is not a flow is named", async () => {
      const { call } = await serve();
      const csv = [
        "time,src,dst,protocol,bytes,verdict",
        `${iso(T0 + MIN)},10.1.0.7:40000,203.0.113.50:443,tcp,1200,allowed`,
        `${iso(T0 + MIN)},nonsense,,tcp,x,allowed`,
      ].join("\n");
      const r = await call("POST", "/api/v1/clusters/prod/events/flowlog", csv, {
        "content-type": "text/csv",
      });
      expect(r.status).toBe(200);
      expect(r.json).toMatchObject({ lines: 3, received: 2, accepted: 1, dropped: 1, alerts: { new: 1 } });
      expect((r.json.errors as { line: number }[]).map((e) => e.line)).toEqual([3]);
      const arr = JSON.stringify([
        {
          time: iso(T0 + 2 * MIN),
          src: "10.1.0.7:40001",
          dst: "10.1.0.8:80",
          protocol: "tcp",
          bytes: 1,
          verdict: "allowed",
        },
      ]);
      const j = await call("POST", "/api/v1/clusters/prod/events/flowlog", arr, {
        "content-type": "application/json",
      });
      expect(j.json).toMatchObject({ lines: 1, accepted: 1, dropped: 0 });
    });

    it("a cluster without a snapshot: events are read, the answer says nothing was attributed", async () => {
      const { call } = await serve();
      const r = await call(
        "POST",
        "/api/v1/clusters/staging/events/hubble",
        hubble(T0, "10.1.0.7", "10.1.0.8", 80),
        {
          "content-type": "application/x-ndjson",
        },
      );
      expect(r.json).toMatchObject({
        accepted: 1,
        coverage: [expect.stringContaining("no snapshot of cluster staging")],
      });
    });

    it("ingest needs an ingest token; alerts are read with a read token, a team-viewer sees its team only", async () => {
      const { call, token } = await serve();
      const body = hubble(T0 + MIN, "10.1.0.7", "203.0.113.9", 443);
      const ct = { "content-type": "application/x-ndjson" };
      const ingest = await token("ingest");
      const security = await token("security");
      const payments = await token("team-viewer", "payments");
      const other = await token("team-viewer", "other");
      expect((await call("POST", "/api/v1/clusters/prod/events/hubble", body, ct, "nope")).status).toBe(401);
      expect((await call("POST", "/api/v1/clusters/prod/events/hubble", body, ct, security)).status).toBe(
        403,
      );
      expect((await call("POST", "/api/v1/clusters/prod/events/hubble", body, ct, ingest)).status).toBe(200);
      expect((await call("GET", "/api/v1/alerts", undefined, {}, ingest)).status).toBe(403);
      expect((await call("GET", "/api/v1/alerts", undefined, {}, security)).json.items).toHaveLength(1);
      expect((await call("GET", "/api/v1/alerts", undefined, {}, payments)).json.items).toHaveLength(1);
      expect((await call("GET", "/api/v1/alerts", undefined, {}, other)).json.items).toHaveLength(0);
      expect((await call("GET", "/api/v1/alerts?team=payments", undefined, {}, other)).status).toBe(403);
      expect((await call("GET", "/api/v1/alerts?severity=urgent")).status).toBe(400);
      expect(
        (await call("GET", "/api/v1/alerts?namespace=shop&severity=critical,high,medium,low")).json.items,
      ).toHaveLength(1);
    });

    it("refuses what it cannot read as a whole (unknown source, bad gzip, too large, other encodings) and counts it", async () => {
      const { call } = await serve({ maxEventBytes: 4096 });
      const ct = { "content-type": "application/x-ndjson" };
      expect((await call("POST", "/api/v1/clusters/prod/events/syslog", "x", ct)).status).toBe(400);
      expect(
        (
          await call("POST", "/api/v1/clusters/prod/events/hubble", "not gzip", {
            ...ct,
            "content-encoding": "gzip",
          })
        ).status,
      ).toBe(400);
      expect(
        (await call("POST", "/api/v1/clusters/prod/events/hubble", "x", { ...ct, "content-encoding": "br" }))
          .status,
      ).toBe(415);
      expect((await call("POST", "/api/v1/clusters/prod/events/hubble", "x".repeat(5000), ct)).status).toBe(
        413,
      );
      const bomb = gzipSync(Buffer.alloc(100_000, 0x20));
      expect(
        (
          await call("POST", "/api/v1/clusters/prod/events/hubble", bomb, {
            ...ct,
            "content-encoding": "gzip",
          })
        ).status,
      ).toBe(413);
      expect(
        (await call("POST", "/api/v1/tokens", "role=admin", { "content-type": "text/plain" })).status,
      ).toBe(415);
      const metrics = (await call("GET", "/metrics")).text;
      expect(metrics).toContain(
        'palisade_events_dropped_total{source="hubble",stage="request",reason="bad-gzip"} 1',
      );
      expect(metrics).toContain(
        'palisade_events_dropped_total{source="hubble",stage="request",reason="too-large"} 2',
      );
    });

    it("counts every stage per source on /metrics, and alerts by rule; the routes are in the OpenAPI document", async () => {
      const { call, receiver } = await serve();
      await call(
        "POST",
        "/api/v1/clusters/prod/events/hubble",
        `${hubble(T0 + MIN, "10.1.0.7", "203.0.113.9", 443)}\nbad\n`,
        {
          "content-type": "application/x-ndjson",
        },
      );
      await receiver.waitFor(1);
      const m = (await call("GET", "/metrics")).text;
      for (const line of [
        'palisade_events_received_total{source="hubble",stage="read"} 2',
        'palisade_events_received_total{source="hubble",stage="parse"} 2',
        'palisade_events_accepted_total{source="hubble",stage="parse"} 1',
        'palisade_events_dropped_total{source="hubble",stage="parse",reason="invalid-json"} 1',
        'palisade_events_accepted_total{source="hubble",stage="enrich"} 1',
        'palisade_alerts_total{rule="PAL-RT-FEED-001",severity="high",result="new"} 1',
        'palisade_alert_deliveries_total{sink="webhook",result="delivered"} 1',
      ])
        expect(m).toContain(line);
      const doc = (await call("GET", "/api/v1/openapi.json")).json as {
        paths: Record<string, Record<string, unknown>>;
      };
      expect(Object.keys(doc.paths["/api/v1/clusters/{cluster}/events/{source}"] ?? {})).toEqual(["post"]);
      expect(Object.keys(doc.paths["/api/v1/alerts"] ?? {})).toEqual(["get"]);
    });

    it("threat feeds are polled again while the server runs: addresses added to the file alert from then on", async () => {
      const { call, feed } = await serve(undefined, { feedRefreshMs: 100 });
      const ct = { "content-type": "application/x-ndjson" };
      const post = (k: number) =>
        call(
          "POST",
          "/api/v1/clusters/prod/events/hubble",
          hubble(T0 + k * MIN, "10.1.0.7", "192.0.2.44", 443),
          ct,
        );
      expect((await post(1)).json).toMatchObject({ accepted: 1, alerts: { new: 0 } });
      writeFileSync(feed, "# known bad\n203.0.113.0/24\nevil.example\n192.0.2.0/24 added later\n");
      let k = 2;
      let r = await post(k);
      // No wall-clock assertion: poll until the refresher has read the new list (generous deadline).
      const deadline = Date.now() + 60_000;
      while ((r.json.alerts as { new: number }).new === 0 && Date.now() < deadline) {
        await new Promise((done) => setTimeout(done, 100));
        r = await post(++k);
      }
      expect(r.json).toMatchObject({ alerts: { new: 1 } });
      const items = (await call("GET", "/api/v1/alerts?rule=PAL-RT-FEED-001")).json.items;
      expect(items).toEqual([expect.objectContaining({ count: 1, firstSeen: iso(T0 + k * MIN) })]);
    });

    it("with a baseline window: behaviour learned over the window, new behaviour after it is drift; baselines kept in the store", async () => {
      const { call, server, location } = await serve(undefined, { baselineWindowMs: 2 * MIN });
      const ct = { "content-type": "application/x-ndjson" };
      const learn = [1, 2].map((k) => hubble(T0 + k * MIN, "10.1.0.7", "203.0.113.1", 443)).join("\n");
      await call("POST", "/api/v1/clusters/prod/events/hubble", learn, ct);
      const r = await call(
        "POST",
        "/api/v1/clusters/prod/events/hubble",
        hubble(T0 + 10 * MIN, "10.1.0.7", "198.51.100.7", 22),
        ct,
      );
      expect(r.json).toMatchObject({ accepted: 1 });
      const drift = (await call("GET", "/api/v1/alerts?rule=PAL-RT-DRIFT-002")).json.items;
      expect(drift).toEqual([
        expect.objectContaining({
          severity: "info",
          alert: expect.objectContaining({
            workload: { kind: "Deployment", namespace: "shop", name: "web" },
          }),
        }),
      ]);
      await server.close();
      const stores = await openStores(location);
      try {
        const { baselines } = await stores.baselines.listBaselines("prod");
        expect(baselines.map((b) => [b.workload.name, b.state])).toEqual([["web", "observing"]]);
      } finally {
        await stores.close();
      }
    });

    it("baselines are per cluster: the same namespace/workload in another cluster learns on its own, and both are kept apart in the store", async () => {
      const { call, server, location } = await serve(undefined, { baselineWindowMs: 2 * MIN });
      const ct = { "content-type": "application/x-ndjson" };
      const json = { "content-type": "application/json" };
      // Cluster stage holds the same namespace shop, Deployment web and pod address as prod.
      expect((await call("POST", "/api/v1/clusters/stage/snapshots", SNAPSHOT, json)).status).toBe(200);
      const learn = [1, 2].map((k) => hubble(T0 + k * MIN, "10.1.0.7", "203.0.113.1", 443)).join("\n");
      await call("POST", "/api/v1/clusters/prod/events/hubble", learn, ct);
      // prod's window is over at T0+10min; stage's web sees its first event then: it learns, no drift.
      const ssh = hubble(T0 + 10 * MIN, "10.1.0.7", "198.51.100.7", 22);
      expect((await call("POST", "/api/v1/clusters/stage/events/hubble", ssh, ct)).json).toMatchObject({
        accepted: 1,
      });
      expect((await call("GET", "/api/v1/alerts?rule=PAL-RT-DRIFT-002")).json.items).toEqual([]);
      // The same flow in prod is drift (prod learned only 203.0.113.1:443), stored under prod only.
      await call("POST", "/api/v1/clusters/prod/events/hubble", ssh, ct);
      const drift = (await call("GET", "/api/v1/alerts?rule=PAL-RT-DRIFT-002")).json.items as {
        cluster: string;
      }[];
      expect(drift.map((a) => a.cluster)).toEqual(["prod"]);
      expect((await call("GET", "/api/v1/alerts?rule=PAL-RT-DRIFT-002&cluster=stage")).json.items).toEqual(
        [],
      );
      await server.close();
      const stores = await openStores(location);
      try {
        expect(await stores.baselines.baselineClusters()).toEqual(["prod", "stage"]);
        const peers = async (cluster: string) =>
          (await stores.baselines.listBaselines(cluster)).baselines.map((b) => ({
            workload: b.workload,
            learningFrom: b.learningFrom,
            peers: Object.keys(b.peers),
          }));
        const web = { kind: "Deployment", namespace: "shop", name: "web" };
        expect(await peers("prod")).toEqual([
          { workload: web, learningFrom: T0 + MIN, peers: ["egress cidr:203.0.113.0/24 TCP/443"] },
        ]);
        expect(await peers("stage")).toEqual([
          { workload: web, learningFrom: T0 + 10 * MIN, peers: ["egress cidr:198.51.100.0/24 TCP/22"] },
        ]);
      } finally {
        await stores.close();
      }
    });
  });
}
