/**
 * What ships is the esbuild bundle (package.json `files`: dist/cli). No test helper may be reachable from it: a
 * shared contract suite (`*.contract.ts`), a test, a fixture or test/ support would drag vitest or test data into
 * the package. Built into a temporary directory with the real build script and read from esbuild's metafile.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..", "..");
const OUT = mkdtempSync(join(tmpdir(), "palisade-build-"));
afterAll(() => rmSync(OUT, { recursive: true, force: true }));

/** Inputs that are test support, not product code. */
const TEST_SUPPORT =
  /(^|\/)(test|e2e)\/|\.test\.ts$|\.contract\.ts$|(^|\/)__fixtures__\/|node_modules\/(vitest|@vitest|fast-check|vite)\//;

describe("build output", () => {
  it("the shipped bundle reaches no test, contract suite, fixture or test dependency", () => {
    execFileSync(process.execPath, [join(ROOT, "scripts", "build.mjs"), "--metafile", "--outdir", OUT], {
      cwd: ROOT,
      stdio: ["ignore", "ignore", "pipe"],
    });
    const meta = JSON.parse(readFileSync(join(OUT, "meta.json"), "utf8")) as {
      inputs: Record<string, unknown>;
    };
    const inputs = Object.keys(meta.inputs);
    // The bundle is the CLI: if the metafile lost its inputs, the check below would pass on nothing.
    expect(inputs).toContain("src/apps/cli/bin.ts");
    expect(inputs.filter((f) => f.startsWith("src/core/")).length).toBeGreaterThan(100);
    expect(inputs.filter((f) => TEST_SUPPORT.test(f))).toEqual([]);
  });
  it("recognises test support paths", () => {
    expect(
      [
        "src/adapters/store/vuln-store.contract.ts",
        "test/support/cli.ts",
        "src/core/inventory/__fixtures__/kubectl-dump.ts",
        "../../main/node_modules/fast-check/lib/esm/fast-check.js",
        "src/core/k8s/selector.ts",
        "src/apps/cli/commands/test-run.ts",
      ].map((f) => TEST_SUPPORT.test(f)),
    ).toEqual([true, true, true, true, false, false]);
  });
});
