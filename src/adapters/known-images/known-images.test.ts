import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { dg, img } from "../../core/lineage/__fixtures__/images.js";
import { advance, type RemediationObservation } from "../../core/lineage/index.js";
import { openStores, SqliteVulnStore } from "../store/index.js";

const dir = mkdtempSync(join(tmpdir(), "palisade-known-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const T0 = new Date("2025-01-01T00:00:00Z");

describe("known images and remediation records in the vulnerability database file", () => {
  it("share the file with the advisories, with their own tables, and persist", async () => {
    const file = join(dir, "palisade.db");
    await new SqliteVulnStore(file).close();
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
    const s = await openStores(file);
    await s.images.putImages([img(1, ["a/base:1"], ["x"])], T0);
    await s.remediation.update(() => ({ records, result: undefined }));
    await s.close();
    const again = await openStores(file);
    expect(await again.remediation.listRecords()).toEqual(records);
    expect((await again.images.listImages()).images.map((i) => i.image.digest)).toEqual([dg(1)]);
    await again.close();
    // The vulnerability store still opens the same file.
    const vs2 = new SqliteVulnStore(file);
    expect((await vs2.status()).advisories).toBe(0);
    await vs2.close();
  });
});
