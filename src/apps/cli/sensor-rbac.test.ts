import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../../../test/support/cli.js";
import { sensorRbacYaml } from "./sensor-rbac.js";
import { sensorKinds } from "./sensor-run.js";

const SHIPPED = join(import.meta.dirname, "..", "..", "..", "deploy", "sensor-rbac.yaml");
const RANK = { critical: 4, high: 3, medium: 2, low: 1, info: 0 } as const;

interface ScanJson {
  findings: {
    ruleId: string;
    severity: keyof typeof RANK;
    category: string;
    resource: { kind: string; name: string };
  }[];
}
interface PathsJson {
  paths: { subject: { kind: string; name: string; namespace?: string } }[];
}

async function analyse(yaml: string): Promise<{ scan: ScanJson; paths: PathsJson }> {
  const dir = mkdtempSync(join(tmpdir(), "palisade-sensor-rbac-"));
  try {
    const file = join(dir, "rbac.yaml");
    writeFileSync(file, yaml);
    const scan = await runCli(["scan", file, "-o", "json"]);
    const paths = await runCli(["rbac", "paths", "-f", file, "-o", "json"]);
    expect(paths.code).toBe(0);
    return { scan: JSON.parse(scan.stdout) as ScanJson, paths: JSON.parse(paths.stdout) as PathsJson };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("the sensor's RBAC", () => {
  it("deploy/sensor-rbac.yaml is what `palisade sensor --print-rbac` prints", async () => {
    const r = await runCli(["sensor", "--print-rbac"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(readFileSync(SHIPPED, "utf8"));
    expect(r.stdout).toBe(sensorRbacYaml(sensorKinds(false)));
  });

  it("grants list and watch on exactly the kinds the sensor reads, and no Secrets", () => {
    const yaml = readFileSync(SHIPPED, "utf8");
    const granted = [...yaml.matchAll(/resources: \[([^\]]*)\]/g)].flatMap((m) =>
      m[1]!.split(", ").map((s) => JSON.parse(s) as string),
    );
    expect(granted.sort()).toEqual(
      sensorKinds(false)
        .map((k) => k.resource)
        .sort(),
    );
    expect(granted).not.toContain("secrets");
    expect([...yaml.matchAll(/verbs: (.*)/g)].map((m) => m[1])).toEqual(Array(5).fill('["list", "watch"]'));
  });

  it("Palisade's own RBAC analysis: no RBAC finding above low, no escalation path from the sensor", async () => {
    const { scan, paths } = await analyse(readFileSync(SHIPPED, "utf8"));
    const rbac = scan.findings.filter((f) => f.category === "rbac");
    expect(rbac.filter((f) => RANK[f.severity] > RANK.low)).toEqual([]);
    // The only finding above low is about the namespace the file names, not the grants: it holds no
    // NetworkPolicy (the sensor's Deployment and its NetworkPolicy belong to the Helm chart).
    expect(scan.findings.filter((f) => RANK[f.severity] > RANK.low).map((f) => f.ruleId)).toEqual([
      "PAL-NET-003",
    ]);
    expect(paths.paths.filter((p) => p.subject.name === "palisade-sensor")).toEqual([]);
  });

  it("--with-secrets: the analysis rates the grant high (PAL-RBAC-002), which is why it is not the default", async () => {
    const { scan } = await analyse(sensorRbacYaml(sensorKinds(true)));
    expect(
      scan.findings.filter((f) => f.category === "rbac" && RANK[f.severity] > RANK.low).map((f) => f.ruleId),
    ).toEqual(["PAL-RBAC-002"]);
  });
});
