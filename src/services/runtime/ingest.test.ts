import { describe, expect, it } from "vitest";
import type { RemediationRecord } from "../../core/lineage/index.js";
import type { EnrichedEvent } from "../../core/runtime/index.js";
import { clusterSnapshots, DIGEST, hubbleFlow, linesOf, MIN, T0 } from "./__fixtures__/cluster.js";
import { ingestEvents } from "./index.js";

async function run(
  text: string,
  opts: Partial<Parameters<typeof ingestEvents>[1]> = {},
  name = "events.jsonl",
) {
  const events: EnrichedEvent[] = [];
  const summary = await ingestEvents(
    [{ name, lines: linesOf(text) }],
    { snapshots: clusterSnapshots(), ...opts },
    { onEvent: (e) => void events.push(e) },
  );
  return { events, summary };
}

const record = (id: string, state: RemediationRecord["state"], vulnerable: number): RemediationRecord => ({
  key: `${id}|fam`,
  vulnerabilityId: id,
  aliases: [],
  family: "fam",
  severity: "high",
  package: "openssl",
  fixedVersions: [],
  fixImage: "",
  state,
  openedAt: "2026-12-01T00:00:00.000Z",
  updatedAt: "2026-12-01T00:00:00.000Z",
  stateSince: "2026-12-01T00:00:00.000Z",
  reopenCount: 0,
  patchedImages: [],
  totals: { workloads: 1, replicas: 1, vulnerableReplicas: vulnerable, fixedReplicas: 0 },
  rollouts: [
    {
      cluster: "",
      workloads: 1,
      replicas: 1,
      vulnerableReplicas: vulnerable,
      fixedReplicas: 0,
      state: vulnerable > 0 ? "vulnerable" : "fixed",
    },
  ],
  workloads: [
    {
      key: "/shop/Deployment/web",
      ref: { apiVersion: "apps/v1", kind: "Deployment", namespace: "shop", name: "web" },
      team: "payments",
      replicas: 1,
      vulnerableReplicas: vulnerable,
      fixedReplicas: 0,
      present: true,
    },
  ],
  history: [],
});

