import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { buildInventory } from "../inventory/index.js";
import { parseCidr } from "../netpol/index.js";
import {
  type AddressHolder,
  type AddressObservation,
  addressKey,
  buildAttributionIndex,
  holderKey,
  observationsFromSnapshots,
} from "./index.js";

const pod = (name: string, workload = name): AddressHolder => ({
  kind: "pod",
  namespace: "shop",
  name,
  workload: { kind: "Deployment", namespace: "shop", name: workload },
});

describe("buildAttributionIndex", () => {
  it("resolves a reused address to the holder of each instant", () => {
    const idx = buildAttributionIndex([
      { ip: "10.0.0.5", holder: pod("a-1", "a"), from: 100, to: 200 },
      { ip: "10.0.0.5", holder: pod("b-1", "b"), from: 200 },
    ]);
    expect(idx.attribute("10.0.0.5", 150)).toEqual({
      status: "attributed",
      holder: pod("a-1", "a"),
      from: 100,
      to: 200,
    });
    expect(idx.attribute("10.0.0.5", 200)).toEqual({
      status: "attributed",
      holder: pod("b-1", "b"),
      from: 200,
      to: Number.POSITIVE_INFINITY,
    });
    expect(idx.attribute("10.0.0.5", 99)).toEqual({ status: "unknown", reason: "no-holder" });
    expect(idx.attribute("10.0.0.6", 150)).toEqual({ status: "unknown", reason: "no-holder" });
    expect(idx.attribute("not-an-ip", 150)).toEqual({ status: "unknown", reason: "invalid-address" });
  });

  it("reports two holders over the same instant as ambiguous", () => {
    const idx = buildAttributionIndex([
      { ip: "10.0.0.5", holder: pod("a-1"), from: 100, to: 300 },
      { ip: "10.0.0.5", holder: pod("b-1"), from: 200, to: 400 },
    ]);
    expect(idx.attribute("10.0.0.5", 250)).toEqual({
      status: "ambiguous",
      reason: "overlapping-holders",
      holders: [pod("a-1"), pod("b-1")],
      from: 200,
      to: 300,
    });
    expect(idx.attribute("10.0.0.5", 350)).toMatchObject({ status: "attributed", holder: pod("b-1") });
  });

  it("cuts an inferred tail where the next holder starts", () => {
    // a seen until 150, gone at the snapshot at 300; b started at 200 and took the address.
    const idx = buildAttributionIndex([
      { ip: "10.0.0.5", holder: pod("a-1"), from: 100, to: 300, lastSeen: 150 },
      { ip: "10.0.0.5", holder: pod("b-1"), from: 200 },
    ]);
    expect(idx.attribute("10.0.0.5", 180)).toMatchObject({ status: "attributed", holder: pod("a-1") });
    expect(idx.attribute("10.0.0.5", 250)).toMatchObject({ status: "attributed", holder: pod("b-1") });
  });

  it("treats IPv6 spellings of one address as one key", () => {
    expect(addressKey("fd00::1")).toBe(addressKey("fd00:0:0:0:0:0:0:1"));
    const idx = buildAttributionIndex([{ ip: "fd00:0:0::1", holder: pod("a-1"), from: 0 }]);
    expect(idx.attribute("fd00::1", 5)).toMatchObject({ status: "attributed" });
  });

  it("bounds memory: observations past maxIntervals are dropped and reported", () => {
    const idx = buildAttributionIndex(
      [
        { ip: "10.0.0.1", holder: pod("a"), from: 0 },
        { ip: "10.0.0.2", holder: pod("b"), from: 0 },
      ],
      { maxIntervals: 1 },
    );
    expect(idx.size).toBe(1);
    expect(idx.coverage).toEqual([
      {
        reason: "limit",
        message:
          "1 address observation(s) past the limit of 1 intervals were dropped; attribution is incomplete",
      },
    ]);
  });

  it("ignores invalid observations with coverage", () => {
    const idx = buildAttributionIndex([
      { ip: "999.1.1.1", holder: pod("a"), from: 0 },
      { ip: "10.0.0.1", holder: pod("a"), from: 10, to: 5 },
    ]);
    expect(idx.size).toBe(0);
    expect(idx.coverage.map((c) => c.reason)).toEqual(["invalid"]);
  });

  it("builds 100k holdings of one address (a heavily reused IP) and resolves each instant", () => {
    // One address held by 100,000 pods in turn, each seen in two snapshots (observations merged), each with an
    // inferred tail running past the next pod's start (cut there). A pairwise build takes 10^10 steps here.
    const N = 100_000;
    const observations: AddressObservation[] = [];
    for (let i = 0; i < N; i++) {
      const h = pod(`p-${i}`, `w-${i % 7}`);
      observations.push({
        ip: "10.0.0.42",
        holder: h,
        from: i * 1000,
        to: i * 1000 + 600,
        lastSeen: i * 1000 + 500,
      });
      observations.push({
        ip: "10.0.0.42",
        holder: h,
        from: i * 1000 + 400,
        to: i * 1000 + 1500,
        lastSeen: i * 1000 + 800,
      });
    }
    // Two pods really held it at once for a while: that stretch is ambiguous, and only that stretch.
    observations.push({ ip: "10.0.0.42", holder: pod("x-1", "x"), from: 5_000_100, to: 5_000_200 });
    const idx = buildAttributionIndex(observations);
    expect(idx.size).toBe(N + 2);
    for (const i of [0, 1, 4_999, 5_000, 5_001, 77_777, N - 2, N - 1]) {
      expect(idx.attribute("10.0.0.42", i * 1000 + 950)).toEqual({
        status: "attributed",
        holder: pod(`p-${i}`, `w-${i % 7}`),
        from: i === 5_000 ? 5_000_200 : i * 1000,
        to: i === N - 1 ? N * 1000 + 500 : i * 1000 + 1000,
      });
    }
    expect(idx.attribute("10.0.0.42", 5_000_150)).toEqual({
      status: "ambiguous",
      reason: "overlapping-holders",
      holders: [pod("p-5000", "w-2"), pod("x-1", "x")],
      from: 5_000_100,
      to: 5_000_200,
    });
    expect(idx.attribute("10.0.0.42", N * 1000 + 500)).toEqual({ status: "unknown", reason: "no-holder" });
  }, 120_000);

  describe("properties", () => {
    const ips = ["10.0.0.1", "10.0.0.2", "fd00::1"];
    const holders = [
      pod("a-1", "a"),
      pod("a-2", "a"),
      pod("b-1", "b"),
      { kind: "node", name: "n1" } as AddressHolder,
    ];
    const obs = fc.record({
      ip: fc.constantFrom(...ips),
      holder: fc.constantFrom(...holders),
      from: fc.integer({ min: 0, max: 100 }),
      len: fc.option(fc.integer({ min: 1, max: 50 }), { nil: undefined }),
    });

    it("agrees with a linear scan of certain intervals (reuse and overlap)", () => {
      fc.assert(
        fc.property(
          fc.array(obs, { maxLength: 25 }),
          fc.constantFrom(...ips),
          fc.integer({ min: -5, max: 160 }),
          (list, ip, at) => {
            const observations: AddressObservation[] = list.map((o) => ({
              ip: o.ip,
              holder: o.holder,
              from: o.from,
              ...(o.len === undefined ? {} : { to: o.from + o.len }),
            }));
            const idx = buildAttributionIndex(observations);
            const active = new Map<string, AddressHolder>();
            for (const o of observations)
              if (o.ip === ip && o.from <= at && at < (o.to ?? Number.POSITIVE_INFINITY))
                active.set(holderKey(o.holder), o.holder);
            const expected = [...active.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, h]) => h);
            const got = idx.attribute(ip, at);
            if (expected.length === 0) expect(got).toEqual({ status: "unknown", reason: "no-holder" });
            else if (expected.length === 1)
              expect(got).toMatchObject({ status: "attributed", holder: expected[0] });
            else expect(got).toMatchObject({ status: "ambiguous", holders: expected });
            if (got.status !== "unknown") expect(got.from <= at && at < got.to).toBe(true);
          },
        ),
      );
    });

    it("agrees with the pairwise reference build (merge, tail cuts, overlaps) on any observations", () => {
      // The reference is the first, quadratic build: every tail compared with every other holder's start, every
      // boundary with every interval. The index must give the same answer at every instant.
      const reference = (observations: AddressObservation[], ip: string, at: number): AddressHolder[] => {
        type P = { key: string; holder: AddressHolder; from: number; to: number; lastSeen: number };
        const list: P[] = observations
          .filter((o) => o.ip === ip)
          .map((o) => {
            const to = o.to ?? Number.POSITIVE_INFINITY;
            return {
              key: holderKey(o.holder),
              holder: o.holder,
              from: o.from,
              to,
              lastSeen: Math.min(to, Math.max(o.from, o.lastSeen ?? to)),
            };
          })
          .sort((a, b) => a.from - b.from || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
        const byHolder = new Map<string, P[]>();
        for (const p of list) {
          const runs = byHolder.get(p.key);
          const last = runs?.[runs.length - 1];
          if (last && p.from <= last.to) {
            last.to = Math.max(last.to, p.to);
            last.lastSeen = Math.max(last.lastSeen, p.lastSeen);
          } else if (runs) runs.push({ ...p });
          else byHolder.set(p.key, [{ ...p }]);
        }
        const merged = [...byHolder.values()].flat();
        const starts = merged.map((q) => ({ key: q.key, from: q.from }));
        for (const p of merged) {
          if (p.lastSeen >= p.to) continue;
          const cut = starts
            .filter((q) => q.key !== p.key && q.from >= p.lastSeen && q.from < p.to)
            .reduce((m, q) => Math.min(m, q.from), p.to);
          p.to = Math.max(p.from, cut);
        }
        return merged
          .filter((p) => p.from <= at && at < p.to)
          .sort((a, b) => (a.key < b.key ? -1 : 1))
          .map((p) => p.holder);
      };
      fc.assert(
        fc.property(
          fc.array(
            fc.record({
              ip: fc.constantFrom(...ips),
              holder: fc.constantFrom(...holders),
              from: fc.integer({ min: 0, max: 100 }),
              len: fc.option(fc.integer({ min: 1, max: 50 }), { nil: undefined }),
              seen: fc.option(fc.integer({ min: 0, max: 50 }), { nil: undefined }),
            }),
            { maxLength: 30 },
          ),
          fc.constantFrom(...ips),
          fc.integer({ min: -5, max: 160 }),
          (list, ip, at) => {
            const observations: AddressObservation[] = list.map((o) => ({
              ip: o.ip,
              holder: o.holder,
              from: o.from,
              ...(o.len === undefined ? {} : { to: o.from + o.len }),
              ...(o.seen === undefined ? {} : { lastSeen: o.from + o.seen }),
            }));
            const expected = reference(observations, ip, at);
            const got = buildAttributionIndex(observations).attribute(ip, at);
            if (expected.length === 0) expect(got).toEqual({ status: "unknown", reason: "no-holder" });
            else if (expected.length === 1)
              expect(got).toMatchObject({ status: "attributed", holder: expected[0] });
            else expect(got).toMatchObject({ status: "ambiguous", holders: expected });
          },
        ),
        { numRuns: 500 },
      );
    });

    it("sequential reuse with inferred tails is never ambiguous", () => {
      // Holders take the address one after another; each is seen for part of its time and its end is only
      // bounded by the next snapshot, which may come after the next holder started.
      fc.assert(
        fc.property(
          fc.array(
            fc.record({
              seen: fc.integer({ min: 1, max: 20 }),
              gap: fc.integer({ min: 1, max: 20 }),
              slack: fc.integer({ min: 0, max: 40 }),
            }),
            {
              minLength: 1,
              maxLength: 8,
            },
          ),
          fc.integer({ min: 0, max: 400 }),
          (steps, at) => {
            let t = 0;
            const observations: AddressObservation[] = [];
            const certain: { from: number; to: number; name: string }[] = [];
            steps.forEach((s, i) => {
              const name = `p-${i}`;
              observations.push({
                ip: "10.0.0.9",
                holder: pod(name),
                from: t,
                lastSeen: t + s.seen,
                to: t + s.seen + s.gap + s.slack,
              });
              certain.push({ from: t, to: t + s.seen + 1, name });
              t += s.seen + s.gap;
            });
            const got = buildAttributionIndex(observations).attribute("10.0.0.9", at);
            expect(got.status).not.toBe("ambiguous");
            const c = certain.find((x) => x.from <= at && at < x.to);
            if (c) expect(got).toMatchObject({ status: "attributed", holder: pod(c.name) });
          },
        ),
      );
    });
  });
});

