import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../../../../test/support/cli.js";
import { openStores } from "../../../adapters/store/index.js";
import { clusterSnapshots, hubbleFlow, MIN, T0 } from "../../../services/runtime/__fixtures__/cluster.js";

const dir = mkdtempSync(join(tmpdir(), "palisade-events-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const write = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

/** The fixture cluster's snapshots as `kubectl get -o json` List files. */
function snapshotFlags(): string[] {
  return clusterSnapshots().flatMap((s, i) => [
    "--snapshot",
    `${new Date(s.at).toISOString()}=${write(`s${i}.json`, JSON.stringify({ apiVersion: "v1", kind: "List", items: s.inventory.objects.map((o) => o.raw) }))}`,
  ]);
}

describe("palisade events ingest", () => {
  it("enriches events from a file and stdin, with open vulnerabilities from a SQLite store", async () => {
    const db = join(dir, "p.db");
    const stores = await openStores(db);
    await stores.remediation.update(() => ({
      records: [
        {
          key: "CVE-2026-0001|fam",
          vulnerabilityId: "CVE-2026-0001",
          aliases: [],
          family: "fam",
          severity: "high",
          package: "openssl",
          fixedVersions: [],
          fixImage: "",
          state: "open",
          openedAt: "2026-12-01T00:00:00.000Z",
          updatedAt: "2026-12-01T00:00:00.000Z",
          stateSince: "2026-12-01T00:00:00.000Z",
          reopenCount: 0,
          patchedImages: [],
          totals: { workloads: 1, replicas: 1, vulnerableReplicas: 1, fixedReplicas: 0 },
          rollouts: [
            {
              cluster: "",
              workloads: 1,
              replicas: 1,
              vulnerableReplicas: 1,
              fixedReplicas: 0,
              state: "vulnerable",
            },
          ],
          workloads: [
            {
              key: "/shop/Deployment/db",
              ref: { apiVersion: "apps/v1", kind: "Deployment", namespace: "shop", name: "db" },
              replicas: 1,
              vulnerableReplicas: 1,
              fixedReplicas: 0,
              present: true,
            },
          ],
          history: [{ state: "open", at: "2026-12-01T00:00:00.000Z" }],
        },
      ],
      result: undefined,
    }));
    await stores.close();
    const file = write(
      "flows.jsonl",
      `// hubble observe -o json\n${hubbleFlow(T0 + MIN, "10.1.0.7", "10.1.0.9", 5432)}\n{"flow":`,
    );
    const r = await runCli(["events", "ingest", ...snapshotFlags(), "--db", db, file, "-"], {
      stdin: `${hubbleFlow(T0 + 8 * MIN, "10.1.0.7", "10.1.0.9", 5432)}\n`,
    });
    const out = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(out.map((e) => [e.src.workload.name, e.dst.workload.name, e.dst.vulns])).toEqual([
      ["web", "db", ["CVE-2026-0001"]],
      ["batch", "db", ["CVE-2026-0001"]],
    ]);
    expect(r.stderr).toContain(`palisade: ${file}:3: not valid JSON (truncated line?)`);
    expect(r.stderr).toContain(`palisade: ${file}: 3 line(s), 2 record(s): 1 accepted, 1 dropped`);
    expect(r.stderr).toContain("palisade: -: 1 line(s), 1 record(s): 1 accepted, 0 dropped");
    expect(r.stderr).toContain("palisade: stage parse: received 3, accepted 2, dropped 1 (invalid-json 1)");
    // A dropped record makes the run incomplete.
    expect(r.code).toBe(2);
  });

  it("exits 0 with a summary only when nothing was dropped", async () => {
    const file = write("ok.jsonl", `${hubbleFlow(T0 + MIN, "10.1.0.7", "10.1.0.9", 5432)}\n`);
    const r = await runCli(["events", "ingest", ...snapshotFlags(), "-o", "none", file]);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("stage enrich: received 1, accepted 1, dropped 0");
    expect(r.code).toBe(0);
  });

  it("refuses a bad --network as a usage error", async () => {
    const r = await runCli(["events", "ingest", "--network", "corp=10.0.0.0/33", "-"]);
    expect(r.stderr).toContain('not a CIDR: "10.0.0.0/33"');
    expect(r.code).toBe(2);
  });
});

describe("palisade events alerts", () => {
  const exec = (t: string, stage = "ResponseComplete") =>
    JSON.stringify({
      kind: "Event",
      apiVersion: "audit.k8s.io/v1",
      stage,
      verb: "create",
      user: { username: "alice@example.com" },
      objectRef: { resource: "pods", subresource: "exec", namespace: "shop", name: "web-7d9f-aaaaa" },
      responseStatus: { code: 101 },
      stageTimestamp: t,
    });

  it("deduplicates repeats of one alert with first/last seen and a count; exit 1 on alerts", async () => {
    const file = write(
      "audit.log",
      [
        exec("2026-12-04T10:05:00Z"),
        exec("2026-12-04T10:00:00Z", "ResponseStarted"),
        exec("2026-12-04T10:00:00Z"),
      ].join("\n"),
    );
    const r = await runCli(["events", "alerts", "-o", "json", file]);
    expect(JSON.parse(r.stdout)).toEqual([
      {
        ruleId: "PAL-RT-AUDIT-004",
        title: "Exec or attach into a pod",
        severity: "medium",
        category: "audit",
        time: Date.parse("2026-12-04T10:00:00Z"),
        evidence: "alice@example.com exec into shop/web-7d9f-aaaaa",
        origin: { source: "k8s-audit", file, line: 3 },
        key: "alice@example.com\u0000pods/exec\u0000shop\u0000web-7d9f-aaaaa",
        user: "alice@example.com",
        resource: { resource: "pods/exec", namespace: "shop", name: "web-7d9f-aaaaa" },
        remediation: expect.stringContaining("ephemeral containers"),
        firstSeen: Date.parse("2026-12-04T10:00:00Z"),
        lastSeen: Date.parse("2026-12-04T10:05:00Z"),
        count: 2,
      },
    ]);
    expect(r.code).toBe(1);
  });
});

describe("palisade events alerts --baseline-window, events baseline", () => {
  const exec = (at: number, binary: string) =>
    JSON.stringify({
      process_exec: { process: { binary, pod: { namespace: "shop", name: "web-7d9f-aaaaa" } } },
      node_name: "n1",
      time: new Date(at).toISOString(),
    });

  it("learns in one run, reports drift while observing, and alerts once promoted; state kept in SQLite", async () => {
    const db = join(dir, "baselines.db");
    const learn = write(
      "learn.jsonl",
      [exec(T0, "/app/server"), exec(T0 + MIN, "/bin/healthcheck")].join("\n"),
    );
    const r1 = await runCli([
      "events",
      "alerts",
      ...snapshotFlags(),
      "--db",
      db,
      "--baseline-window",
      "5m",
      learn,
    ]);
    expect(r1.stdout).toBe("No alerts.\n");
    expect(r1.code).toBe(0);

    const later = write(
      "later.jsonl",
      [exec(T0 + 6 * MIN, "/bin/sh"), exec(T0 + 7 * MIN, "/app/server")].join("\n"),
    );
    const r2 = await runCli([
      "events",
      "alerts",
      ...snapshotFlags(),
      "--db",
      db,
      "--baseline-window",
      "5m",
      "-o",
      "json",
      later,
    ]);
    expect(r2.stderr).toContain(
      "palisade: baseline Deployment shop/web: learning -> observing at 2026-12-04T09:05:00.000Z",
    );
    expect(
      JSON.parse(r2.stdout).map((a: { ruleId: string; severity: string }) => [a.ruleId, a.severity]),
    ).toEqual([["PAL-RT-DRIFT-001", "info"]]);

    const list = await runCli(["events", "baseline", "list", "--db", db, "-o", "json"]);
    expect(JSON.parse(list.stdout)).toMatchObject([
      {
        workload: { kind: "Deployment", namespace: "shop", name: "web" },
        state: "observing",
        observations: 2,
      },
    ]);
    const p = await runCli(["events", "baseline", "promote", "shop/web", "--db", db]);
    expect(p.stdout).toMatch(/^Deployment shop\/web: observing -> enforcing \(confidence [0-9.]+\)\n$/);

    const r3 = await runCli([
      "events",
      "alerts",
      ...snapshotFlags(),
      "--db",
      db,
      "--baseline-window",
      "5m",
      "-o",
      "json",
      later,
    ]);
    const alerts = JSON.parse(r3.stdout);
    expect(alerts).toMatchObject([
      {
        ruleId: "PAL-RT-DRIFT-001",
        severity: "high",
        workload: { name: "web" },
        team: "payments",
        exposed: true,
      },
    ]);
    expect(r3.code).toBe(1);

    await runCli(["events", "baseline", "accept", "shop/web", "--process", "/bin/sh", "--db", db]);
    const r4 = await runCli([
      "events",
      "alerts",
      ...snapshotFlags(),
      "--db",
      db,
      "--baseline-window",
      "5m",
      later,
    ]);
    expect(r4.stdout).toBe("No alerts.\n");
  });
});

describe("palisade events alerts: baseline expiry", () => {
  it("retires the baseline of a workload gone from the snapshots for longer than its window, and ages out items", async () => {
    const db = join(dir, "expiry.db");
    const stores = await openStores(db);
    const item = (at: number) => ({ firstSeen: at, lastSeen: at, count: 1 });
    await stores.baselines.putBaselines(
      "",
      [
        {
          workload: { kind: "Deployment", namespace: "shop", name: "retired-app" },
          state: "observing",
          learningFrom: T0 - 60 * MIN,
          windowMs: 5 * MIN,
          stateSince: T0 - 55 * MIN,
          observations: 10,
          novelty: 0.1,
          processes: { "/app/old": item(T0 - 60 * MIN) },
          peers: {},
          overflow: 0,
        },
        {
          workload: { kind: "Deployment", namespace: "shop", name: "web" },
          state: "learning",
          learningFrom: T0 - 2 * MIN,
          windowMs: 60 * MIN,
          stateSince: T0 - 2 * MIN,
          observations: 2,
          novelty: 0.5,
          processes: { "/app/server": item(T0), "/opt/migrate": item(T0 - 2 * MIN) },
          peers: {},
          overflow: 0,
        },
      ],
      new Date(T0),
    );
    await stores.close();
    const events = write(
      "expiry.jsonl",
      JSON.stringify({
        process_exec: {
          process: { binary: "/app/server", pod: { namespace: "shop", name: "web-7d9f-aaaaa" } },
        },
        node_name: "n1",
        time: new Date(T0 + 5 * MIN).toISOString(),
      }),
    );
    const r = await runCli([
      "events",
      "alerts",
      ...snapshotFlags(),
      "--db",
      db,
      "--baseline-window",
      "5m",
      "--baseline-expire",
      "6m",
      events,
    ]);
    expect(r.stderr).toContain(
      "palisade: baseline Deployment shop/retired-app retired: the workload has been gone from the inventory for longer than its learning window\n",
    );
    // web's /opt/migrate and retired-app's /app/old (swept before the app was retired).
    expect(r.stderr).toContain("palisade: baselines: 2 item(s) not seen for 6m aged out\n");
    expect(r.code).toBe(0);
    const list = await runCli(["events", "baseline", "list", "--db", db, "-o", "json"]);
    expect(
      JSON.parse(list.stdout).map(
        (b: { workload: { name: string }; processes: object; expired?: number }) => [
          b.workload.name,
          Object.keys(b.processes),
          b.expired,
        ],
      ),
    ).toEqual([["web", ["/app/server"], 1]]);
  });

  it("baseline list, promote and accept --cluster read and change the server's book of that cluster only", async () => {
    const db = join(dir, "clusters.db");
    const stores = await openStores(db);
    const learned = (processes: string[]) => ({
      workload: { kind: "Deployment", namespace: "shop", name: "web" },
      state: "observing" as const,
      learningFrom: T0,
      windowMs: 5 * MIN,
      stateSince: T0 + 5 * MIN,
      observations: 10,
      novelty: 0.1,
      processes: Object.fromEntries(processes.map((p) => [p, { firstSeen: T0, lastSeen: T0, count: 1 }])),
      peers: {},
      overflow: 0,
    });
    await stores.baselines.putBaselines("prod", [learned(["/app/prod"])], new Date(T0));
    await stores.baselines.putBaselines("stage", [learned(["/app/stage"])], new Date(T0));
    await stores.close();
    const list = async (...cluster: string[]) =>
      JSON.parse(
        (await runCli(["events", "baseline", "list", "--db", db, "-o", "json", ...cluster])).stdout,
      ).map((b: { state: string; processes: object }) => [b.state, Object.keys(b.processes)]);
    expect(await list()).toEqual([]);
    expect(await list("--cluster", "prod")).toEqual([["observing", ["/app/prod"]]]);
    const promote = await runCli([
      "events",
      "baseline",
      "promote",
      "shop/web",
      "--db",
      db,
      "--cluster",
      "stage",
    ]);
    expect(promote.stdout).toContain("Deployment shop/web: observing -> enforcing");
    expect(await list("--cluster", "stage")).toEqual([["enforcing", ["/app/stage"]]]);
    expect(await list("--cluster", "prod")).toEqual([["observing", ["/app/prod"]]]);
    const missing = await runCli([
      "events",
      "baseline",
      "promote",
      "shop/web",
      "--db",
      db,
      "--cluster",
      "dev",
    ]);
    expect(missing.stderr).toContain("no baseline for Deployment shop/web in cluster dev");
    expect(missing.code).not.toBe(0);
  });
});

describe("palisade events alerts --feed, routed to receivers", () => {
  /** A local HTTP receiver started by the test: it records every POST and serves a feed (500 once `failFeed`). */
  async function receiver() {
    const { createServer } = await import("node:http");
    const posts: { path: string; body: unknown }[] = [];
    const state = { failFeed: false, feedHits: 0, notModified: 0 };
    const server = createServer((req, res) => {
      let body = "";
      req.on("data", (c) => {
        body += c;
      });
      req.on("end", () => {
        if (req.method === "GET" && req.url === "/feed.txt") {
          state.feedHits++;
          if (state.failFeed) res.writeHead(500).end();
          else if (req.headers["if-none-match"] === '"f1"') {
            state.notModified++;
            res.writeHead(304, { etag: '"f1"' }).end();
          } else
            res.writeHead(200, { "content-type": "text/plain", etag: '"f1"' }).end("# bad\n203.0.113.0/24\n");
          return;
        }
        posts.push({ path: req.url ?? "", body: JSON.parse(body) });
        res.writeHead(req.url === "/broken" ? 503 : 200).end("{}");
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const { port } = server.address() as { port: number };
    return {
      base: `http://127.0.0.1:${port}`,
      posts,
      state,
      close: () => new Promise((r) => server.close(r)),
    };
  }

  it("alerts on a flow to a listed address with the blocking policy; delivered as JSON, Slack and Alertmanager API v2 bodies (local receiver; no real Alertmanager here)", async () => {
    const rx = await receiver();
    try {
      const flows = write(
        "threat.jsonl",
        [
          hubbleFlow(T0 + MIN, "10.1.0.7", "203.0.113.9", 443),
          hubbleFlow(T0 + 2 * MIN, "10.1.0.7", "203.0.113.9", 443),
        ].join("\n"),
      );
      const cache = join(dir, "feed-cache");
      const r = await runCli(
        [
          "events",
          "alerts",
          ...snapshotFlags(),
          "-o",
          "json",
          "--feed",
          `${rx.base}/feed.txt`,
          "--feed-cache",
          cache,
          "--webhook",
          `${rx.base}/hook`,
          "--slack-webhook",
          `${rx.base}/slack`,
          "--alertmanager",
          `${rx.base}/am`,
          flows,
        ],
        { env: { HOME: dir } },
      );
      const alerts = JSON.parse(r.stdout);
      expect(alerts).toMatchObject([
        {
          ruleId: "PAL-RT-FEED-001",
          severity: "critical",
          workload: { kind: "Deployment", namespace: "shop", name: "web" },
          team: "payments",
          exposed: true,
          count: 2,
          suggestedPolicy: {
            kind: "NetworkPolicy",
            metadata: { namespace: "shop" },
            spec: {
              podSelector: { matchLabels: { app: "web" } },
              egress: [
                {
                  to: [
                    { ipBlock: { cidr: "0.0.0.0/0", except: ["203.0.113.0/24"] } },
                    { namespaceSelector: {} },
                  ],
                },
              ],
            },
          },
        },
      ]);
      expect(r.code).toBe(1);
      const byPath = Object.fromEntries(rx.posts.map((p) => [p.path, p.body]));
      expect(Object.keys(byPath).sort()).toEqual(["/am/api/v2/alerts", "/hook", "/slack"]);
      expect(byPath["/hook"]).toMatchObject({
        version: 1,
        alerts: [{ ruleId: "PAL-RT-FEED-001", team: "payments" }],
      });
      expect(byPath["/slack"]).toMatchObject({
        text: "Palisade: 1 runtime alert(s)",
        blocks: [{ type: "section" }],
      });
      expect(byPath["/am/api/v2/alerts"]).toEqual([
        {
          labels: {
            alertname: "PAL-RT-FEED-001",
            severity: "critical",
            category: "threat-feed",
            source: "palisade",
            namespace: "shop",
            workload: "Deployment/web",
            team: "payments",
          },
          annotations: expect.objectContaining({
            summary: "Connection to a threat-feed address",
            count: "2",
          }),
          startsAt: new Date(T0 + MIN).toISOString(),
        },
      ]);

      // Refresh: a fresh cached copy is used without fetching; a failed refresh falls back to the copy and says so.
      const hits = rx.state.feedHits;
      const again = await runCli([
        "events",
        "alerts",
        ...snapshotFlags(),
        "--feed",
        `${rx.base}/feed.txt`,
        "--feed-cache",
        cache,
        flows,
      ]);
      expect(rx.state.feedHits).toBe(hits);
      expect(again.code).toBe(1);
      // Past its age, the copy is revalidated with its ETag: a 304 keeps it.
      const revalidated = await runCli([
        "events",
        "alerts",
        ...snapshotFlags(),
        "--feed",
        `${rx.base}/feed.txt`,
        "--feed-cache",
        cache,
        "--feed-refresh",
        "0",
        flows,
      ]);
      expect(rx.state.notModified).toBe(1);
      expect(revalidated.stdout).toContain("PAL-RT-FEED-001");
      expect(revalidated.code).toBe(1);
      rx.state.failFeed = true;
      const stale = await runCli([
        "events",
        "alerts",
        ...snapshotFlags(),
        "--feed",
        `${rx.base}/feed.txt`,
        "--feed-cache",
        cache,
        "--feed-refresh",
        "0",
        flows,
      ]);
      expect(stale.stderr).toMatch(
        /threat feed http:\/\/127\.0\.0\.1:\d+\/feed\.txt: refresh failed \(HTTP 500\); using the copy fetched at /,
      );
      expect(stale.stdout).toContain("PAL-RT-FEED-001");
      expect(stale.code).toBe(2);

      // A receiver that fails is reported and makes the run incomplete; the alerts are still printed.
      const broken = await runCli([
        "events",
        "alerts",
        ...snapshotFlags(),
        "--feed",
        write("f.txt", "203.0.113.9\n"),
        "--webhook",
        `${rx.base}/broken`,
        flows,
      ]);
      expect(broken.stderr).toMatch(
        /webhook http:\/\/127\.0\.0\.1:\d+\/broken: 1 alert\(s\) not delivered: HTTP 503/,
      );
      expect(broken.code).toBe(2);
    } finally {
      await rx.close();
    }
  });
});

describe("palisade events recommend", () => {
  it("prints policies as YAML ready to apply and what they would have dropped", async () => {
    const flows = write(
      "rec.jsonl",
      [
        hubbleFlow(T0 + MIN, "10.1.0.7", "10.1.0.9", 5432),
        hubbleFlow(T0 + 8 * MIN, "10.1.0.7", "10.1.0.9", 5432),
        hubbleFlow(T0 + 9 * MIN, "10.1.0.7", "10.1.0.9", 5432),
      ].join("\n"),
    );
    const r = await runCli([
      "events",
      "recommend",
      ...snapshotFlags(),
      "--learn-until",
      new Date(T0 + 5 * MIN).toISOString(),
      flows,
    ]);
    const { parseAllDocuments } = await import("yaml");
    const docs = parseAllDocuments(r.stdout).map((d) => d.toJS());
    expect(docs.map((d) => `${d.metadata.namespace}/${d.metadata.name}`)).toEqual([
      "shop/db-ingress",
      "shop/web-egress",
    ]);
    expect(docs[0].spec.ingress).toEqual([
      {
        from: [
          {
            namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "shop" } },
            podSelector: { matchLabels: { app: "web" } },
          },
        ],
        ports: [{ protocol: "TCP", port: "postgres" }],
      },
    ]);
    expect(r.stderr).toContain(
      "palisade: 2 flow(s) from jobs/batch to shop/db:5432/TCP between 2026-12-04T09:08:00.000Z and 2026-12-04T09:09:00.000Z would be denied",
    );
    expect(r.code).toBe(0);
  });
});

describe("palisade events identity", () => {
  it("reads mesh configuration from the latest snapshot: Istio STRICT for db required, a bad PeerAuthentication reported", async () => {
    const snaps = clusterSnapshots();
    const latest = snaps[1];
    if (!latest) throw new Error("fixture");
    const extra = [
      {
        apiVersion: "security.istio.io/v1",
        kind: "PeerAuthentication",
        metadata: { name: "db", namespace: "shop", creationTimestamp: "2026-12-01T00:00:00Z" },
        spec: { selector: { matchLabels: { app: "db" } }, mtls: { mode: "STRICT" } },
      },
      {
        apiVersion: "security.istio.io/v1beta1",
        kind: "PeerAuthentication",
        metadata: { name: "default", namespace: "mesh" },
        spec: { mtls: { mode: "strict" } },
      },
    ];
    // Both pods of the latest snapshot run Istio's sidecar (a native sidecar init container).
    const withSidecar = (raw: Record<string, unknown>) =>
      raw.kind === "Pod"
        ? {
            ...raw,
            spec: {
              ...(raw.spec as object),
              initContainers: [
                { name: "istio-proxy", image: "docker.io/istio/proxyv2:1.24.0", restartPolicy: "Always" },
              ],
            },
          }
        : raw;
    const flags = [
      "--snapshot",
      `${new Date(snaps[0]?.at ?? 0).toISOString()}=${write("m0.json", JSON.stringify({ apiVersion: "v1", kind: "List", items: snaps[0]?.inventory.objects.map((o) => o.raw) }))}`,
      "--snapshot",
      `${new Date(latest.at).toISOString()}=${write("m1.json", JSON.stringify({ apiVersion: "v1", kind: "List", items: [...latest.inventory.objects.map((o) => withSidecar(o.raw)), ...extra] }))}`,
    ];
    // jobs/batch -> shop/db:5432, both with sidecars, db STRICT: authenticated by Istio, and required.
    const flows = write("mesh-flows.jsonl", hubbleFlow(T0 + 8 * MIN, "10.1.0.7", "10.1.0.9", 5432));
    const r = await runCli(["events", "identity", ...flags, "--istio-root-namespace", "mesh", flows]);
    expect(r.stdout).toBe(
      "NAMESPACE\tFLOWS\tCOVERED\tAUTHENTICATED\tBY (hubble/istio/linkerd)\tMTLS REQUIRED\tNEITHER\nshop\t1\t0\t1\t0/1/0\t1\t0 (0.0%)\n",
    );
    expect(r.stderr).toContain(
      'palisade: PeerAuthentication mesh/default: spec.mtls.mode "strict" is not a mode; ignored for mutual authentication\n',
    );
    expect(r.code).toBe(2);
  });
});
