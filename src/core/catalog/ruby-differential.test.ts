import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { rng } from "../../../test/support/version-generators.js";
import { parseGemfileLock, parseGemspec } from "./index.js";

/**
 * Differential: the Ruby catalogers against Ruby's own readers (the `ruby` package scripts/test.sh installs, with
 * its bundled Bundler). Gemfile.lock files generated here are read by Bundler::LockfileParser; gem specifications
 * are written by RubyGems itself (Gem::Specification#to_ruby_for_cache, what `gem install` writes under
 * specifications/) and read back by Gem::Specification.load. Either tool missing fails the test.
 */
const dir = mkdtempSync(join(tmpdir(), "palisade-ruby-diff-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ruby = (script: string, args: string[] = []): string =>
  execFileSync("ruby", ["-e", script, ...args], {
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
    // A PATH source is resolved against the Gemfile's directory: give Bundler one.
    env: { ...process.env, BUNDLE_GEMFILE: join(dir, "Gemfile") },
  });

const NAMES = ["rack", "nokogiri", "aws-sdk-s3", "net_http", "Foo.Bar", "x", "rails-html-sanitizer", "a1"];
const VERSIONS = [
  "1.0",
  "2.2.4",
  "1.13.10",
  "0.0.1",
  "1.0.0.pre",
  "2.0.0.rc1",
  "10.0.0.beta.2",
  "3",
  "7.0.4.3",
];
const PLATFORMS = ["", "", "", "x86_64-linux", "java", "arm64-darwin", "x86_64-linux-musl", "x64-mingw-ucrt"];

/** A Gemfile.lock as Bundler writes one: sources with specs, dependencies below them, the trailing sections. */
function lockfile(seed: number): string {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
  const specs = (n: number) =>
    Array.from({ length: n }, (_, i) => {
      const plat = pick(PLATFORMS);
      let s = `    ${pick(NAMES)}${i % 3 === 0 ? i : ""} (${pick(VERSIONS)}${plat ? `-${plat}` : ""})\n`;
      if (r() < 0.5) s += `      ${pick(NAMES)} (~> ${pick(VERSIONS)}, >= ${pick(VERSIONS)})\n`;
      if (r() < 0.3) s += `      ${pick(NAMES)}\n`;
      return s;
    }).join("");
  const sections = [
    `GIT\n  remote: https://github.com/example/${seed}.git\n  revision: ${"0123456789abcdef".repeat(2)}0123456\n  branch: main\n  specs:\n${specs(2)}`,
    `PATH\n  remote: engines/e${seed}\n  specs:\n${specs(2)}`,
    `GEM\n  remote: https://rubygems.org/\n  specs:\n${specs(8 + Math.floor(r() * 20))}`,
  ];
  if (r() < 0.5) sections.reverse();
  return `${sections.join("\n")}\nPLATFORMS\n  ruby\n  x86_64-linux\n\nDEPENDENCIES\n  rack (~> 2.0)\n  e${seed}!\n\nRUBY VERSION\n   ruby 3.1.2p20\n\nBUNDLED WITH\n   2.3.7\n`;
}

describe("Ruby catalogers vs Ruby's own readers", () => {
  it("Gemfile.lock: the specs Bundler::LockfileParser reads, name, version and platform, over 60 generated files", () => {
    writeFileSync(join(dir, "Gemfile"), "");
    const files = Array.from({ length: 60 }, (_, i) => {
      const p = join(dir, `Gemfile-${i}.lock`);
      writeFileSync(p, lockfile(1800 + i));
      return p;
    });
    const ref = ruby(
      `require "bundler"
ARGV.each do |f|
  Bundler::LockfileParser.new(File.read(f)).specs.each { |s| puts [f, s.name, s.version.to_s, s.platform.to_s].join("\\t") }
end`,
      files,
    )
      .trim()
      .split("\n")
      .sort();
    const ours = files
      .flatMap((f) =>
        parseGemfileLock(readFileSync(f), f).packages.map((p) =>
          [f, p.name, p.version, p.arch ?? "ruby"].join("\t"),
        ),
      )
      .sort();
    expect(ref.length).toBeGreaterThan(600);
    expect(ours).toEqual(ref);
  });

  it("installed gemspecs written by RubyGems: name, version, platform and licenses as Gem::Specification.load reads them", () => {
    const specDir = join(dir, "specifications");
    const ref = ruby(
      `srand(18)
names = ${JSON.stringify(NAMES)}
versions = ${JSON.stringify(VERSIONS)}
platforms = ${JSON.stringify(PLATFORMS.map((p) => p || "ruby"))}
licenses = [[], ["MIT"], ["MIT", "Apache-2.0"], ["Ruby", "BSD-2-Clause"]]
Dir.mkdir(ARGV[0])
200.times do |i|
  spec = Gem::Specification.new do |s|
    s.name = names.sample + i.to_s
    s.version = versions.sample
    s.platform = platforms.sample
    s.licenses = licenses.sample
    s.summary = "A gem"
    s.description = "Has lines that look like attributes:\\n  s.name = \\"evil\\".freeze\\n  s.version = \\"0\\""
    s.authors = ["Someone"]
    s.files = ["lib/x.rb"]
    s.metadata = { "source_code_uri" => "https://example.com/s.version = 1" }
    s.add_runtime_dependency "dep#{i}", "~> 1.0" if i.even?
    s.required_ruby_version = ">= 2.7"
  end
  path = File.join(ARGV[0], "#{spec.full_name}.gemspec")
  File.write(path, spec.to_ruby_for_cache)
  loaded = Gem::Specification.load(path)
  puts [File.basename(path), loaded.name, loaded.version.to_s, loaded.platform.to_s, loaded.licenses.join(",")].join("\\t")
end`,
      [specDir],
    )
      .replace(/\n$/, "")
      .split("\n");
    const ours = ref.map((line) => {
      const file = line.split("\t")[0] as string;
      const p = parseGemspec(readFileSync(join(specDir, file)), file).packages[0];
      return [file, p?.name, p?.version, p?.arch ?? "ruby", (p?.licenses ?? []).join(",")].join("\t");
    });
    expect(ref).toHaveLength(200);
    expect(ours).toEqual(ref);
  });
});
