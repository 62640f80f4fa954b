import { describe, expect, it } from "vitest";
import { runCli } from "../../../../test/support/cli.js";

const cli = (argv: string[], stdin = "") => runCli(argv, { stdin, now: new Date("2026-01-01T00:00:00Z") });

describe("palisade versions compare", () => {
  it("compares two versions given as arguments", async () => {
    expect(await cli(["versions", "compare", "--ecosystem", "Debian:12", "1.0~rc1", "1.0"])).toEqual({
      code: 0,
      stdout: "<\n",
      stderr: "",
    });
    expect(await cli(["versions", "compare", "-e", "Maven", "1.0-GA", "1"])).toEqual({
      code: 0,
      stdout: "=\n",
      stderr: "",
    });
    expect(await cli(["versions", "compare", "-e", "Alpine:v3.19", "1.0_p1", "1.0"])).toEqual({
      code: 0,
      stdout: ">\n",
      stderr: "",
    });
  });

  it("reads pairs from stdin, reports bad lines in place and exits 2 at the end", async () => {
    const r = await cli(
      ["versions", "compare", "-e", "Go"],
      "v1.0.0 v1.0.0\nv1.0.0-rc.1\tv1.0.0\nnot-a-version v1.0.0\n\nv2.0.0 v1.0.0\r\n",
    );
    expect(r).toEqual({
      code: 2,
      stdout: [
        "=",
        "<",
        'error: invalid Go version "not-a-version": not a Go module version (vMAJOR.MINOR.PATCH[-PRE][+BUILD])',
        "error: expected two versions separated by white space, got 0",
        ">",
        "",
      ].join("\n"),
      stderr:
        'palisade: stdin:3: invalid Go version "not-a-version": not a Go module version (vMAJOR.MINOR.PATCH[-PRE][+BUILD])\n' +
        "palisade: stdin:4: expected two versions separated by white space, got 0\n",
    });
  });

  it("orders a PyPI version pip reads as a LegacyVersion instead of failing (issue 8)", async () => {
    expect(
      await cli(["versions", "compare", "-e", "PyPI"], "0.1-bulbasaur 0.1\n0.1-bulbasaur 0.0.1\n"),
    ).toEqual({
      code: 0,
      stdout: "<\n<\n",
      stderr: "",
    });
  });

  it("exits 0 when every stdin line is good", async () => {
    expect(await cli(["versions", "compare", "-e", "npm"], "1.0.0 1.0.0-rc.1\n1.0.0 2.0.0\n")).toEqual({
      code: 0,
      stdout: ">\n<\n",
      stderr: "",
    });
  });

  it("refuses unknown ecosystems and half a pair (usage errors)", async () => {
    const unknown = await cli(["versions", "compare", "-e", "Hackage", "1", "2"]);
    expect({
      code: unknown.code,
      stdout: unknown.stdout,
      starts: unknown.stderr.startsWith('palisade: unknown ecosystem "Hackage" (known: '),
    }).toEqual({
      code: 2,
      stdout: "",
      starts: true,
    });
    expect(await cli(["versions", "compare", "-e", "npm", "1.0.0"])).toEqual({
      code: 2,
      stdout: "",
      stderr: "palisade: give two versions, or none to read stdin\n",
    });
    expect(await cli(["versions", "compare", "-e", "npm", "1.0", "1.0.0"])).toEqual({
      code: 2,
      stdout: "",
      stderr: 'palisade: invalid SemVer version "1.0": not SemVer 2.0.0 (MAJOR.MINOR.PATCH[-PRE][+BUILD])\n',
    });
  });

  it("answers 100,000 stdin pairs, one line each (speed is measured in bench/versions.ts)", async () => {
    const lines = Array.from({ length: 100_000 }, (_, i) => `1:${i % 97}.${i}-1 1:${i % 89}.${i}~rc1-1`);
    const r = await cli(["versions", "compare", "-e", "Debian"], `${lines.join("\n")}\n`);
    expect({ code: r.code, lines: r.stdout.split("\n").length - 1, stderr: r.stderr }).toEqual({
      code: 0,
      lines: 100_000,
      stderr: "",
    });
  });
});
