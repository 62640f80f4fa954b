import { describe, expect, it } from "vitest";
import { isBatchCommand, isServerCommand } from "./batch.js";
import { processContext } from "./context.js";

describe("batch commands", () => {
  it("are the commands that print a result from their inputs: servers, the sensor and event readers keep Node's streams", () => {
    for (const argv of [
      ["scan", "x.yaml", "-o", "json"],
      ["rules"],
      ["pss", "x.yaml"],
      ["rbac", "who-can", "get", "secrets"],
      ["netpol", "connectivity", "x.yaml"],
      ["versions", "compare", "1.0", "2.0"],
    ])
      expect(isBatchCommand(argv)).toBe(true);
    for (const argv of [
      [],
      ["--help"],
      ["serve"],
      ["admission", "serve"],
      ["sensor"],
      ["events", "ingest", "-"],
      ["runtime", "attribute", "-"],
      ["vuln", "db", "update"],
      ["push"],
    ])
      expect(isBatchCommand(argv)).toBe(false);
  });

  it("servers are serve, the sensor and the admission webhook", () => {
    for (const argv of [["serve"], ["sensor"], ["admission", "serve", "--listen", ":8443"]])
      expect(isServerCommand(argv)).toBe(true);
    for (const argv of [[], ["admission", "install"], ["admission", "test"], ["events", "ingest"], ["scan"]])
      expect(isServerCommand(argv)).toBe(false);
  });

  it("get direct output; other commands Node's own streams", () => {
    expect(processContext().stdout).toBe(process.stdout);
    expect(processContext().stderr).toBe(process.stderr);
    const direct = processContext({ directOutput: true });
    expect(direct.stdout).not.toBe(process.stdout);
    expect(direct.stderr).not.toBe(process.stderr);
  });
});
