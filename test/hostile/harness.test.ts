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
});
