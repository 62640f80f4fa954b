import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseGoMod } from "./go-mod.js";
import { matchCataloger, PackageTracker } from "./index.js";
import { parseMixLock } from "./mix-lock.js";
import type { CatalogResult } from "./model.js";
import { parsePubspecLock } from "./pubspec-lock.js";

const DIR = join(import.meta.dirname, "__fixtures__", "source");
const read = (name: string) => new Uint8Array(readFileSync(join(DIR, name)));
const enc = (s: string) => new TextEncoder().encode(s);

/** purls as the tracker computes them for a directory scan. */
function purls(path: string, r: CatalogResult): string[] {
  const t = new PackageTracker();
  t.put(path, { result: r });
  t.commitLayer();
  return t
    .finish({ kind: "directory", name: "x" }, [])
    .sbom.packages.map((p) => p.purl)
    .sort();
}

describe("go.mod (source scans)", () => {
  const r = parseGoMod(read("go/go.mod"), "go.mod");

  it("is matched outside the module cache and vendor/", () => {
    expect(
      ["go.mod", "svc/go.mod", "root/go/pkg/mod/github.com/x/y@v1.0.0/go.mod", "vendor/x/go.mod"].map(
        matchCataloger,
      ),
    ).toEqual(["gomod", "gomod", undefined, undefined]);
  });

  it("requires with replaces applied (versioned over unversioned), indirect flagged, stdlib at the toolchain", () => {
    expect(r).toEqual({
      packages: [
        {
          type: "golang",
          name: "github.com/gin-gonic/gin",
          version: "v1.9.0",
          locations: ["go.mod"],
          line: 8,
        },
        { type: "golang", name: "github.com/pkg/errors", version: "v0.8.1", locations: ["go.mod"], line: 9 },
        {
          type: "golang",
          name: "golang.org/x/net",
          version: "v0.17.0",
          locations: ["go.mod"],
          line: 10,
          indirect: true,
        },
        {
          type: "golang",
          name: "gopkg.in/yaml.v3",
          version: "v3.0.0",
          locations: ["go.mod"],
          line: 12,
          indirect: true,
        },
        {
          type: "golang",
          name: "github.com/google/uuid",
          version: "v1.3.0",
          locations: ["go.mod"],
          line: 15,
        },
        { type: "golang", name: "stdlib", version: "1.21.5", locations: ["go.mod"], line: 5 },
      ],
      coverage: [
        {
          reason: "not-evaluated",
          subject: "go.mod",
          location: { file: "go.mod", line: 22, column: 1 },
          message:
            "example.com/shop/internal v0.0.0-00010101000000-000000000000 is replaced by the local directory ./internal",
        },
      ],
    });
  });

  it("purls split the module path into namespace and name (purl-spec golang)", () => {
    expect(purls("go.mod", r)).toEqual([
      "pkg:golang/github.com/gin-gonic/gin@v1.9.0",
      "pkg:golang/github.com/google/uuid@v1.3.0",
      "pkg:golang/github.com/pkg/errors@v0.8.1",
      "pkg:golang/golang.org/x/net@v0.17.0",
      "pkg:golang/gopkg.in/yaml.v3@v3.0.0",
      "pkg:golang/stdlib@1.21.5",
    ]);
  });

  it("without a toolchain line the go directive gives stdlib; quoted paths and one-line forms", () => {
    const m = parseGoMod(
      enc(
        'module m\ngo 1.22.1\nrequire "github.com/a/b" v1.0.0\nreplace github.com/a/b v1.0.0=>github.com/c/b v1.1.0\n',
      ),
      "go.mod",
    );
    expect(m.packages.map((p) => `${p.name}@${p.version}:${p.line}`)).toEqual([
      "github.com/c/b@v1.1.0:3",
      "stdlib@1.22.1:2",
    ]);
  });

  describe("pathological cases", () => {
    it("malformed directives are reported with their line; an unclosed block and truncation do not throw", () => {
      const m = parseGoMod(
        enc('require (\n  onlypath\n  a v1 extra\n  "unterminated v1\n  ok/mod v1.0.0\n'),
        "go.mod",
      );
      expect([m.packages.map((p) => p.name), m.coverage.map((c) => [c.reason, c.location?.line])]).toEqual([
        ["ok/mod"],
        [
          ["invalid", 2],
          ["invalid", 3],
          ["parse-error", 4],
        ],
      ]);
      expect(parseGoMod(enc("replace a => \nreplace => b v1\n"), "go.mod").coverage.length).toBe(2);
    });

    it("huge and binary input: bounded, never a throw", () => {
      const huge = `require (\n${Array.from({ length: 50_000 }, (_, i) => `\tm/p${i} v1.0.${i}`).join("\n")}\n)\n`;
      expect(parseGoMod(enc(huge), "go.mod").packages.length).toBe(50_000);
      const over = `require (\n${Array.from({ length: 200_001 }, (_, i) => `\tm/p${i} v1.0.0`).join("\n")}\n)\n`;
      const capped = parseGoMod(enc(over), "go.mod");
      expect([capped.packages.length, capped.coverage.map((c) => c.message)]).toEqual([
        200_000,
        ["more than 200000 requirements"],
      ]);
      const same = parseGoMod(enc(`require (\n${"\tm/p v1.0.0\n".repeat(300_000)})\n`), "go.mod");
      expect([same.packages.length, same.coverage]).toEqual([1, []]);
      const junk = new Uint8Array(4096).map((_, i) => (i * 7919) % 256);
      expect(() => parseGoMod(junk, "go.mod")).not.toThrow();
    });
  });
});