describe("ingestEvents", () => {
  it("enriches both sides of a flow with workload, team, image digest, open vulnerabilities and exposure", async () => {
    const { events, summary } = await run(hubbleFlow(T0 + MIN, "10.1.0.7", "10.1.0.9", 5432), {
      records: [
        record("CVE-2026-0001", "open", 1),
        record("CVE-2026-0002", "closed", 1),
        record("CVE-2026-0003", "open", 0),
      ],
    });
    expect(events).toHaveLength(1);
    expect(events[0]?.src).toEqual({
      ip: "10.1.0.7",
      port: 40000,
      kind: "workload",
      workload: { kind: "Deployment", namespace: "shop", name: "web" },
      pod: "shop/web-7d9f-aaaaa",
      node: "n1",
      serviceAccountName: "web",
      team: "payments",
      images: [DIGEST.web],
      vulns: ["CVE-2026-0001"],
      exposed: true,
    });
    expect(events[0]?.dst).toMatchObject({
      kind: "workload",
      workload: { kind: "Deployment", namespace: "shop", name: "db" },
      vulns: [],
      exposed: false,
    });
    expect(summary.stages).toEqual([
      { stage: "read", received: 1, accepted: 1, dropped: 0, reasons: {} },
      { stage: "parse", received: 1, accepted: 1, dropped: 0, reasons: {} },
      { stage: "enrich", received: 1, accepted: 1, dropped: 0, reasons: {} },
    ]);
  });

  it("attributes a reused address to the right workload for each event, whatever the order of events", async () => {
    const text = [
      hubbleFlow(T0 + 8 * MIN, "10.1.0.7", "10.1.0.9", 5432), // batch holds it
      hubbleFlow(T0 + MIN, "10.1.0.7", "10.1.0.9", 5432), // web held it (out of order)
      hubbleFlow(T0 + 9 * MIN, "10.1.0.7", "10.1.0.9", 5432),
    ].join("\n");
    const { events } = await run(text);
    expect(events.map((e) => e.src?.workload?.name)).toEqual(["batch", "web", "batch"]);
    expect(events[0]?.src).toMatchObject({ team: "data", images: [DIGEST.batch] });
  });

  it("tolerates clock skew when asked, and says so", async () => {
    // db started at T0-60m; batch at T0+5m: an event 2 s before batch's start is batch's within a 5 s skew.
    const early = hubbleFlow(T0 - 60 * MIN - 2000, "10.1.0.9", "1.1.1.1", 443);
    const strict = await run(early);
    expect(strict.events[0]?.src?.kind).toBe("unknown");
    expect(strict.summary.stages[2]?.reasons).toEqual({ unknown: 1 });
    const lenient = await run(early, { skewMs: 5000 });
    expect(lenient.events[0]?.src).toMatchObject({
      kind: "workload",
      workload: { name: "db" },
      skewed: true,
    });
    expect(lenient.events[0]?.dst).toEqual({ ip: "1.1.1.1", port: 443, kind: "external" });
    expect(lenient.summary.stages[2]?.reasons).toEqual({ skewed: 1 });
  });

  it("labels external and unknown addresses with the configured network names", async () => {
    const { events } = await run(
      [
        hubbleFlow(T0 + MIN, "10.1.0.9", "203.0.113.5", 443),
        hubbleFlow(T0 + MIN, "10.1.0.9", "10.20.3.4", 443),
      ].join("\n"),
      {
        networks: [
          { name: "partner", cidr: "203.0.113.0/24" },
          { name: "corp", cidr: "10.20.0.0/16" },
        ],
      },
    );
    expect(events.map((e) => e.dst)).toEqual([
      { ip: "203.0.113.5", port: 443, kind: "external", network: "partner" },
      { ip: "10.20.3.4", port: 443, kind: "unknown", network: "corp" },
    ]);
  });

  it("resolves process and alert events through the pod they name", async () => {
    const tetragon = JSON.stringify({
      process_exec: {
        process: {
          binary: "/bin/sh",
          pod: { namespace: "shop", name: "web-7d9f-aaaaa", container: { id: "c1" } },
        },
      },
      node_name: "n1",
      time: new Date(T0 + MIN).toISOString(),
    });
    const { events } = await run(tetragon);
    expect(events[0]?.subject).toMatchObject({
      kind: "workload",
      workload: { name: "web" },
      team: "payments",
      images: [DIGEST.web],
    });
  });

  it("reads audit EventLists and CSV flow logs; counts per input and stage", async () => {
    const list = JSON.stringify({
      kind: "EventList",
      apiVersion: "audit.k8s.io/v1",
      items: [
        {
          verb: "get",
          user: { username: "a" },
          stageTimestamp: "2026-12-04T09:01:00Z",
          objectRef: { resource: "pods" },
        },
        { verb: "get", user: {}, stageTimestamp: "2026-12-04T09:01:00Z" },
        7,
      ],
    });
    const csv = [
      "time,src_ip,src_port,dst_ip,dst_port,protocol,bytes,verdict",
      "1796374860,10.1.0.7,1234,10.1.0.9,5432,tcp,10,ACCEPT",
    ].join("\n");
    const events: EnrichedEvent[] = [];
    const summary = await ingestEvents(
      [
        { name: "audit.json", lines: linesOf(list) },
        { name: "flows.csv", lines: linesOf(csv) },
      ],
      { snapshots: clusterSnapshots() },
      { onEvent: (e) => void events.push(e) },
    );
    expect(summary.inputs).toEqual([
      { name: "audit.json", lines: 1, received: 3, accepted: 1, dropped: 2 },
      { name: "flows.csv", lines: 2, received: 1, accepted: 1, dropped: 0 },
    ]);
    expect(summary.errors).toEqual([
      {
        file: "audit.json",
        line: 1,
        reason: "invalid-field",
        field: "items[1].user.username",
        message: "k8s-audit: items[1].user.username: expected a non-empty string",
      },
      {
        file: "audit.json",
        line: 1,
        reason: "not-an-object",
        field: "items[2]",
        message: "items[2]: expected a JSON object",
      },
    ]);
    expect(events[1]?.src).toMatchObject({ port: 1234, workload: { name: "web" } });
    expect(events[1]?.event).toMatchObject({ protocol: "TCP", bytes: 10, time: 1796374860000 });
  });

  describe("pathological cases", () => {
    it("reports truncated lines with their numbers and keeps going", async () => {
      const good = hubbleFlow(T0 + MIN, "10.1.0.7", "10.1.0.9", 5432);
      const text = [good, good.slice(0, 40), "", good, good.slice(0, 10)].join("\n");
      const { events, summary } = await run(text);
      expect(events.map((e) => e.event.line)).toEqual([1, 4]);
      expect(summary.errors.map((e) => [e.line, e.reason])).toEqual([
        [2, "invalid-json"],
        [5, "invalid-json"],
      ]);
      expect(summary.stages[1]).toEqual({
        stage: "parse",
        received: 4,
        accepted: 2,
        dropped: 2,
        reasons: { "invalid-json": 2 },
      });
    });

    it("survives a 10k-line garbage file, keeping only the first errors but counting all", async () => {
      const lines: string[] = [];
      for (let i = 0; i < 10_000; i++)
        lines.push(
          ["{", '{"__proto__":{"x":1}}', "\u0000\u00ff", "a,b,c", '{"flow":{"IP":{}}}', "[]", "nul\u0000l"][
            i % 7
          ] as string,
        );
      const { events, summary } = await run(lines.join("\n"), { maxErrors: 50 });
      expect(events).toEqual([]);
      expect(summary.stages[1]).toMatchObject({ received: 10_000, accepted: 0, dropped: 10_000 });
      expect(summary.errors).toHaveLength(50);
      expect(summary.errorsTruncated).toBe(9_950);
      expect(Object.values(summary.stages[1]?.reasons ?? {}).reduce((a, b) => a + b, 0)).toBe(10_000);
      expect(({} as Record<string, unknown>).x).toBeUndefined();
    });

    it("reports an over-long line from the reader without reading it", async () => {
      async function* lines() {
        yield { overLong: true as const, bytes: 5_000_000 };
        yield hubbleFlow(T0 + MIN, "10.1.0.7", "10.1.0.9", 5432);
      }
      const summary = await ingestEvents([{ name: "big", lines: lines() }], {
        snapshots: clusterSnapshots(),
      });
      expect(summary.errors).toEqual([
        {
          file: "big",
          line: 1,
          reason: "too-long",
          message: "line longer than 1048576 bytes (5000000); not read",
        },
      ]);
      expect(summary.inputs).toEqual([{ name: "big", lines: 2, received: 2, accepted: 1, dropped: 1 }]);
    });
  });
});
