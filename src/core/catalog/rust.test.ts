import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { auditableSection, buildElf } from "../../../test/support/elf.js";
import {
  elfSection,
  isCargoLockPath,
  makePurl,
  matchCataloger,
  parseAuditableJson,
  parseCargoLock,
} from "./index.js";
import { MAX_CARGO_PACKAGES } from "./rust.js";

const enc = (s: string) => new TextEncoder().encode(s);
const LOCK = readFileSync(join(import.meta.dirname, "__fixtures__", "Cargo.lock"));
const crate = (name: string, version: string, location: string, line?: number) => ({
  type: "cargo" as const,
  name,
  version,
  locations: [location],
  ...(line === undefined ? {} : { line }),
});

describe("rust", () => {
  it("reads which files are Cargo locks", () => {
    expect(
      [
        "src/svc/Cargo.lock",
        "root/.cargo/registry/src/index.crates.io-6f17d22bba15001f/ripgrep-14.1.0/Cargo.lock",
        "root/.cargo/git/checkouts/utils-1/4f1e2a0/Cargo.lock",
        "src/svc/Cargo.toml",
      ].map((p) => [p, isCargoLockPath(p), matchCataloger(p)]),
    ).toEqual([
      ["src/svc/Cargo.lock", true, "rust"],
      [
        "root/.cargo/registry/src/index.crates.io-6f17d22bba15001f/ripgrep-14.1.0/Cargo.lock",
        false,
        undefined,
      ],
      ["root/.cargo/git/checkouts/utils-1/4f1e2a0/Cargo.lock", false, undefined],
      ["src/svc/Cargo.toml", false, undefined],
    ]);
  });

  it("Cargo.lock: every [[package]] (registry, git and the workspace crate), at the line of its name", () => {
    const p = "src/svc/Cargo.lock";
    expect(parseCargoLock(LOCK, p)).toEqual({
      packages: [
        crate("hyper", "0.14.18", p, 6),
        crate("my-service", "0.3.0", p, 16),
        crate("smallvec", "1.6.0", p, 25),
        crate("vendored-utils", "0.1.0", p, 31),
      ],
      coverage: [],
    });
  });

  it("Cargo.lock: literal strings, escapes, comments after a table header, CRLF", () => {
    const text = "[[package]] # x\r\nname = 'a-b'\r\nversion = \"1.0.0\\u002Bmeta\"\r\n";
    expect(parseCargoLock(enc(text), "Cargo.lock").packages).toEqual([
      crate("a-b", "1.0.0+meta", "Cargo.lock", 2),
    ]);
  });

  it("purls: pkg:cargo/<name>@<version> (purl-spec cargo)", () => {
    expect(makePurl(crate("smallvec", "1.6.0", "x"), undefined)).toBe("pkg:cargo/smallvec@1.6.0");
  });

  describe("cargo-auditable binaries (ELF written by the test, .dep-v0 section injected)", () => {
    const deps = [
      { name: "hyper", version: "0.14.18", source: "crates.io", dependencies: [2] },
      { name: "my-service", version: "0.3.0", source: "local", dependencies: [0, 2], root: true },
      { name: "smallvec", version: "1.6.0", source: "crates.io" },
      { name: "cc", version: "1.0.83", source: "crates.io", kind: "build" },
    ];
    const text = new Uint8Array([0x55, 0x48, 0x89, 0xe5, 0xc3]);
    const sections = [
      { name: ".text", data: text },
      { name: ".dep-v0", data: auditableSection(deps) },
      { name: ".bss", data: new Uint8Array(64), type: 8 },
    ];

    it("finds the section in 64-bit LE, 32-bit BE and extended-numbering ELF files", () => {
      for (const opts of [{}, { bits: 32 as const, bigEndian: true }, { extended: true }]) {
        expect(elfSection(buildElf(sections, opts), ".dep-v0")).toEqual(sections[1]?.data);
        expect(elfSection(buildElf(sections, opts), ".text")).toEqual(text);
        expect(elfSection(buildElf(sections, opts), ".dep-v1")).toBeUndefined();
        expect(elfSection(buildElf(sections, opts), ".dep")).toBeUndefined();
      }
      // SHT_NOBITS has no bytes in the file.
      expect(elfSection(buildElf(sections), ".bss")).toBeUndefined();
    });

    it("the dependency list: every package, root and build-time ones included", () => {
      expect(parseAuditableJson(enc(JSON.stringify({ packages: deps })), "usr/local/bin/svc")).toEqual({
        packages: [
          crate("hyper", "0.14.18", "usr/local/bin/svc"),
          crate("my-service", "0.3.0", "usr/local/bin/svc"),
          crate("smallvec", "1.6.0", "usr/local/bin/svc"),
          crate("cc", "1.0.83", "usr/local/bin/svc"),
        ],
        coverage: [],
      });
    });
  });

  describe("pathological cases", () => {
    it("a truncated Cargo.lock keeps the tables before the cut and counts the cut one", () => {
      const cut = LOCK.toString("utf8");
      const r = parseCargoLock(enc(cut.slice(0, cut.indexOf('version = "1.6.0"'))), "Cargo.lock");
      expect(r).toEqual({
        packages: [
          crate("hyper", "0.14.18", "Cargo.lock", 6),
          crate("my-service", "0.3.0", "Cargo.lock", 16),
        ],
        coverage: [
          {
            reason: "parse-error",
            subject: "Cargo.lock",
            message: "1 [[package]] table without a name and version",
          },
        ],
      });
    });

    it("wrong types in Cargo.lock (numbers, arrays, unterminated strings) are not versions", () => {
      const r = parseCargoLock(
        enc(
          '[[package]]\nname = 7\nversion = "1"\n[[package]]\nname = "x"\nversion = ["1"]\n[[package]]\nname = "y\nversion = "2"\n',
        ),
        "Cargo.lock",
      );
      expect(r.packages).toEqual([]);
      expect(r.coverage[0]?.message).toBe("3 [[package]] tables without a name and version");
    });

    it("truncated, cut and hostile ELF headers never throw and find nothing", () => {
      const elf = buildElf(sections());
      for (let n = 0; n < elf.length; n += 7)
        expect(() => elfSection(elf.subarray(0, n), ".dep-v0")).not.toThrow();
      expect(elfSection(elf.subarray(0, elf.length - 1), ".dep-v0")).toBeUndefined();
      const bad = new Uint8Array(elf);
      const v = new DataView(bad.buffer);
      v.setBigUint64(0x28, 2n ** 62n, true); // e_shoff past the end
      expect(elfSection(bad, ".dep-v0")).toBeUndefined();
      const huge = new Uint8Array(elf);
      new DataView(huge.buffer).setUint16(0x3c, 0xffff, true); // e_shnum larger than the table
      expect(elfSection(huge, ".dep-v0")).toEqual(elfSection(elf, ".dep-v0"));
      expect(elfSection(new Uint8Array([0x7f, 0x45, 0x4c, 0x46]), ".dep-v0")).toBeUndefined();
      expect(elfSection(enc("#!/bin/sh\necho hi\n"), ".dep-v0")).toBeUndefined();
      function sections() {
        return [{ name: ".dep-v0", data: auditableSection([{ name: "a", version: "1" }]) }];
      }
    });

    it("wrong types, __proto__ and huge lists in the dependency list", () => {
      expect(parseAuditableJson(enc("[1]"), "b")).toEqual({
        packages: [],
        coverage: [{ reason: "parse-error", subject: "b", message: ".dep-v0: no packages array" }],
      });
      expect(
        parseAuditableJson(
          enc(
            '{"packages": [{"name": "a", "version": 1}, 5, {"__proto__": {"name": "x"}, "version": "1"}, {"name": "ok", "version": "1.0.0"}]}',
          ),
          "b",
        ),
      ).toEqual({
        packages: [crate("ok", "1.0.0", "b")],
        coverage: [
          {
            reason: "parse-error",
            subject: "b",
            message: "3 packages in .dep-v0 without a string name and version",
          },
        ],
      });
      const many = Array.from({ length: MAX_CARGO_PACKAGES + 1 }, (_, i) => ({
        name: `c${i}`,
        version: "1.0.0",
      }));
      const r = parseAuditableJson(enc(JSON.stringify({ packages: many })), "b");
      expect(r.packages).toHaveLength(MAX_CARGO_PACKAGES);
      expect(r.coverage).toEqual([
        {
          reason: "limit",
          subject: "b",
          message: `more than ${MAX_CARGO_PACKAGES} packages in .dep-v0; the rest were not read`,
        },
      ]);
    });
  });
});
