import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { deflateSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { auditableSection, buildElf } from "../support/elf.js";
import { runHostile } from "./harness.js";

/**
 * Hostile application package files (issue 18: PHP, Ruby, .NET and Rust catalogers), generated here and run
 * through the real CLI on a directory: nesting JSON.parse accepts a million deep, a 40 MB lock file, a cargo-auditable section that inflates to 64 MiB, ELF headers that point past the file. The run must
 * end by itself, keep the packages it could read, name each file it could not, and stay under a memory ceiling.
 */
const work = mkdtempSync(join(tmpdir(), "palisade-hostile-apps-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function write(rel: string, body: string | Uint8Array, mode = 0o644): void {
  const p = join(work, rel);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, body, { mode });
}

describe("hostile application package files in a directory", () => {
  const deep = 1_000_000;
  write(
    "php/composer.lock",
    `{"packages": [{"name": "a/b", "version": "1.0.0"}], "extra": ${"[".repeat(deep)}${"]".repeat(deep)}}`,
  );
  // 40 MB of dependency lines under two specs: every line is looked at, none is a package.
  write(
    "ruby/Gemfile.lock",
    `GEM\n  remote: https://rubygems.org/\n  specs:\n    rack (2.2.4)\n${"      dep (>= 1.0)\n".repeat(2_000_000)}    rake (13.0.6)\n    broken (\n`,
  );
  write(
    "dotnet/x.deps.json",
    `{"libraries": {"__proto__": {"type": "package"}, "Ok.Pkg/2.0.0": {"type": "package"}}}`,
  );
  write("rust/Cargo.lock", `[[package]]\nname = "${"x".repeat(2_000_000)}`);
  write(
    "bin/bomb",
    buildElf([{ name: ".dep-v0", data: new Uint8Array(deflateSync(Buffer.alloc(64 * 1024 * 1024, 0x20))) }]),
    0o755,
  );
  // A section header table claimed 65,535 entries long, 16 bytes before the end of the file.
  const lying = buildElf([{ name: ".dep-v0", data: auditableSection([{ name: "c", version: "1.0.0" }]) }]);
  const v = new DataView(lying.buffer, lying.byteOffset);
  v.setBigUint64(0x28, BigInt(lying.length - 16), true);
  v.setUint16(0x3c, 0xffff, true);
  write("bin/lying", lying, 0o755);
  write(
    "bin/ok",
    buildElf([{ name: ".dep-v0", data: auditableSection([{ name: "serde", version: "1.0.0" }]) }]),
    0o755,
  );

  it("ends by itself, keeps what it could read and names what it could not", async () => {
    const r = await runHostile(["sbom", `dir:${work}`, "-o", "json"], {
      killAfterMs: 100_000,
    });
    expect(r.killed).toBe(false);
    expect(r.code).not.toBeNull();
    expect(r.code as number).toBeLessThanOrEqual(2);
    expect(r.maxRssMiB).toBeLessThan(600);
    const sbom = JSON.parse(r.stdout) as { packages?: { purl?: string }[] };
    const purls = (sbom.packages ?? []).map((c) => c.purl ?? "");
    expect(purls).toEqual(
      expect.arrayContaining([
        "pkg:composer/a/b@1.0.0",
        "pkg:nuget/Ok.Pkg@2.0.0",
        "pkg:cargo/serde@1.0.0",
        "pkg:gem/rack@2.2.4",
        "pkg:gem/rake@13.0.6",
      ]),
    );
    expect(purls.some((p) => p.startsWith("pkg:cargo/c@"))).toBe(false);
    expect(r.stderr).toContain("ruby/Gemfile.lock");
    expect(r.stderr).toContain("1 spec line not of the form 'name (version)'");
    expect(r.stderr).toContain("bin/bomb");
    expect(r.stderr).toContain("inflates to more than 8388608 bytes");
    expect(r.stderr).toContain("rust/Cargo.lock");
  }, 120_000);
});
