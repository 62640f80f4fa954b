import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../../../../test/support/cli.js";

const dir = mkdtempSync(join(tmpdir(), "palisade-runtime-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const rs = (name: string) => ({
  apiVersion: "apps/v1",
  kind: "ReplicaSet",
  metadata: {
    name: `${name}-7d9f`,
    namespace: "shop",
    ownerReferences: [
      { apiVersion: "apps/v1", kind: "Deployment", name, uid: `d-${name}`, controller: true },
    ],
  },
  spec: {
    template: {
      metadata: { labels: { app: name } },
      spec: { containers: [{ name: "c", image: "nginx:1" }] },
    },
  },
});
const pod = (name: string, owner: string, ip: string, start: string) => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: {
    name,
    namespace: "shop",
    uid: `u-${name}`,
    ownerReferences: [{ apiVersion: "apps/v1", kind: "ReplicaSet", name: `${owner}-7d9f`, controller: true }],
  },
  spec: { nodeName: "n1", containers: [{ name: "c", image: "nginx:1" }] },
  status: { phase: "Running", podIP: ip, podIPs: [{ ip }], startTime: start },
});
const write = (name: string, text: string) => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};
const flow = (time: string, src: string, dst: string) =>
  JSON.stringify({
    flow: {
      time,
      verdict: "FORWARDED",
      IP: { source: src, destination: dst },
      l4: { TCP: { source_port: 40000, destination_port: 5432 } },
    },
    time,
  });

describe("palisade runtime attribute", () => {
  it("attributes an address reused by two pods at different times, end to end", async () => {
    const s1 = write(
      "s1.json",
      JSON.stringify({
        apiVersion: "v1",
        kind: "List",
        items: [
          rs("web"),
          pod("web-7d9f-aaaaa", "web", "10.1.0.7", "2026-12-04T09:00:00Z"),
          pod("db-0", "db", "10.1.0.9", "2026-12-04T08:00:00Z"),
        ],
      }),
    );
    const s2 = write(
      "s2.json",
      JSON.stringify({
        apiVersion: "v1",
        kind: "List",
        items: [
          rs("batch"),
          pod("batch-7d9f-bbbbb", "batch", "10.1.0.7", "2026-12-04T10:05:00Z"),
          pod("db-0", "db", "10.1.0.9", "2026-12-04T08:00:00Z"),
        ],
      }),
    );
    const events = write(
      "flows.jsonl",
      [
        "// hubble observe -o json",
        flow("2026-12-04T10:30:00Z", "10.1.0.7", "10.1.0.9"),
        "{truncated",
        flow("2026-12-04T09:30:00Z", "10.1.0.7", "8.8.8.8"),
      ].join("\n"),
    );
    const r = await runCli([
      "runtime",
      "attribute",
      "--snapshot",
      `2026-12-04T11:00:00Z=${s2}`,
      "--snapshot",
      `2026-12-04T10:00:00Z=${s1}`,
      "--events",
      events,
    ]);
    const rows = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(
      rows.map((x) => [
        x.event.line,
        x.src.status,
        x.src.holder?.workload.name,
        x.dst.status,
        x.dst.holder?.workload.name ?? x.dst.reason,
      ]),
    ).toEqual([
      [4, "attributed", "web", "unknown", "no-holder"],
      [2, "attributed", "batch", "attributed", "db-7d9f"],
    ]);
    expect(rows[1].dst.holder).toEqual({
      kind: "pod",
      namespace: "shop",
      name: "db-0",
      uid: "u-db-0",
      node: "n1",
      serviceAccountName: "default",
      workload: { kind: "ReplicaSet", namespace: "shop", name: "db-7d9f" },
    });
    expect(r.stderr).toContain(`${events}:3: not valid JSON (truncated line?)`);
    expect(r.stderr).toContain("3 event line(s): 2 accepted, 1 dropped");
    expect(r.code).toBe(2);
  });

  it("refuses a snapshot flag without a time", async () => {
    const r = await runCli(["runtime", "attribute", "--snapshot", "s.json", "--events", "x"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--snapshot expects TIME=FILE");
  });
});
