/**
 * A `kubectl get pods,replicasets,jobs -A -o json` dump read as a snapshot, end to end: pods of owners that are not
 * in the dump are reported under those owners, with positions in the dump where the pod template is written.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { kubectlDump } from "../../src/core/inventory/__fixtures__/kubectl-dump.js";
import { runCli } from "../support/cli.js";

const dir = mkdtempSync(join(tmpdir(), "palisade-dump-"));
const file = join(dir, "pods.json");
const text = `${JSON.stringify(kubectlDump(), null, 4)}\n`;
writeFileSync(file, text);
// `kubectl get -o yaml` of the same objects.
const yamlFile = join(dir, "pods.yaml");
const yamlText = stringify(JSON.parse(JSON.stringify(kubectlDump())));
writeFileSync(yamlFile, yamlText);

const lineOf = (t: string, needle: string, after: number): number =>
  t.slice(0, t.indexOf(needle, after)).split("\n").length;

describe("kubectl dump with absent owners", () => {
  it.each([
    // JSON snapshots carry item positions only: the finding points at the representative pod's item.
    ["json", file, lineOf(text, "{", text.lastIndexOf("\n        {", text.indexOf('"name": "agent-5xk2n"')))],
    // YAML carries field positions: the finding points at the field in the representative pod.
    ["yaml", yamlFile, lineOf(yamlText, "privileged: true", yamlText.indexOf("name: agent-5xk2n"))],
  ])(
    "scan (%s): one finding per owner workload, located in the representative pod",
    async (_, input, line) => {
      const r = await runCli(["scan", "--snapshot", input, "-o", "json"]);
      expect(r.stderr).toBe("");
      const report = JSON.parse(r.stdout) as {
        inventory: { workloads: number };
        findings: { ruleId: string; resource: { kind: string; name: string }; location?: { line: number } }[];
      };
      expect(report.inventory.workloads).toBe(6);
      const priv = report.findings.filter((f) => f.ruleId === "PAL-POD-001");
      expect(priv.map((f) => [f.resource.kind, f.resource.name, f.location?.line])).toEqual([
        // agent-5xk2n, the first DaemonSet pod, holds the template the finding points at.
        ["DaemonSet", "agent", line],
      ]);
      const podNames = report.findings.filter((f) => f.resource.kind === "Pod").map((f) => f.resource.name);
      expect([...new Set(podNames)].sort()).toEqual(["debug", "kube-apiserver-node-1"]);
    },
  );

  it("netpol connectivity: endpoints are the owners", async () => {
    const r = await runCli(["netpol", "connectivity", "--snapshot", file, "-o", "json"]);
    expect(r.stderr).toBe("");
    const out = JSON.parse(r.stdout) as { edges: { src: { kind?: string; name?: string } }[] };
    const names = new Set(out.edges.flatMap((e) => (e.src.kind ? [`${e.src.kind}/${e.src.name}`] : [])));
    expect([...names].sort()).toEqual([
      "CronJob/nightly",
      "DaemonSet/agent",
      "Deployment/api",
      "Pod/debug",
      "Pod/kube-apiserver-node-1",
      "ReplicaSet/web-7d9f8b6c5d",
    ]);
  });
});
