import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runHostile } from "./harness.js";

/**
 * Issue 9 items 17, 20, 22, 23 and 24 through the real CLI: runs that evaluated nothing or only part of their
 * input never exit 0 as if clean; error messages never echo the input; control characters from object names
 * never reach the terminal; SARIF of a large scan is streamed.
 */
let dir: string;
const SECRET = "hunter2canary";
const POD = (name: string) =>
  `apiVersion: v1\nkind: Pod\nmetadata: {name: "${name}", namespace: app}\nspec:\n  hostPID: true\n  containers: [{name: c, image: busybox:1.36}]\n`;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "palisade-hostile-cli-"));
  mkdirSync(join(dir, "empty"));
  mkdirSync(join(dir, "chart"));
  writeFileSync(join(dir, "chart", "values.yaml"), "replicaCount: 2\n");
  writeFileSync(join(dir, "broken.yaml"), `apiVersion: v1\nkind: Pod\nmetadata: {name: [\n${SECRET}\n`);
  writeFileSync(join(dir, "good.yaml"), POD("web"));
  writeFileSync(join(dir, "not-json.vex"), `password=${SECRET}\n`);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const bounded = (r: Awaited<ReturnType<typeof runHostile>>, rssMiB = 600) => {
  expect(r.killed).toBe(false);
  expect(r.code).not.toBeNull();
  expect(r.code as number).toBeLessThanOrEqual(2);
  expect(r.maxRssMiB).toBeLessThan(rssMiB);
};

describe("item 17: nothing evaluated is exit 2 naming what was read; partial is 'incomplete' and exit 2", () => {
  it.each([
    ["scan of an empty directory", ["scan"], "empty"],
    ["scan of a directory with no Kubernetes object", ["scan"], "chart"],
    ["scan of a lone unparseable manifest", ["scan"], "broken.yaml"],
    ["pss with no valid object", ["pss", "--level", "baseline", "-f"], "broken.yaml"],
    ["netpol with no valid object", ["netpol", "connectivity", "-f"], "chart"],
    ["rbac with no valid object", ["rbac", "who-can", "get", "pods", "-f"], "empty"],
  ])("%s", async (_name, args, input) => {
    // The harness runs from the repository (its tsx loader); inputs are named by absolute path.
    const r = await runHostile([...args, join(dir, input)], { killAfterMs: 60_000 });
    bounded(r);
    expect(r.code).toBe(2);
    expect(
      r.stderr.startsWith("palisade: nothing evaluated: ") ||
        r.stderr.includes("\npalisade: nothing evaluated: "),
    ).toBe(true);
    expect(r.stderr.endsWith(` from ${join(dir, input)}\n`)).toBe(true);
    expect(r.stdout).not.toMatch(/0 findings/);
  });

  it("a partly unparseable input: the table says incomplete at the top and in its summary; --allow-partial exits 0", async () => {
    const files = [join(dir, "broken.yaml"), join(dir, "good.yaml")];
    const r = await runHostile(["scan", ...files], { killAfterMs: 60_000 });
    bounded(r);
    expect(r.code).toBe(2);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[1]).toBe("incomplete: 1 input not evaluated (listed under Coverage below)");
    expect(lines.at(-1)).toMatch(/; incomplete: 1 input not evaluated$/);
    expect(r.stderr).toContain("palisade: incomplete: 1 input not evaluated; exit 2");
    const ok = await runHostile(["scan", ...files, "--allow-partial", "-o", "json"], { killAfterMs: 60_000 });
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout).summary.notEvaluated).toBe(1);
  });
});

describe("item 20: parse errors never echo the input", () => {
  it("--vex with a file that is not JSON names the file, not its content", async () => {
    const db = join(dir, "vex.db");
    const imp = await runHostile(["vuln", "db", "import", "examples/demo/advisories", "--db", db], {
      killAfterMs: 60_000,
    });
    expect(imp.code).toBe(0);
    const sbom = join(dir, "bom.json");
    writeFileSync(
      sbom,
      JSON.stringify({
        bomFormat: "CycloneDX",
        specVersion: "1.5",
        components: [{ type: "library", name: "x", version: "1", purl: "pkg:npm/x@1" }],
      }),
    );
    const r = await runHostile(
      ["vuln", "scan", "--sbom", sbom, "--vex", join(dir, "not-json.vex"), "--db", db],
      {
        killAfterMs: 60_000,
      },
    );
    bounded(r);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("not-json.vex");
    expect(r.stderr).toContain("cannot read VEX document");
    expect(r.stdout + r.stderr).not.toContain(SECRET);
  });

  it("an OCI layout whose index.json is not JSON", async () => {
    const oci = join(dir, "oci");
    mkdirSync(oci, { recursive: true });
    writeFileSync(join(oci, "oci-layout"), '{"imageLayoutVersion":"1.0.0"}');
    writeFileSync(join(oci, "index.json"), `{"manifests": [${SECRET}]}`);
    const r = await runHostile(["sbom", `oci:${oci}`], { killAfterMs: 60_000 });
    bounded(r);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("malformed JSON");
    expect(r.stdout + r.stderr).not.toContain(SECRET);
  });
});

