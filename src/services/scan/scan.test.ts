import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readConfigFile } from "../../adapters/config/index.js";
import { parseManifestText } from "../../adapters/manifests/index.js";
import type { InventoryReaders } from "../inventory/index.js";
import { scan } from "./index.js";

const dir = mkdtempSync(join(tmpdir(), "palisade-scan-service-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const APP = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: registry.example/shop/web@sha256:${"a".repeat(64)}
          securityContext: {privileged: true}
`;

/** Manifests from memory through the real parser. */
const readers: InventoryReaders = {
  manifests: async (paths) => ({ ...parseManifestText(APP, paths[0] ?? "app.yaml"), files: paths.length }),
};

describe("scan (scan service)", () => {
  it("loads, applies exceptions at the injected instant, and reports hook progress in order", async () => {
    writeFileSync(
      join(dir, "exceptions.yaml"),
      [
        "exceptions:",
        "  - id: web-privileged",
        "    workloads: [web]",
        "    rules: [PAL-POD-001]",
        "    reason: Legacy loader.",
        "    expires: 2027-01-31",
        "  - id: expired",
        "    rules: [PAL-POD-002]",
        "    reason: Gone.",
        "    expires: 2026-01-01",
        "",
      ].join("\n"),
    );
    const events: string[] = [];
    const { loaded, report } = await scan(
      {
        sources: { manifests: ["app.yaml"] },
        exceptionsFile: "exceptions.yaml",
        options: { version: "0.0.0-test", severities: ["high"] },
      },
      { readers, readConfig: (p) => readConfigFile(p, dir), now: () => new Date("2026-06-01T00:00:00Z") },
      {
        loaded: (l) => events.push(`loaded ${l.inventory.objects.length}`),
        analysing: (n) => events.push(`analysing ${n}`),
      },
    );
    expect(events).toEqual(["loaded 1", "analysing 1"]);
    expect(loaded.files).toBe(1);
    expect(report.inventory).toEqual({ files: 1, objects: 1, namespaces: 1, workloads: 1, unknownKinds: {} });
    expect(report.exceptions).toEqual({ unused: [], matched: { expired: 0, "web-privileged": 1 } });
    expect(
      report.findings.map((f) => ({ rule: f.ruleId, name: f.resource.name, suppressed: f.suppressed })),
    ).toEqual([
      {
        rule: "PAL-POD-001",
        name: "web",
        suppressed: {
          exceptionId: "web-privileged",
          reason: "Legacy loader.",
          expires: "2027-01-31",
          source: "exception",
        },
      },
    ]);
    // The same request after the exception expired: the clock is the caller's.
    const later = await scan(
      {
        sources: { manifests: ["app.yaml"] },
        exceptionsFile: "exceptions.yaml",
        options: { version: "0.0.0-test", severities: ["high"] },
      },
      { readers, readConfig: (p) => readConfigFile(p, dir), now: () => new Date("2027-02-01T00:00:00Z") },
    );
    expect(
      later.report.findings.map(
        (f) => `${f.ruleId} ${f.resource.name} ${f.suppressed ? "suppressed" : "active"}`,
      ),
    ).toEqual(["PAL-POD-001 web active"]);
  });

  it("a hook that throws stops the run before the exceptions are read", async () => {
    const stop = new Error("stop");
    let read = 0;
    await expect(
      scan(
        { sources: { manifests: ["app.yaml"] }, exceptionsFile: "x.yaml", options: { version: "0" } },
        {
          readers,
          readConfig: async () => {
            read++;
            return { data: [], lineOf: () => undefined };
          },
          now: () => new Date(0),
        },
        {
          loaded: () => {
            throw stop;
          },
        },
      ),
    ).rejects.toBe(stop);
    expect(read).toBe(0);
  });
});
