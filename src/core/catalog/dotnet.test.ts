import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { MAX_NUGET_PACKAGES } from "./dotnet.js";
import { isDotnetPath, makePurl, matchCataloger, parseDepsJson, parsePackagesLock } from "./index.js";

const enc = (s: string) => new TextEncoder().encode(s);
const fixture = (n: string) => readFileSync(join(import.meta.dirname, "__fixtures__", n));
const nuget = (name: string, version: string, location: string, line: number) => ({
  type: "nuget" as const,
  name,
  version,
  locations: [location],
  line,
});

describe(".NET", () => {
  it("reads which files are .NET's", () => {
    expect(
      [
        "app/WebApp.deps.json",
        "app/packages.lock.json",
        "app/.deps.json",
        "app/WebApp.runtimeconfig.json",
      ].map((p) => [p, isDotnetPath(p), matchCataloger(p)]),
    ).toEqual([
      ["app/WebApp.deps.json", true, "dotnet"],
      ["app/packages.lock.json", true, "dotnet"],
      ["app/.deps.json", false, undefined],
      ["app/WebApp.runtimeconfig.json", false, undefined],
    ]);
  });

  it("deps.json: package and runtimepack libraries (the runtime pack by its package id), projects left out", () => {
    const p = "app/WebApp.deps.json";
    expect(parseDepsJson(fixture("webapp.deps.json"), p)).toEqual({
      packages: [
        nuget("Microsoft.NETCore.App.Runtime.linux-x64", "6.0.5", p, 50),
        nuget("Newtonsoft.Json", "13.0.1", p, 55),
        nuget("System.Text.Encodings.Web", "4.7.1", p, 62),
      ],
      coverage: [],
    });
  });

  it("the shared runtime's own deps.json (dotnet/runtime images) names the runtime package and its version", () => {
    const p = "usr/share/dotnet/shared/Microsoft.NETCore.App/8.0.0/Microsoft.NETCore.App.deps.json";
    const text = `{
  "runtimeTarget": {
    "name": ".NETCoreApp,Version=v8.0/linux-x64",
    "signature": ""
  },
  "compilationOptions": {},
  "targets": {
    ".NETCoreApp,Version=v8.0": {},
    ".NETCoreApp,Version=v8.0/linux-x64": {
      "Microsoft.NETCore.App.Runtime.linux-x64/8.0.0": {
        "runtime": {
          "System.Private.CoreLib.dll": { "assemblyVersion": "8.0.0.0", "fileVersion": "8.0.23.53103" }
        },
        "native": {
          "libSystem.Native.so": { "fileVersion": "0.0.0.0" }
        }
      }
    }
  },
  "libraries": {
    "Microsoft.NETCore.App.Runtime.linux-x64/8.0.0": {
      "type": "package",
      "serviceable": true,
      "sha512": "",
      "path": "microsoft.netcore.app.runtime.linux-x64/8.0.0"
    }
  }
}
`;
    expect(parseDepsJson(enc(text), p)).toEqual({
      packages: [nuget("Microsoft.NETCore.App.Runtime.linux-x64", "8.0.0", p, 21)],
      coverage: [],
    });
  });

  it("packages.lock.json: every framework's packages once, at the first line; projects left out", () => {
    const p = "src/WebApp/packages.lock.json";
    expect(parsePackagesLock(fixture("packages.lock.json"), p)).toEqual({
      packages: [
        nuget("Newtonsoft.Json", "13.0.1", p, 5),
        nuget("System.Text.Encodings.Web", "4.7.1", p, 11),
        nuget("System.Security.Cryptography.Xml", "4.7.0", p, 30),
      ],
      coverage: [],
    });
  });

  it("purls keep the package id as written (purl-spec nuget)", () => {
    expect(makePurl(nuget("Newtonsoft.Json", "13.0.1", "x", 1), undefined)).toBe(
      "pkg:nuget/Newtonsoft.Json@13.0.1",
    );
  });

  describe("pathological cases", () => {
    it("truncated files are parse errors naming the file", () => {
      for (const [f, parse] of [
        ["webapp.deps.json", parseDepsJson],
        ["packages.lock.json", parsePackagesLock],
      ] as const) {
        const data = fixture(f);
        expect(parse(data.subarray(0, data.length >> 1), f).coverage).toEqual([
          { reason: "parse-error", subject: f, message: expect.stringMatching(/^invalid JSON: /) },
        ]);
      }
    });

    it("wrong types: no libraries, library keys without a version, entries that are not objects", () => {
      expect(parseDepsJson(enc("[]"), "a.deps.json").coverage[0]?.message).toBe("deps.json is not an object");
      expect(parseDepsJson(enc('{"libraries": []}'), "a.deps.json").coverage[0]?.message).toBe(
        "deps.json has no libraries object",
      );
      expect(
        parseDepsJson(
          enc(
            '{"libraries": {"NoVersion": {"type": "package"}, "A/": {"type": "package"}, "B/1.0": 5, "C/1.0": {"type": 1}, "D/2.0": {"type": "reference"}, "E/3.0": {"type": "package"}}}',
          ),
          "a.deps.json",
        ),
      ).toEqual({
        packages: [nuget("E", "3.0", "a.deps.json", 1)],
        coverage: [
          {
            reason: "parse-error",
            subject: "a.deps.json",
            message: '4 libraries not of the form "Name/Version": {type}',
          },
        ],
      });
      expect(
        parsePackagesLock(
          enc(
            '{"dependencies": {"net8.0": {"A": {"type": "Direct"}, "B": "1.0", "C": {"resolved": "2.0"}}, "x": 7}}',
          ),
          "packages.lock.json",
        ),
      ).toEqual({
        packages: [nuget("C", "2.0", "packages.lock.json", 1)],
        coverage: [
          {
            reason: "parse-error",
            subject: "packages.lock.json",
            message: "3 entries of dependencies without a resolved version",
          },
        ],
      });
    });

    it("__proto__ keys are dropped; a package named like an Object property is still a package", () => {
      const r = parsePackagesLock(
        enc(
          '{"dependencies": {"__proto__": {"X": {"resolved": "1"}}, "net8.0": {"constructor": {"resolved": "1.0"}, "toString": {"resolved": "2.0"}}}}',
        ),
        "packages.lock.json",
      );
      expect(r.packages.map((p) => `${p.name}@${p.version}`)).toEqual(["toString@2.0"]);
    });

    it("huge: more packages than the budget stops with a limit entry", () => {
      const libs = Object.fromEntries(
        Array.from({ length: MAX_NUGET_PACKAGES + 2 }, (_, i) => [`P${i}/1.0.0`, { type: "package" }]),
      );
      const r = parseDepsJson(enc(JSON.stringify({ libraries: libs })), "a.deps.json");
      expect(r.packages).toHaveLength(MAX_NUGET_PACKAGES);
      expect(r.coverage).toEqual([
        {
          reason: "limit",
          subject: "a.deps.json",
          message: `more than ${MAX_NUGET_PACKAGES} packages; the rest were not read`,
        },
      ]);
    });
  });
});
