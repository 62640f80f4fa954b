import { describe, expect, it } from "vitest";
import { isBatchCommand } from "./batch.js";
import { processContext } from "./context.js";

describe("batch commands", () => {
  it("are the scan only: servers, the sensor and followers keep Node's streams", () => {
    expect(isBatchCommand(["scan", "x.yaml", "-o", "json"])).toBe(true);
    for (const argv of [
      [],
      ["--help"],
      ["serve"],
      ["admission", "serve"],
      ["sensor"],
      ["events", "follow"],
      ["rbac"],
    ])
      expect(isBatchCommand(argv)).toBe(false);
  });

  it("get direct output; other commands Node's own streams", () => {
    expect(processContext().stdout).toBe(process.stdout);
    expect(processContext().stderr).toBe(process.stderr);
    const direct = processContext({ directOutput: true });
    expect(direct.stdout).not.toBe(process.stdout);
    expect(direct.stderr).not.toBe(process.stderr);
  });
});
