import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../../../test/support/cli.js";
import { inputFileBytes } from "./inputs.js";

describe("live read bounds on the command line", () => {
  it.each([
    ["--request-timeout", "soon", '--request-timeout: "soon" is not a duration (e.g. 30s, 2m, 1h)'],
    ["--request-timeout", "0s", '--request-timeout: "0s" is not a duration (e.g. 30s, 2m, 1h)'],
    ["--cluster-timeout", "-5m", '--cluster-timeout: "-5m" is not a duration (e.g. 30s, 2m, 1h)'],
    ["--max-list-pages", "0", '--max-list-pages: "0" is not a positive whole number'],
    ["--chunk-size", "1e3", '--chunk-size: "1e3" is not a positive whole number'],
  ])("%s %s is a usage error (exit 2), before any request", async (flag, value, message) => {
    const r = await runCli(["scan", "--kubeconfig", "/nonexistent/kubeconfig", flag, value]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`palisade: ${message}\n`);
  });
});

describe("the size of a command's input files", () => {
  const cwd = mkdtempSync(join(tmpdir(), "palisade-input-bytes-"));
  afterAll(() => rmSync(cwd, { recursive: true, force: true }));
  writeFileSync(join(cwd, "a.yaml"), "kind: Pod\n");
  writeFileSync(join(cwd, "snap.json"), '{"items":[]}');
  mkdirSync(join(cwd, "dir"));

  it("adds up the manifests and snapshots named, relative to the working directory", () => {
    expect(inputFileBytes({ manifests: ["a.yaml"], snapshots: [join(cwd, "snap.json")] }, cwd)).toBe(22);
    expect(inputFileBytes({ manifests: [], snapshots: [] }, cwd)).toBe(0);
  });

  it.each([
    ["a directory", { manifests: ["a.yaml", "dir"] }],
    ["standard input", { manifests: ["-"] }],
    ["a missing file", { snapshots: ["missing.json"] }],
    ["a live cluster", { manifests: ["a.yaml"], cluster: { kubeconfig: "kubeconfig" } }],
  ])("is not known beforehand for %s", (_what, sources) => {
    expect(inputFileBytes(sources, cwd)).toBeUndefined();
  });
});
