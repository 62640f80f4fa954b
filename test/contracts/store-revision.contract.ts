import { describe, expect, it } from "vitest";
import type { AdmissionDecisionInput, Stores } from "../../src/adapters/store/index.js";
import { img } from "../../src/core/lineage/__fixtures__/images.js";
import { finding } from "./finding-store.contract.js";
import { record } from "./records.js";
import { type MakeStores, storesOpener } from "./stores.js";
import { rec } from "./vuln-store.contract.js";

const AT = new Date("2026-01-01T00:00:00.000Z");

/** An admission decision as `admission serve` records it (denied or allowed aside, the fields every test needs). */
export const decision = (
  uid: string,
  extra: Partial<AdmissionDecisionInput> = {},
): AdmissionDecisionInput => ({
  at: AT,
  uid,
  endpoint: "validate",
  allowed: true,
  evaluated: "pod",
  operation: "CREATE",
  kind: "Pod",
  namespace: "shop",
  name: "p",
  user: "alice",
  rules: [],
  details: {},
  ...extra,
});

/**
 * Stores.revision: what the server keys its kept answers and its fleet view on. It moves with every write whose
 * data a kept answer reads (snapshots, findings, images, advisories, remediation records), and stays with the
 * writes no kept answer reads: above all admission decisions, which `admission serve` records many times a
 * second into the same store.
 */
export function describeStoreRevisionContract(name: string, make: MakeStores): void {
  describe(`Stores.revision (${name})`, () => {
    const open = storesOpener(make);

    /** Run each write in turn and hold that it moved the revision (`moves`) or left it (`!moves`). */
    const check = async (s: Stores, moves: boolean, writes: [string, () => Promise<unknown>][]) => {
      for (const [what, write] of writes) {
        const before = await s.revision();
        await write();
        const after = await s.revision();
        if (moves) expect(after, `${what} moves the revision`).not.toBe(before);
        else expect(after, `${what} leaves the revision`).toBe(before);
      }
    };

    it("stays while only reads happen", async () => {
      const s = await open();
      const first = await s.revision();
      expect(typeof first).toBe("string");
      await s.snapshots.clusters();
      await s.findings.list({ limit: 1 });
      await s.vulns.status();
      await s.images.listImages();
      await s.remediation.listRecords();
      expect(await s.revision()).toBe(first);
    });

    it("moves with every write a kept answer or the fleet view reads", async () => {
      const s = await open();
      await check(s, true, [
        ["a snapshot", () => s.snapshots.putSnapshot("prod", AT, "all", [])],
        [
          "a snapshot sent again with the same time",
          () =>
            s.snapshots.putSnapshot("prod", AT, "all", [
              {
                key: { apiVersion: "v1", kind: "Pod", namespace: "shop", name: "web" },
                hash: "h1",
                object: { kind: "Pod" },
              },
            ]),
        ],
        [
          "an evaluation",
          () => s.findings.upsertEvaluation("prod", AT, [finding("posture/privileged", "shop", "web")]),
        ],
        ["known images", () => s.images.putImages([img(1, ["registry.example/app:1"], ["base"])], AT)],
        [
          "advisories put outside an import",
          () => s.vulns.putRecords([rec("OSV-1", "2025-01-01T00:00:00Z", [["Debian:12", "openssl"]])]),
        ],
        [
          "an import",
          async () => {
            await s.vulns.beginImport("2026-01-01T00:00:00.000Z");
            await s.vulns.putRecords([rec("OSV-2", "2025-01-01T00:00:00Z", [["Debian:12", "zlib"]])]);
            await s.vulns.finishImport("2026-01-01T00:01:00.000Z");
          },
        ],
        ["an import marked done", () => s.vulns.markImported("2026-01-01T00:02:00.000Z")],
        [
          "remediation records",
          () => s.remediation.update(() => ({ records: [record("CVE-1|app")], result: undefined })),
        ],
      ]);
    });

    it("stays with writes no kept answer reads: admission decisions, audit, tokens, exceptions, baselines", async () => {
      const s = await open();
      await check(s, false, [
        ["admission decisions", () => s.admissionDecisions.append([decision("u1"), decision("u2")])],
        ["a decision retention", () => s.admissionDecisions.prune({ keep: 1 })],
        [
          "an audit entry",
          () => s.audit.append({ at: AT, actor: "alice", action: "token.create", subject: "tok_a" }),
        ],
        [
          "a token",
          () =>
            s.tokens.put({
              id: "tok_a",
              digest: "a".repeat(64),
              role: "admin",
              createdAt: "2026-01-01T00:00:00.000Z",
            }),
        ],
        [
          "an exception",
          () =>
            s.exceptions.put({
              id: "exc_a",
              exception: { rules: ["PAL-POD-*"], reason: "r", expires: "2026-06-30" },
              createdBy: "alice",
              createdAt: "2026-01-01T00:00:00.000Z",
            }),
        ],
        ["an exception revoked", () => s.exceptions.revoke("exc_a", { at: AT.toISOString(), by: "alice" })],
        ["no remediation record written", () => s.remediation.update(() => ({ records: [], result: 0 }))],
        [
          "baselines",
          () =>
            s.baselines.putBaselines(
              "prod",
              [
                {
                  workload: { kind: "Deployment", namespace: "shop", name: "web" },
                  state: "learning",
                  learningFrom: 1000,
                  windowMs: 60_000,
                  stateSince: 1000,
                  observations: 2,
                  novelty: 0.5,
                  processes: {},
                  peers: {},
                  overflow: 0,
                },
              ],
              AT,
            ),
        ],
      ]);
    });

    it("revisionAndClusters, where the backend has it, is the revision and the clusters' latest snapshots", async () => {
      const s = await open();
      const both = s.revisionAndClusters?.bind(s);
      if (both === undefined) return; // optional: the server then reads the two apart
      expect(await both()).toEqual({ revision: await s.revision(), clusters: [] });
      await s.snapshots.putSnapshot("prod", AT, "all", []);
      await s.snapshots.putSnapshot("dev", new Date("2026-01-02T00:00:00.000Z"), "all", []);
      expect(await both()).toEqual({ revision: await s.revision(), clusters: await s.snapshots.clusters() });
      expect((await both()).clusters.map((c) => c.cluster)).toEqual(["dev", "prod"]);
    });

    it("an import that is aborted leaves it where it was (SQL stores: nothing was committed)", async () => {
      const s = await open();
      await s.vulns.putRecords([rec("OSV-1", "2025-01-01T00:00:00Z", [["Debian:12", "openssl"]])]);
      const before = await s.revision();
      await s.vulns.beginImport("2026-01-01T00:00:00.000Z");
      await s.vulns.abortImport();
      // The memory store shows an import's records as they are put: it may move; nothing was put here.
      expect(await s.revision()).toBe(before);
    });
  });
}