describe("mix.lock (Hex)", () => {
  const r = parseMixLock(read("elixir/mix.lock"), "mix.lock");

  it("is matched outside deps/", () => {
    expect(["mix.lock", "apps/web/mix.lock", "deps/plug/mix.lock"].map(matchCataloger)).toEqual([
      "mix",
      "mix",
      undefined,
    ]);
  });

  it("every :hex entry at its line, named by its package atom; git entries are not Hex releases", () => {
    expect(r).toEqual({
      packages: [
        { type: "hex", name: "cowboy", version: "2.10.0", locations: ["mix.lock"], line: 2 },
        { type: "hex", name: "decimal", version: "2.1.1", locations: ["mix.lock"], line: 3 },
        {
          type: "hex",
          name: "auth_client",
          group: "acme",
          version: "0.4.2",
          locations: ["mix.lock"],
          line: 4,
        },
        { type: "hex", name: "plug", version: "1.11.0", locations: ["mix.lock"], line: 6 },
        { type: "hex", name: "ranch", version: "1.8.0", locations: ["mix.lock"], line: 7 },
      ],
      coverage: [],
    });
  });

  it("an organization's package has it as purl namespace", () => {
    expect(purls("mix.lock", r)).toEqual([
      "pkg:hex/acme/auth_client@0.4.2",
      "pkg:hex/cowboy@2.10.0",
      "pkg:hex/decimal@2.1.1",
      "pkg:hex/plug@1.11.0",
      "pkg:hex/ranch@1.8.0",
    ]);
  });

  it("older Mix formats: fewer tuple elements, => keys", () => {
    const old = parseMixLock(
      enc('%{"poison" => {:hex, :poison, "3.1.0", "abc"},\n  "x": {:hex, :x, "1.0.0"}}'),
      "mix.lock",
    );
    expect(old.packages.map((p) => `${p.name}@${p.version}:${p.line}`)).toEqual([
      "poison@3.1.0:1",
      "x@1.0.0:2",
    ]);
  });

  describe("pathological cases", () => {
    it("truncated: a parse error at the line it stopped, nothing guessed", () => {
      const text = readFileSync(join(DIR, "elixir/mix.lock"), "utf8");
      const cut = parseMixLock(enc(text.slice(0, text.indexOf('"plug"') + 30)), "mix.lock");
      expect([cut.packages, cut.coverage.map((c) => [c.reason, c.location?.line, c.message])]).toEqual([
        [],
        [["parse-error", 6, "mix.lock: unexpected end of file (truncated?)"]],
      ]);
    });

    it("wrong types and shapes are said with their line; code is never evaluated", () => {
      const w = parseMixLock(
        enc('%{\n  "a": 5,\n  "b": {:hex, "b", 1},\n  "c": {:hex, :c, "1.0.0"}\n}'),
        "mix.lock",
      );
      expect([w.packages.map((p) => p.name), w.coverage.map((c) => c.location?.line)]).toEqual([
        ["c"],
        [2, 3],
      ]);
      expect(parseMixLock(enc("[1, 2]"), "mix.lock").coverage[0]?.message).toBe("mix.lock is not a map");
      expect(
        parseMixLock(enc('%{"a": System.cmd("rm", ["-rf", "/"])}'), "mix.lock").coverage[0]?.reason,
      ).toBe("parse-error");
    });

    it("deep nesting is capped; __proto__ as a name is only a string", () => {
      expect(parseMixLock(enc(`%{"a": ${"[".repeat(100_000)}`), "mix.lock").coverage[0]?.message).toBe(
        "mix.lock: nested deeper than 64",
      );
      const p = parseMixLock(enc('%{"__proto__": {:hex, :__proto__, "1.0.0"}}'), "mix.lock");
      expect(p.packages.map((x) => x.name)).toEqual(["__proto__"]);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });
  });
});

