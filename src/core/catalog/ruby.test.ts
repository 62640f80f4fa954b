import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  isGemfileLockPath,
  isGemspecPath,
  makePurl,
  matchCataloger,
  parseGemfileLock,
  parseGemspec,
} from "./index.js";
import { MAX_LOCKED_GEMS } from "./ruby.js";

const enc = (s: string) => new TextEncoder().encode(s);
const fixture = (n: string) => readFileSync(join(import.meta.dirname, "__fixtures__", n));
const gem = (name: string, version: string, line: number, arch?: string) => ({
  type: "gem" as const,
  name,
  version,
  locations: ["app/Gemfile.lock"],
  line,
  ...(arch ? { arch } : {}),
});

describe("ruby", () => {
  it("reads which files are Bundler locks and installed specifications", () => {
    expect(
      [
        "app/Gemfile.lock",
        "app/gems.locked",
        "usr/local/bundle/gems/rack-2.2.4/Gemfile.lock",
        "usr/local/bundle/specifications/rack-2.2.4.gemspec",
        "usr/local/lib/ruby/gems/3.2.0/specifications/default/json-2.6.3.gemspec",
        "usr/local/bundle/gems/rack-2.2.4/rack.gemspec",
        "app/Gemfile",
      ].map((p) => [p, isGemfileLockPath(p) || isGemspecPath(p), matchCataloger(p)]),
    ).toEqual([
      ["app/Gemfile.lock", true, "ruby"],
      ["app/gems.locked", true, "ruby"],
      ["usr/local/bundle/gems/rack-2.2.4/Gemfile.lock", false, undefined],
      ["usr/local/bundle/specifications/rack-2.2.4.gemspec", true, "ruby"],
      ["usr/local/lib/ruby/gems/3.2.0/specifications/default/json-2.6.3.gemspec", true, "ruby"],
      ["usr/local/bundle/gems/rack-2.2.4/rack.gemspec", false, undefined],
      ["app/Gemfile", false, undefined],
    ]);
  });

  it("Gemfile.lock: the specs of GIT, PATH and GEM sections at their lines, platform gems apart", () => {
    expect(parseGemfileLock(fixture("Gemfile.lock"), "app/Gemfile.lock")).toEqual({
      packages: [
        gem("sprockets-rails", "3.4.2", 6),
        gem("billing", "0.1.0", 13),
        gem("actionpack", "7.0.4", 19),
        gem("mini_portile2", "2.8.1", 22),
        gem("nokogiri", "1.13.10", 23),
        gem("nokogiri", "1.13.10", 26, "x86_64-linux"),
        gem("racc", "1.6.2", 28),
        gem("rack", "2.2.4", 29),
        gem("rack-test", "2.0.2", 30),
        gem("sprockets", "4.2.0", 32),
      ],
      coverage: [],
    });
  });

  it("Windows line ends read the same", () => {
    const crlf = fixture("Gemfile.lock").toString("utf8").replace(/\n/g, "\r\n");
    expect(parseGemfileLock(enc(crlf), "app/Gemfile.lock")).toEqual(
      parseGemfileLock(fixture("Gemfile.lock"), "app/Gemfile.lock"),
    );
  });

  it("installed gemspecs: name, version, platform and licenses from the attributes, line of the name", () => {
    const p = "usr/local/bundle/specifications/rack-2.2.4.gemspec";
    expect(parseGemspec(fixture("rack-2.2.4.gemspec"), p)).toEqual({
      packages: [{ type: "gem", name: "rack", version: "2.2.4", locations: [p], line: 5, licenses: ["MIT"] }],
      coverage: [],
    });
    const n = "usr/local/bundle/specifications/nokogiri-1.13.10-x86_64-linux.gemspec";
    expect(parseGemspec(fixture("nokogiri-1.13.10-x86_64-linux.gemspec"), n).packages).toEqual([
      {
        type: "gem",
        name: "nokogiri",
        version: "1.13.10",
        locations: [n],
        line: 5,
        arch: "x86_64-linux",
        licenses: ["MIT"],
      },
    ]);
    // Only the stub comment (a spec written by an old RubyGems with `spec` as the block variable elsewhere).
    expect(parseGemspec(enc("# stub: json 2.6.3 ruby lib\n"), "s/json-2.6.3.gemspec").packages).toEqual([
      { type: "gem", name: "json", version: "2.6.3", locations: ["s/json-2.6.3.gemspec"] },
    ]);
    expect(
      parseGemspec(
        enc(
          "Gem::Specification.new do |spec|\n  spec.name = 'x'\n  spec.version = Gem::Version.new(\"1.0\")\nend\n",
        ),
        "x.gemspec",
      ).packages,
    ).toEqual([{ type: "gem", name: "x", version: "1.0", locations: ["x.gemspec"], line: 2 }]);
  });

  it("purls: the platform is the platform qualifier (purl-spec gem)", () => {
    expect(
      makePurl(
        { type: "gem", name: "nokogiri", version: "1.13.10", arch: "x86_64-linux", locations: [] },
        undefined,
      ),
    ).toBe("pkg:gem/nokogiri@1.13.10?platform=x86_64-linux");
    expect(makePurl({ type: "gem", name: "rack", version: "2.2.4", locations: [] }, undefined)).toBe(
      "pkg:gem/rack@2.2.4",
    );
  });

  describe("pathological cases", () => {
    it("truncated: the specs before the cut are read, a broken spec line is counted", () => {
      const text = fixture("Gemfile.lock").toString("utf8");
      const cut = text.slice(0, text.indexOf("racc (1.6.2)") + 8);
      expect(parseGemfileLock(enc(cut), "app/Gemfile.lock")).toEqual({
        packages: [
          gem("sprockets-rails", "3.4.2", 6),
          gem("billing", "0.1.0", 13),
          gem("actionpack", "7.0.4", 19),
          gem("mini_portile2", "2.8.1", 22),
          gem("nokogiri", "1.13.10", 23),
          gem("nokogiri", "1.13.10", 26, "x86_64-linux"),
        ],
        coverage: [
          {
            reason: "parse-error",
            subject: "app/Gemfile.lock",
            message: "1 spec line not of the form 'name (version)'",
          },
        ],
      });
    });

    it("binary junk, a gemspec without name, specs outside a specs: list, __proto__ as a gem name", () => {
      expect(parseGemfileLock(new Uint8Array([0, 255, 10, 32, 32, 0]), "g.lock")).toEqual({
        packages: [],
        coverage: [],
      });
      expect(parseGemspec(enc("puts 'hi'\n"), "x.gemspec")).toEqual({
        packages: [],
        coverage: [
          {
            reason: "parse-error",
            subject: "x.gemspec",
            message: "gem specification without name or version",
          },
        ],
      });
      const r = parseGemfileLock(
        enc("GEM\n  remote: x\n    stray (1.0)\n  specs:\n    __proto__ (1.0)\n    constructor (2.0)\n"),
        "Gemfile.lock",
      );
      expect(r.packages.map((p) => `${p.name} ${p.version}`)).toEqual(["__proto__ 1.0", "constructor 2.0"]);
    });

    it("huge: more gems than the budget stops with a limit entry", () => {
      const specs = Array.from({ length: MAX_LOCKED_GEMS + 3 }, (_, i) => `    g${i} (1.0)\n`).join("");
      const r = parseGemfileLock(enc(`GEM\n  remote: x\n  specs:\n${specs}`), "Gemfile.lock");
      expect(r.packages).toHaveLength(MAX_LOCKED_GEMS);
      expect(r.coverage).toEqual([
        {
          reason: "limit",
          subject: "Gemfile.lock",
          message: `more than ${MAX_LOCKED_GEMS} gems; the rest were not read`,
        },
      ]);
    });
  });
});