describe("observationsFromSnapshots", () => {
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
  const podObj = (
    name: string,
    owner: string,
    ip: string,
    start: string,
    extra: Record<string, unknown> = {},
  ) => ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name,
      namespace: "shop",
      uid: `u-${name}`,
      ownerReferences: [
        {
          apiVersion: "apps/v1",
          kind: "ReplicaSet",
          name: `${owner}-7d9f`,
          uid: `r-${owner}`,
          controller: true,
        },
      ],
    },
    spec: { nodeName: "n1", containers: [{ name: "c", image: "nginx:1" }], ...extra },
    status: { phase: "Running", podIP: ip, podIPs: [{ ip }, { ip: "fd00::5" }], startTime: start },
  });
  const inv = (objects: Record<string, unknown>[]) => buildInventory(objects.map((object) => ({ object })));
  const T = (s: string) => Date.parse(s);

  it("attributes an address reused by two pods of different workloads between snapshots", () => {
    const s1 = inv([rs("web"), podObj("web-7d9f-aaaaa", "web", "10.1.0.7", "2026-12-04T09:00:00Z")]);
    const s2 = inv([rs("batch"), podObj("batch-7d9f-bbbbb", "batch", "10.1.0.7", "2026-12-04T10:05:00Z")]);
    const { observations } = observationsFromSnapshots([
      { at: T("2026-12-04T11:00:00Z"), inventory: s2 },
      { at: T("2026-12-04T10:00:00Z"), inventory: s1 },
    ]);
    const idx = buildAttributionIndex(observations);
    expect(idx.attribute("10.1.0.7", T("2026-12-04T09:30:00Z"))).toMatchObject({
      status: "attributed",
      holder: {
        kind: "pod",
        name: "web-7d9f-aaaaa",
        workload: { kind: "Deployment", namespace: "shop", name: "web" },
      },
    });
    expect(idx.attribute("10.1.0.7", T("2026-12-04T10:02:00Z"))).toMatchObject({
      holder: { name: "web-7d9f-aaaaa" },
    });
    expect(idx.attribute("10.1.0.7", T("2026-12-04T10:30:00Z"))).toMatchObject({
      status: "attributed",
      holder: { workload: { name: "batch" } },
    });
    // The dual-stack address of both pods: each held it in its own time.
    expect(idx.attribute("fd00::5", T("2026-12-04T10:30:00Z"))).toMatchObject({
      holder: { workload: { name: "batch" } },
    });
  });

  it("attributes a hostNetwork pod's address to its node, and Service ClusterIPs to the Service", () => {
    const s = inv([
      podObj("agent-1", "agent", "192.168.1.10", "2026-12-04T09:00:00Z", { hostNetwork: true }),
      {
        apiVersion: "v1",
        kind: "Node",
        metadata: { name: "n1" },
        status: {
          addresses: [
            { type: "InternalIP", address: "192.168.1.10" },
            { type: "Hostname", address: "n1" },
          ],
        },
      },
      {
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: "db", namespace: "shop" },
        spec: { clusterIP: "10.96.0.20", clusterIPs: ["10.96.0.20"] },
      },
      {
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name: "done", namespace: "shop" },
        spec: { containers: [] },
        status: { phase: "Succeeded", podIP: "10.1.0.99" },
      },
    ]);
    const idx = buildAttributionIndex(observationsFromSnapshots([{ at: 1000, inventory: s }]).observations);
    expect(idx.attribute("192.168.1.10", 2000)).toEqual({
      status: "attributed",
      holder: { kind: "node", name: "n1" },
      from: 1000,
      to: Number.POSITIVE_INFINITY,
    });
    expect(idx.attribute("10.96.0.20", 2000)).toMatchObject({
      holder: { kind: "service", namespace: "shop", name: "db" },
    });
    expect(idx.attribute("10.1.0.99", 2000)).toEqual({ status: "unknown", reason: "no-holder" });
  });
});

describe("addressKey fast IPv4 path", () => {
  it("agrees with the CIDR parser on dotted quads, valid or not", () => {
    const slow = (ip: string) => {
      const c = parseCidr(`${ip}/32`);
      return c ? `${c.family}:${c.start.toString(16)}` : undefined;
    };
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.integer({ min: 0, max: 300 }).map(String),
            fc.constantFrom("", "01", "007", "1a", "-1"),
          ),
          { minLength: 1, maxLength: 5 },
        ),
        (parts) => {
          const ip = parts.join(".");
          expect(addressKey(ip)).toBe(ip.includes(":") ? addressKey(ip) : slow(ip));
        },
      ),
    );
  });
});
