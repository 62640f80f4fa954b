import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runHostile } from "./harness.js";

/**
 * Hostile source-tree lockfiles (issue 18: Python, Java, Go, Elixir, Dart), generated here and run through the
 * real CLI on a directory: nesting a million deep, megabyte lines built for backtracking, a million continuation
 * lines, a million-line go.mod, self-expanding pom properties, truncation mid-string. The run must end by itself,
 * keep the packages it could read, name each file it could not, and stay under a memory ceiling.
 */
const work = mkdtempSync(join(tmpdir(), "palisade-hostile-src-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function write(rel: string, body: string): void {
  const p = join(work, rel);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, body);
}

describe("hostile lockfiles in a source tree", () => {
  const deep = 1_000_000;
  write(
    "py/uv.lock",
    `[[package]]\nname = "ok-uv"\nversion = "1.0.0"\n\n[[package]]\nname = "x"\nversion = ${"[".repeat(deep)}\n`,
  );
  write("py/poetry.lock", `[[package]]\nname = "ok-poetry"\nversion = "1.0.0"\n\n[[package]]\nname = "cut\n`);
  write(
    "py/Pipfile.lock",
    `{"default": {"ok-pipenv": {"version": "==1.0.0"}}, "_meta": ${"[".repeat(deep)}${"]".repeat(deep)}}`,
  );
  // A million continuation lines make one logical line; a line of spaces; then a real pin.
  write("py/requirements.txt", `${"a\\\n".repeat(deep)}\n${" ".repeat(4_000_000)}x\nok-req==1.0.0\n`);
  write(
    "java/pom.xml",
    `<project><properties><a>\${b}\${b}\${b}\${b}</a><b>\${c}\${c}\${c}\${c}</b><c>\${d}\${d}\${d}\${d}</c><d>${"9".repeat(1000)}</d></properties><dependencies><dependency><groupId>g</groupId><artifactId>bomb</artifactId><version>\${a}</version></dependency><dependency><groupId>g</groupId><artifactId>ok-pom</artifactId><version>1.0.0</version></dependency></dependencies></project>`,
  );
  write("java/gradle.lockfile", `${"x".repeat(10_000_000)}\ng:ok-gradle:1.0.0=runtimeClasspath\n`);
  write("go/go.mod", `require (\n${"\tm/p v1.0.0\n".repeat(deep)}\tok/go v1.0.0\n)\n`);
  write("ex/mix.lock", `%{"ok_hex": {:hex, :ok_hex, "1.0.0"}, "x": ${"{".repeat(deep)}`);
  write("ex2/mix.lock", `%{"ok_hex2": {:hex, :ok_hex2, "1.0.0"}, "x": "${"\\n".repeat(2_000_000)}"}`);
  write(
    "dart/pubspec.lock",
    `packages:\n  ok_pub:\n    source: hosted\n    version: "1.0.0"\n  ${"a".repeat(3_000_000)}${" ".repeat(1_000_000)}\n`,
  );

  it("ends by itself, keeps what it could read and names what it could not", async () => {
    const r = await runHostile(["sbom", `dir:${work}`, "-o", "json"], { killAfterMs: 100_000 });
    expect(r.killed).toBe(false);
    expect(r.code as number).toBeLessThanOrEqual(2);
    expect(r.maxRssMiB).toBeLessThan(700);
    const sbom = JSON.parse(r.stdout) as { packages?: { purl?: string }[] };
    const purls = (sbom.packages ?? []).map((c) => c.purl ?? "");
    expect(purls).toEqual(
      expect.arrayContaining([
        "pkg:pypi/ok-uv@1.0.0",
        "pkg:pypi/ok-poetry@1.0.0",
        "pkg:pypi/ok-pipenv@1.0.0",
        "pkg:pypi/ok-req@1.0.0",
        "pkg:maven/g/ok-pom@1.0.0",
        "pkg:maven/g/ok-gradle@1.0.0",
        "pkg:golang/ok/go@v1.0.0",
        "pkg:hex/ok_hex2@1.0.0",
        "pkg:pub/ok_pub@1.0.0",
      ]),
    );
    for (const [file, what] of [
      ["py/uv.lock", "values nested deeper than 64"],
      ["py/poetry.lock", "newline in a single-line string"],
      ["java/pom.xml", "expands past 4096"],
      ["ex/mix.lock", "nested deeper than 64"],
      ["dart/pubspec.lock", "characters (over 65536); skipped"],
    ] as const)
      expect([file, r.stderr.includes(file) && r.stderr.includes(what)]).toEqual([file, true]);
  }, 120_000);
});
