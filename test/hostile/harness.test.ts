import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runHostile } from "./harness.js";

describe("hostile harness", () => {
  it("measures the CLI child's exit code and peak RSS", async () => {
    const r = await runHostile(["--version"]);
    expect(r.code).toBe(0);
    expect(r.killed).toBe(false);
    expect(r.maxRssMiB).toBeGreaterThan(10);
    expect(r.maxRssMiB).toBeLessThan(1024);
  });

  it("a kill stops the CLI itself, not only GNU time (the run ends at the deadline)", async () => {
    // A preloaded timer keeps the CLI process alive forever after it has answered.
    const dir = mkdtempSync(join(tmpdir(), "palisade-harness-"));
    const hang = join(dir, "hang.cjs");
    writeFileSync(hang, "setInterval(() => {}, 1000);\n");
    const r = await runHostile(["--version"], {
      env: { NODE_OPTIONS: `--require ${hang}` },
      killAfterMs: 3000,
    });
    rmSync(dir, { recursive: true, force: true });
    expect(r.killed).toBe(true);
    expect(r.wallMs).toBeLessThan(30_000);
  });
});
