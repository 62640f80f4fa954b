import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { dg, img } from "../../core/lineage/__fixtures__/images.js";
import { advance, type RemediationObservation } from "../../core/lineage/index.js";
import { SqliteVulnStore } from "../store/index.js";
import { KnownImageStore } from "./index.js";

const dir = mkdtempSync(join(tmpdir(), "palisade-known-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const T0 = new Date("2025-01-01T00:00:00Z");
const T1 = new Date("2025-01-02T00:00:00Z");

describe("KnownImageStore", () => {
  it("remembers images by digest, merges refs, and moves a tag to its new image of the same platform", () => {
    const s = new KnownImageStore(":memory:");
    s.putImages(
      [
        img(1, ["a/app:1", "a/app:latest"], ["x"]),
        img(3, ["a/app:latest"], ["x"], [], { platform: "linux/arm64" }),
      ],
      T0,
    );
    s.putImages([img(2, ["a/app:latest"], ["x", "y"]), img(1, ["a/app:1.0"], ["x"])], T1);
    expect(s.listImages()).toEqual({
      images: [
        {
          image: img(1, ["a/app:1", "a/app:1.0"], ["x"]),
          firstSeen: T0.toISOString(),
          lastSeen: T1.toISOString(),
        },
        {
          image: img(2, ["a/app:latest"], ["x", "y"]),
          firstSeen: T1.toISOString(),
          lastSeen: T1.toISOString(),
        },
        {
          image: img(3, ["a/app:latest"], ["x"], [], { platform: "linux/arm64" }),
          firstSeen: T0.toISOString(),
          lastSeen: T0.toISOString(),
        },
      ],
      coverage: [],
    });
    s.close();
  });

  it("shares the vulnerability database file, with its own tables and schema row, and persists records", () => {
    const file = join(dir, "palisade.db");
    const vs = new SqliteVulnStore(file);
    vs.close();
    const obs: RemediationObservation = {
      remediations: [
        {
          key: "CVE-1|a/base",
          vulnerabilityId: "CVE-1",
          aliases: [],
          family: "a/base",
          severity: "high",
          package: "openssl",
          fixedVersions: ["2"],
          fixImage: "a/base:1",
          patchedImages: [],
          workloads: [
            {
              key: "/ns/Deployment/w",
              ref: { apiVersion: "apps/v1", kind: "Deployment", namespace: "ns", name: "w" },
              replicas: 2,
              vulnerableReplicas: 2,
            },
          ],
        },
      ],
      replicas: { "/ns/Deployment/w": 2 },
    };
    const { records } = advance([], obs, T0);
    const s = new KnownImageStore(file);
    s.putImages([img(1, ["a/base:1"], ["x"])], T0);
    s.putRecords(records);
    s.close();
    const again = new KnownImageStore(file);
    expect(again.listRecords()).toEqual(records);
    expect(again.listImages().images.map((i) => i.image.digest)).toEqual([dg(1)]);
    again.close();
    // The vulnerability store still opens the same file.
    const vs2 = new SqliteVulnStore(file);
    expect(vs2.status().advisories).toBe(0);
    vs2.close();
  });
});

describe("pathological cases", () => {
  it("refuses a database whose lineage schema is another version", async () => {
    const file = join(dir, "other.db");
    new KnownImageStore(file).close();
    const { createRequire } = await import("node:module");
    const Db = createRequire(import.meta.url)("better-sqlite3") as new (
      f: string,
    ) => { exec(s: string): void; close(): void };
    const db = new Db(file);
    db.exec("UPDATE lineage_schema SET value = '99' WHERE key = 'version'");
    db.close();
    expect(() => new KnownImageStore(file)).toThrow(/schema 99/);
  });

  it("an unreadable stored image is a coverage entry; the rest still loads", async () => {
    const file = join(dir, "corrupt.db");
    const s = new KnownImageStore(file);
    s.putImages([img(1, ["a/b:1"], ["x"]), img(2, ["a/c:1"], ["y"])], T0);
    s.close();
    const { createRequire } = await import("node:module");
    const Db = createRequire(import.meta.url)("better-sqlite3") as new (
      f: string,
    ) => { prepare(s: string): { run(...a: unknown[]): void }; close(): void };
    const db = new Db(file);
    db.prepare("UPDATE known_images SET image = ? WHERE digest = ?").run('{"__proto__": {"x": 1}}', dg(2));
    db.close();
    const r = new KnownImageStore(file).listImages();
    expect([r.images.map((i) => i.image.digest), r.coverage.map((c) => [c.reason, c.subject])]).toEqual([
      [dg(1)],
      [["invalid", dg(2)]],
    ]);
  });
});

describe("loadLineageState", () => {
  it("says so when the last advisory import into the file did not finish", async () => {
    const { loadLineageState } = await import("./evaluate.js");
    const file = join(dir, "interrupted.db");
    const vs = new SqliteVulnStore(file);
    vs.beginImport("2025-01-03T00:00:00.000Z");
    vs.close(); // as a killed import: the start mark stays, nothing finished
    const state = await loadLineageState(file);
    expect(state.coverage.filter((c) => c.reason === "stale")).toEqual([
      {
        reason: "stale",
        subject: file,
        message: `the last import into ${file} (started 2025-01-03T00:00:00.000Z) did not finish: vulnerabilities are those of the import before it; run \`palisade vuln db import\` again`,
      },
    ]);
  });
});
