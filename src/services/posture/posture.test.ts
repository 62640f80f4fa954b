import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { scanPathsForSecrets } from "../../adapters/secrets/index.js";
import { NODE_RULES } from "../../core/nodes/index.js";
import { ruleCatalogue } from "../../core/scan/index.js";
import { postureRules, scanSecrets } from "./index.js";

describe("postureRules (posture service)", () => {
  it("lists the whole catalogue without a filter", () => {
    expect(postureRules()).toEqual({ mode: "list", rules: ruleCatalogue(NODE_RULES) });
  });

  it("keeps the rules mapped to the framework", () => {
    const pss = ruleCatalogue(NODE_RULES).filter((r) => r.compliance.some((c) => c.framework === "pss"));
    expect(pss.length).toBeGreaterThan(0);
    expect(postureRules({ framework: "pss" })).toEqual({ mode: "list", rules: pss });
  });

  it("finds one rule by id, case-insensitively", () => {
    const rule = ruleCatalogue(NODE_RULES).find((r) => r.id === "PAL-POD-007");
    expect(postureRules({ id: "pal-pod-007" })).toEqual({ mode: "explain", id: "PAL-POD-007", rule });
  });

  it("answers without a rule for an unknown id, or one the framework filters out", () => {
    expect(postureRules({ id: "PAL-NOPE-1" })).toEqual({ mode: "explain", id: "PAL-NOPE-1" });
    const outside = ruleCatalogue(NODE_RULES).find((r) => !r.compliance.some((c) => c.framework === "pss"));
    expect(outside).toBeDefined();
    expect(postureRules({ id: outside?.id ?? "", framework: "pss" })).toEqual({
      mode: "explain",
      id: outside?.id,
    });
  });
});

describe("scanSecrets (posture service)", () => {
  it("scans through the reader it is given, with the request's budgets", async () => {
    const dir = await mkdtemp(join(tmpdir(), "palisade-secrets-"));
    try {
      await writeFile(join(dir, "a.env"), "X=1\nAWS=AKIAABCDEFGHIJKLMNOP\n");
      await writeFile(join(dir, "b.env"), "Y=2\n");
      const budgets: unknown[] = [];
      const result = await scanSecrets(
        { paths: ["a.env", "b.env"], maxBytes: 1024, maxFiles: 1 },
        {
          scanPaths: (paths, b) => {
            budgets.push(b);
            return scanPathsForSecrets(paths, { cwd: dir, ...b });
          },
        },
      );
      expect(budgets).toEqual([{ maxBytes: 1024, maxFiles: 1 }]);
      expect(result).toEqual({
        matches: [
          { file: "a.env", line: 2, kind: "aws-access-key-id", redacted: "AKIA****(redacted, 20 chars)" },
        ],
        coverage: [
          { reason: "limit", message: "more than 1 files; the rest were not scanned", subject: "b.env" },
        ],
        filesScanned: 1,
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
