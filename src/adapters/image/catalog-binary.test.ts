import { execFileSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { deflateSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { auditableSection, buildElf } from "../../../test/support/elf.js";
import { AUDITABLE_MAX_JSON, catalogBinary, catalogFile } from "./catalog-file.js";

const dir = mkdtempSync(join(tmpdir(), "palisade-catalog-binary-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const DEPS = [
  { name: "smallvec", version: "1.6.0", source: "crates.io" },
  { name: "svc", version: "0.1.0", source: "local", dependencies: [0], root: true },
];
const crate = (name: string, version: string, location: string) => ({
  type: "cargo",
  name,
  version,
  locations: [location],
});

describe("cargo-auditable binaries", () => {
  it("a real ELF executable (/bin/true) with a .dep-v0 section injected by objcopy, as cargo-auditable's linker step leaves one", () => {
    const bin = join(dir, "true");
    copyFileSync("/bin/true", bin);
    const payload = join(dir, "dep-v0");
    writeFileSync(payload, auditableSection(DEPS));
    const out = join(dir, "svc");
    execFileSync("objcopy", ["--add-section", `.dep-v0=${payload}`, bin, out]);
    expect(catalogFile("go", "usr/local/bin/svc", readFileSync(out))).toEqual({
      result: {
        packages: [
          crate("smallvec", "1.6.0", "usr/local/bin/svc"),
          crate("svc", "0.1.0", "usr/local/bin/svc"),
        ],
        coverage: [],
      },
    });
    // The same executable without the section is just a binary.
    expect(catalogBinary(readFileSync(bin), "usr/bin/true")).toEqual({ packages: [], coverage: [] });
  });

  describe("pathological cases", () => {
    it("a section that is not zlib is a parse error; one that inflates past the cap is a limit, not memory", () => {
      const junk = buildElf([{ name: ".dep-v0", data: new Uint8Array([1, 2, 3, 4]) }]);
      expect(catalogBinary(Buffer.from(junk), "b")).toEqual({
        packages: [],
        coverage: [
          {
            reason: "parse-error",
            subject: "b",
            message: expect.stringMatching(/^\.dep-v0: not a zlib stream/),
          },
        ],
      });
      const bomb = buildElf([
        { name: ".dep-v0", data: deflateSync(Buffer.alloc(AUDITABLE_MAX_JSON + 1, 0x20)) },
      ]);
      expect(catalogBinary(Buffer.from(bomb), "b")).toEqual({
        packages: [],
        coverage: [
          {
            reason: "limit",
            subject: "b",
            message: `.dep-v0: the dependency list inflates to more than ${AUDITABLE_MAX_JSON} bytes; not read`,
          },
        ],
      });
    });

    it("a truncated section (the compressed stream cut short) is a parse error", () => {
      const cut = auditableSection(DEPS).subarray(0, 20);
      expect(catalogBinary(Buffer.from(buildElf([{ name: ".dep-v0", data: cut }])), "b").coverage).toEqual([
        {
          reason: "parse-error",
          subject: "b",
          message: expect.stringMatching(/^\.dep-v0: not a zlib stream/),
        },
      ]);
    });
  });
});
