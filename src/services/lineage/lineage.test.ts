import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openStores, SqliteVulnStore } from "../../adapters/store/index.js";
import type { Stores } from "../../adapters/store/ports.js";
import type { RawObject } from "../../core/inventory/index.js";
import { deployment, dg, img, osv, service } from "../../core/lineage/__fixtures__/images.js";
import type { InventoryReaders } from "../inventory/index.js";
import { loadLineageState, remediationPlan, remediationStatus, vulnImpact } from "./index.js";

const DEB = "docker.io/library/debian:12";
const RT14 = "registry.example/company/base-runtime:1.4";
const CO20 = "registry.example/team-a/checkout:2.0";

/** debian:12 -> base-runtime:1.4 (openssl) -> checkout:2.0 (curl). */
const IMAGES = [
  img(1, [DEB], ["deb"], [["zlib1g", "1:1.2.13.dfsg-1", 0]]),
  img(
    2,
    [RT14],
    ["deb", "rt14"],
    [
      ["zlib1g", "1:1.2.13.dfsg-1", 0],
      ["openssl", "3.0.11-1~deb12u1", 1],
    ],
  ),
  img(
    4,
    [CO20],
    ["deb", "rt14", "co"],
    [
      ["zlib1g", "1:1.2.13.dfsg-1", 0],
      ["openssl", "3.0.11-1~deb12u1", 1],
      ["curl", "7.88.1-10+deb12u4", 2],
    ],
  ),
];

const ADVISORIES = [
  osv("DEBIAN-CVE-2024-0001", "openssl", "3.0.13-1~deb12u1", undefined, [
    "CVE-2024-0001",
    "GHSA-aaaa-bbbb-cccc",
  ]),
];

const T0 = new Date("2026-03-01T00:00:00.000Z");
const T1 = new Date("2026-03-02T00:00:00.000Z");
const clock = (d: Date) => () => d;

const CHECKOUT: RawObject[] = [
  ...deployment("shop", "checkout", CO20, { replicas: 2, team: "team-a", podDigests: [dg(4), dg(4)] }),
  service("shop", "checkout", { app: "checkout" }, "LoadBalancer"),
];

/** The snapshot reader given fixture objects (the file readers have their own tests). */
const readers = (objects: RawObject[]): InventoryReaders => ({
  snapshots: async (files) => ({ objects: structuredClone(objects), coverage: [], files: files.length }),
});
const observe = { sources: { snapshots: ["cluster.json"] } };

/** The stores lineage reads, under another location name (messages name it). */
const pick = (s: Stores) => ({ images: s.images, vulns: s.vulns });

async function seeded(advisories = ADVISORIES): Promise<Stores> {
  const stores = await openStores("memory:");
  await stores.images.putImages(IMAGES, T0);
  if (advisories.length > 0) await stores.vulns.putRecords(advisories);
  return stores;
}

describe("loadLineageState (lineage service)", () => {
  it("builds the tree from the known-image store and says so when there are no advisories", async () => {
    const stores = await seeded([]);
    const state = await loadLineageState({ ...pick(stores), location: "/db/palisade.db" });
    expect({
      nodes: state.lineage.order,
      advisories: state.advisories,
      vulns: [...state.vulns.byNode.values()].flat().length,
      images: state.images.map((i) => [i.image.digest, i.firstSeen, i.lastSeen]),
      coverage: state.coverage,
    }).toEqual({
      nodes: [dg(1), dg(2), dg(4)],
      advisories: 0,
      vulns: 0,
      images: [
        [dg(1), T0.toISOString(), T0.toISOString()],
        [dg(2), T0.toISOString(), T0.toISOString()],
        [dg(4), T0.toISOString(), T0.toISOString()],
      ],
      coverage: [
        {
          reason: "missing",
          subject: "/db/palisade.db",
          message:
            "no advisories in /db/palisade.db: vulnerability counts are unknown (palisade vuln db import PATH...)",
        },
      ],
    });
    await stores.close();
  });
});

describe("loadLineageState over a SQLite file", () => {
  const dir = mkdtempSync(join(tmpdir(), "palisade-lineage-service-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  it("says so when the last advisory import into the file did not finish", async () => {
    const file = join(dir, "interrupted.db");
    const vs = new SqliteVulnStore(file);
    await vs.beginImport("2025-01-03T00:00:00.000Z");
    await vs.close(); // as a killed import: the start mark stays, nothing finished
    const stores = await openStores(file);
    const state = await loadLineageState(stores);
    await stores.close();
    expect(state.coverage).toEqual([
      {
        reason: "stale",
        subject: file,
        message: `the last import into ${file} (started 2025-01-03T00:00:00.000Z) did not finish: vulnerabilities are those of the import before it; run \`palisade vuln db import\` again`,
      },
      {
        reason: "missing",
        subject: file,
        message: `no advisories in ${file}: vulnerability counts are unknown (palisade vuln db import PATH...)`,
      },
    ]);
  });
});