describe("item 23: control characters in object names never reach the terminal", () => {
  it("-o table escapes OSC (window title), SGR (conceal) and bidi overrides", async () => {
    // YAML double-quoted escapes: \e is ESC, \a is BEL; the name sets the terminal title, then conceals text.
    writeFileSync(join(dir, "evil.yaml"), POD("evil\\e]0;owned\\a\\e[8m\u202e"));
    const r = await runHostile(["scan", join(dir, "evil.yaml"), "-o", "table"], {
      env: { FORCE_COLOR: "1", NO_COLOR: "" },
      killAfterMs: 60_000,
    });
    bounded(r);
    expect(r.stdout).toContain("Pod/app/evil\\x1b]0;owned\\x07\\x1b[8m\\u202e");
    expect(r.stdout).not.toContain("\u0007");
    expect(r.stdout).not.toContain("\u001b]");
    expect(r.stdout).not.toContain("\u001b[8m");
    expect(r.stdout).not.toContain("\u202e");
  });
});

describe("item 24: SARIF of a large scan is streamed, not built in memory", () => {
  it("20,000 Deployments: -o sarif stays within the memory of -o json (it was 2.1 GB against 0.66 GB)", async () => {
    const items = Array.from({ length: 20_000 }, (_, i) => ({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: `app-${i}`, namespace: `team-${i % 50}` },
      spec: {
        selector: { matchLabels: { app: `app-${i}` } },
        template: {
          metadata: { labels: { app: `app-${i}` } },
          spec: {
            containers: [
              { name: "app", image: `registry.example/app-${i}:1`, securityContext: { privileged: true } },
            ],
          },
        },
      },
    }));
    writeFileSync(join(dir, "big.json"), JSON.stringify({ apiVersion: "v1", kind: "List", items }));
    const r = await runHostile(["scan", join(dir, "big.json"), "-o", "sarif"], { killAfterMs: 240_000 });
    bounded(r, 1400);
    expect(r.code).toBe(0);
    // The harness keeps the first MiB of stdout: a well-formed SARIF head.
    expect(r.stdout.startsWith('{\n  "$schema": "https://json.schemastore.org/sarif-2.1.0.json",')).toBe(
      true,
    );
  }, 300_000);
});

describe("item 22: registry credentials in image references and purls are never printed", () => {
  const PASS = "s3cr3tRegistryPass";
  it("scan of a workload whose image carries user:password@ (table, JSON, SARIF)", async () => {
    const file = join(dir, "creds.yaml");
    writeFileSync(
      file,
      `apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: app}\nspec:\n  containers: [{name: c, image: "deploy:${PASS}@registry.example/team/app:1.0"}]\n`,
    );
    for (const output of ["table", "json", "sarif"]) {
      const r = await runHostile(["scan", file, "-o", output, "--allow-partial"], { killAfterMs: 60_000 });
      bounded(r);
      expect(r.stdout + r.stderr).not.toContain(PASS);
    }
  });
  it("vuln scan of a registry reference with credentials, and an SBOM whose purl names them in repository_url", async () => {
    const db = join(dir, "creds.db");
    const imp = await runHostile(["vuln", "db", "import", "examples/demo/advisories", "--db", db], {
      killAfterMs: 60_000,
    });
    expect(imp.code).toBe(0);
    const ref = await runHostile(["vuln", "scan", `deploy:${PASS}@127.0.0.1:9/team/app:1.0`, "--db", db], {
      killAfterMs: 60_000,
    });
    bounded(ref);
    expect(ref.code).toBe(2);
    expect(ref.stdout + ref.stderr).not.toContain(PASS);
    const sbom = join(dir, "creds-bom.json");
    writeFileSync(
      sbom,
      JSON.stringify({
        bomFormat: "CycloneDX",
        specVersion: "1.5",
        components: [
          {
            type: "library",
            name: "x",
            version: "1",
            purl: `pkg:oci/app@sha256%3A${"a".repeat(64)}?repository_url=deploy:${PASS}@registry.example/team/app`,
          },
          {
            type: "library",
            name: "y",
            version: "1",
            purl: `pkg:oci/y@1?repository_url=deploy%3A${PASS}%40registry.example%2Fy`,
          },
        ],
      }),
    );
    for (const output of ["table", "json", "sarif", "cyclonedx"]) {
      const r = await runHostile(["vuln", "scan", "--sbom", sbom, "--db", db, "-o", output], {
        killAfterMs: 60_000,
      });
      bounded(r);
      expect(r.stdout + r.stderr).not.toContain(PASS);
    }
  });
});

describe("item 17: an SBOM whose entries are all malformed", () => {
  it("is exit 2 naming the file and how many entries it listed, not '0 vulnerabilities'", async () => {
    const db = join(dir, "sbom17.db");
    expect(
      (
        await runHostile(["vuln", "db", "import", "examples/demo/advisories", "--db", db], {
          killAfterMs: 60_000,
        })
      ).code,
    ).toBe(0);
    const sbom = join(dir, "malformed-bom.json");
    writeFileSync(
      sbom,
      JSON.stringify({
        bomFormat: "CycloneDX",
        specVersion: "1.5",
        components: [{ type: "library" }, { bogus: 1 }, 7],
      }),
    );
    const r = await runHostile(["vuln", "scan", "--sbom", sbom, "--db", db], { killAfterMs: 60_000 });
    bounded(r);
    expect([r.code, r.stdout]).toEqual([2, ""]);
    expect(r.stderr).toBe(
      `palisade: ${sbom}: nothing evaluated: the SBOM lists 3 entries and none is a valid package (name and version or purl)\n`,
    );
  });
});