describe("pubspec.lock (Pub)", () => {
  const r = parsePubspecLock(read("dart/pubspec.lock"), "app/pubspec.lock");

  it("is matched by name", () => {
    expect(["pubspec.lock", "app/pubspec.lock", "pubspec.yaml"].map(matchCataloger)).toEqual([
      "pubspec",
      "pubspec",
      undefined,
    ]);
  });

  it("hosted packages at their line; sdk, path and git ones are not Pub releases", () => {
    expect(r).toEqual({
      packages: [
        { type: "pub", name: "async", version: "2.11.0", locations: ["app/pubspec.lock"], line: 4 },
        { type: "pub", name: "http", version: "0.13.5", locations: ["app/pubspec.lock"], line: 17 },
        {
          type: "pub",
          name: "internal_ui",
          version: "1.4.0",
          locations: ["app/pubspec.lock"],
          line: 25,
          purlQualifiers: { repository_url: "https://dart.example.com" },
        },
      ],
      coverage: [],
    });
  });

  it("a package hosted off pub.dev carries its server as repository_url", () => {
    expect(purls("pubspec.lock", r)).toEqual([
      "pkg:pub/async@2.11.0",
      "pkg:pub/http@0.13.5",
      "pkg:pub/internal_ui@1.4.0?repository_url=https%3A%2F%2Fdart.example.com",
    ]);
  });

  describe("pathological cases", () => {
    it("truncated, wrong shapes and prototype names: said with their line, the rest kept", () => {
      const text = readFileSync(join(DIR, "dart/pubspec.lock"), "utf8");
      const cut = parsePubspecLock(enc(text.slice(0, text.indexOf("  flutter:"))), "p");
      expect(cut.packages.map((p) => p.name)).toEqual(["async"]);
      const odd = parsePubspecLock(
        enc(
          'packages:\n  __proto__:\n    source: hosted\n    version: "1.0.0"\n  a:\n    version: "1.0.0"\n  b:\n    source: hosted\n  - junk\n',
        ),
        "p",
      );
      expect([odd.packages, odd.coverage.map((c) => [c.location?.line, c.message])]).toEqual([
        [],
        [
          [2, 'pubspec.lock: package name "__proto__" refused'],
          [9, 'pubspec.lock: not a "key: value" line: "- junk"'],
          [5, "pubspec.lock: a has no source"],
          [7, "pubspec.lock: b has no version"],
        ],
      ]);
      expect(parsePubspecLock(enc("sdks:\n  dart: any\n"), "p").coverage[0]?.message).toBe(
        "pubspec.lock: no packages: section",
      );
    });

    it("a flow-mapping description and binary garbage", () => {
      const f = parsePubspecLock(
        enc(
          'packages:\n  x:\n    description: {name: y, url: "https://pub.dev"}\n    source: hosted\n    version: "2.0.0"\n',
        ),
        "p",
      );
      expect(f.packages.map((p) => [p.name, p.purlQualifiers])).toEqual([["y", undefined]]);
      const junk = new Uint8Array(4096).map((_, i) => (i * 7919) % 256);
      expect(() => parsePubspecLock(junk, "p")).not.toThrow();
    });
  });
});

describe("lockfiles in image layers", () => {
  it("each package carries the layer that last wrote its lockfile, and its line", () => {
    const t = new PackageTracker();
    t.put("src/go.mod", { result: parseGoMod(read("go/go.mod"), "src/go.mod") });
    t.put("app/pubspec.lock", { result: parsePubspecLock(read("dart/pubspec.lock"), "app/pubspec.lock") });
    t.commitLayer();
    // Layer 1 rewrites mix.lock only; layer 2 removes pubspec.lock.
    t.put("srv/mix.lock", { result: parseMixLock(read("elixir/mix.lock"), "srv/mix.lock") });
    t.commitLayer();
    t.whiteout("app/pubspec.lock");
    t.commitLayer();
    const { sbom } = t.finish({ kind: "image", name: "x" }, [
      { diffId: "sha256:a" },
      { diffId: "sha256:b" },
      { diffId: "sha256:c" },
    ]);
    const at = (name: string) => sbom.packages.find((p) => p.name === name);
    expect(
      [at("github.com/gin-gonic/gin"), at("plug"), at("async")].map(
        (p) => p && [p.layerIndex, p.layerDiffId, p.locations[0], p.line],
      ),
    ).toEqual([[0, "sha256:a", "src/go.mod", 8], [1, "sha256:b", "srv/mix.lock", 6], undefined]);
  });
});