describe("vulnImpact and remediationPlan (lineage service)", () => {
  it("answers who runs a vulnerability, by alias, from the stores and an observed inventory", async () => {
    const stores = await seeded();
    const { answer, inventory, coverage } = await vulnImpact("ghsa-aaaa-bbbb-cccc", observe, {
      stores,
      readers: readers(CHECKOUT),
    });
    expect(coverage).toEqual([]);
    expect(inventory.workloads.map((w) => w.ref.name)).toEqual(["checkout"]);
    expect(answer).toEqual({
      query: "ghsa-aaaa-bbbb-cccc",
      vulnerabilityId: "CVE-2024-0001",
      aliases: ["DEBIAN-CVE-2024-0001", "GHSA-aaaa-bbbb-cccc"],
      severity: "critical",
      images: [
        { node: dg(2), image: RT14, refs: [RT14], workloads: 0, replicas: 0 },
        { node: dg(4), image: CO20, refs: [CO20], workloads: 1, replicas: 2 },
      ],
      fixAt: [
        {
          node: dg(2),
          image: RT14,
          package: "openssl",
          installed: "3.0.11-1~deb12u1",
          fixedVersions: ["3.0.13-1~deb12u1"],
          images: 2,
        },
      ],
      workloads: [
        {
          ref: { apiVersion: "apps/v1", kind: "Deployment", namespace: "shop", name: "checkout" },
          team: "team-a",
          replicas: 2,
          vulnerableReplicas: 2,
          exposed: true,
        },
      ],
      namespaces: ["shop"],
      clusters: [],
      teams: ["team-a"],
      totals: { images: 2, workloads: 1, replicas: 2, namespaces: 1, clusters: 0, teams: 1 },
    });
    await stores.close();
  });

  it("refuses to answer without advisories (not 'nobody runs it'), naming where it looked", async () => {
    const stores = await seeded([]);
    const deps = { stores: { ...pick(stores), location: "/db/palisade.db" }, readers: readers(CHECKOUT) };
    await expect(vulnImpact("CVE-2024-0001", observe, deps)).rejects.toMatchObject({
      code: "INPUT",
      message:
        "no vulnerability advisories in /db/palisade.db: cannot tell which images carry CVE-2024-0001; import OSV advisories with `palisade vuln db import PATH...`",
    });
    await expect(remediationPlan(observe, deps)).rejects.toMatchObject({
      code: "INPUT",
      message:
        "no vulnerability advisories in /db/palisade.db: nothing to plan from; import OSV advisories with `palisade vuln db import PATH...`",
    });
    await stores.close();
  });
});

describe("remediationStatus (lineage service)", () => {
  it("advances and persists records from an observation at the injected instant; without one, only reads", async () => {
    const stores = await seeded();
    const deps = { stores, readers: readers(CHECKOUT), now: clock(T1) };
    const first = await remediationStatus({ observe, at: T0 }, deps);
    expect(first.transitions).toEqual([
      {
        key: `CVE-2024-0001|registry.example/company/base-runtime`,
        to: "fix-available",
        at: T0.toISOString(),
        reopened: false,
      },
    ]);
    expect(first.records.map((r) => [r.key, r.state, r.openedAt, r.totals])).toEqual([
      [
        "CVE-2024-0001|registry.example/company/base-runtime",
        "fix-available",
        T0.toISOString(),
        { workloads: 1, replicas: 2, vulnerableReplicas: 2, fixedReplicas: 0 },
      ],
    ]);
    expect(await stores.remediation.listRecords()).toEqual(first.records);
    // Read only: the same records, no transition, no coverage.
    expect(await remediationStatus({}, deps)).toEqual({
      records: first.records,
      transitions: [],
      coverage: [],
    });
    await stores.close();
  });

  it("two observers at once never lose an update: the second sees the first's records", async () => {
    const stores = await seeded();
    const deps = { stores, readers: readers(CHECKOUT), now: clock(T0) };
    const [a, b] = await Promise.all([
      remediationStatus({ observe }, deps),
      remediationStatus({ observe }, deps),
    ]);
    // Exactly one of them opened the record; a lost update would show two "new -> open" transitions.
    expect([a.transitions.length, b.transitions.length].sort()).toEqual([0, 1]);
    expect(a.records).toEqual(b.records);
    await stores.close();
  });
});
