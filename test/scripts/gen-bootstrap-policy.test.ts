import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  LAST_MINOR,
  parseUpstreamFile,
  parseUpstreamVersion,
  renderDataModule,
  UPSTREAM_FILES,
} from "../../scripts/gen-bootstrap-policy.js";
import { BOOTSTRAP_SOURCES } from "../../src/core/rbac/bootstrap-data.js";
import { bootstrapObjects } from "../../src/core/rbac/index.js";

/** Upstream's golden files of the newest modelled version, as `go mod download k8s.io/kubernetes@v1.37.0` has them. */
const DIR = new URL(
  `../../src/core/rbac/__fixtures__/bootstrap-upstream/v1.${LAST_MINOR}.0/`,
  import.meta.url,
);

describe("committed bootstrap policy data", () => {
  it(`equals upstream's golden files for v1.${LAST_MINOR} (regenerate with npx tsx scripts/gen-bootstrap-policy.ts --fetch)`, () => {
    const files = Object.fromEntries(
      UPSTREAM_FILES.map((f) => [f, readFileSync(fileURLToPath(new URL(f, DIR)), "utf8")]),
    );
    const upstream = parseUpstreamVersion(files);
    // The data module's objects, read back with the same parser as upstream's files.
    const committed = parseUpstreamFile(
      JSON.stringify({ apiVersion: "v1", items: bootstrapObjects(LAST_MINOR) }),
      "bootstrap-data",
    );
    const key = (o: { kind: string; namespace?: string; name: string }) =>
      `${o.kind}/${o.namespace ?? ""}/${o.name}`;
    committed.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
    expect(upstream.length).toBeGreaterThan(140);
    expect(committed).toEqual(upstream);
  });

  it("records the module checksum of the pinned files", () => {
    const sum = readFileSync(fileURLToPath(new URL("SUM", DIR)), "utf8").trim();
    expect(BOOTSTRAP_SOURCES.find((s) => s[0] === LAST_MINOR)).toEqual([
      LAST_MINOR,
      `v1.${LAST_MINOR}.0`,
      sum,
    ]);
  });

  it("refuses a row that its template literal would change", () => {
    expect(() => renderDataModule([], ['[["get"],[""],["pods"],[],[]]'], ['{"name":"a`b"}'])).toThrow(
      /template literal/,
    );
    expect(() => renderDataModule([], ['[["get"],[""],["a\\\\b"],[],[]]'], [])).toThrow(/template literal/);
    expect(() => renderDataModule([], [], [`{"name":"$${"{"}x}"}`])).toThrow(/template literal/);
    expect(renderDataModule([], ['[["get"],[""],["pods"],[],[]]'], ['{"name":"a$b{"}'])).toContain(
      '{"name":"a$b{"}',
    );
  });
});
