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
