import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readConfigFile } from "../../adapters/config/index.js";
import { loadExceptions } from "./index.js";

const dir = mkdtempSync(join(tmpdir(), "palisade-exceptions-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const read = (path: string) => readConfigFile(path, dir);

describe("loadExceptions (exceptions service)", () => {
  it("keeps valid entries with their source line; invalid ones are coverage naming file and line", async () => {
    writeFileSync(
      join(dir, "exceptions.yaml"),
      [
        "exceptions:",
        "  - id: web-privileged",
        "    namespaces: [shop]",
        "    rules: [PAL-POD-001]",
        "    reason: Legacy loader.",
        "    expires: 2027-01-31",
        "  - rules: [PAL-IMG-001]",
        "  - rules: [PAL-IMG-*]",
        "    reason: Migration.",
        "",
      ].join("\n"),
    );
    expect(await loadExceptions("exceptions.yaml", read)).toEqual({
      exceptions: [
        {
          id: "web-privileged",
          namespaces: ["shop"],
          rules: ["PAL-POD-001"],
          reason: "Legacy loader.",
          expires: "2027-01-31",
          source: { file: "exceptions.yaml", line: 2 },
        },
        {
          id: "exceptions[2]",
          rules: ["PAL-IMG-*"],
          reason: "Migration.",
          source: { file: "exceptions.yaml", line: 8 },
        },
      ],
      coverage: [
        {
          reason: "invalid",
          subject: "exceptions.yaml",
          location: { file: "exceptions.yaml", line: 7, column: 1 },
          message: "invalid exception exceptions[1].reason: is required (entry skipped)",
        },
      ],
    });
  });

  it("reads a bare list too", async () => {
    writeFileSync(join(dir, "list.yaml"), "- rules: [PAL-POD-001]\n  reason: r\n");
    expect(await loadExceptions("list.yaml", read)).toEqual({
      exceptions: [
        { id: "exceptions[0]", rules: ["PAL-POD-001"], reason: "r", source: { file: "list.yaml", line: 1 } },
      ],
      coverage: [],
    });
  });

  it("lets the reader's error through (the file is named, the run stops)", async () => {
    await expect(loadExceptions("missing.yaml", read)).rejects.toMatchObject({
      code: "IO",
      context: { file: "missing.yaml" },
    });
  });
});
