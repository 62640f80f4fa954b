/**
 * Issue 18: `palisade vuln scan DIR` on a monorepo (CI usage). Generates, in a temp dir, a repository with 40
 * projects of 50 packages each (2,000 packages) in the 14 lockfile formats Palisade reads (package-lock.json,
 * yarn.lock, poetry.lock, uv.lock, Pipfile.lock, requirements.txt, go.mod, gradle.lockfile, pom.xml, mix.lock,
 * pubspec.lock, composer.lock, Gemfile.lock, Cargo.lock), each npm project with an installed node_modules of 50
 * packages (skipped by the scan) and a .git folder; and an OSV database with an advisory for every tenth package.
 * Runs the bundled CLI under GNU time, interleaved with the same-run references: `node -e 0`, and one process
 * reading every lockfile and JSON.parse-ing the JSON ones (the floor of reading the same input).
 *
 *   npm run build && npx tsx bench/monorepo-scan.ts [projects=40] [packagesPerProject=50] [runs=3]
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { BUNDLE, compare } from "./cli-run.js";

const projects = Number(process.argv[2] ?? 40);
const perProject = Number(process.argv[3] ?? 50);
const runs = Number(process.argv[4] ?? 3);

interface Pkg {
  name: string;
  version: string;
}

/** One lockfile format: where it goes in a project, its OSV ecosystem, and its text for a list of packages. */
interface Format {
  file: string;
  ecosystem: string;
  json: boolean;
  name: (i: number) => string;
  write: (pkgs: Pkg[]) => string;
}

const v = (i: number) => `1.${i % 17}.${i % 5}`;
const FORMATS: Format[] = [
  {
    file: "package-lock.json",
    ecosystem: "npm",
    json: true,
    name: (i) => `npm-pkg-${i}`,
    write: (pkgs) =>
      JSON.stringify(
        {
          name: "app",
          lockfileVersion: 3,
          requires: true,
          packages: Object.fromEntries([
            ["", { name: "app", version: "1.0.0" }],
            ...pkgs.map((p) => [
              `node_modules/${p.name}`,
              {
                version: p.version,
                resolved: `https://registry.npmjs.org/${p.name}/-/${p.name}-${p.version}.tgz`,
                integrity: `sha512-${"A".repeat(86)}==`,
              },
            ]),
          ]),
        },
        null,
        2,
      ),
  },
  {
    file: "yarn.lock",
    ecosystem: "npm",
    json: false,
    name: (i) => `yarn-pkg-${i}`,
    write: (pkgs) =>
      `# yarn lockfile v1\n\n${pkgs
        .map(
          (p) =>
            `${p.name}@^${p.version}:\n  version "${p.version}"\n  resolved "https://registry.yarnpkg.com/${p.name}/-/${p.name}-${p.version}.tgz"\n  integrity sha512-${"B".repeat(86)}==\n`,
        )
        .join("\n")}`,
  },
  {
    file: "poetry.lock",
    ecosystem: "PyPI",
    json: false,
    name: (i) => `poetry-pkg-${i}`,
    write: (pkgs) =>
      `${pkgs
        .map(
          (p) =>
            `[[package]]\nname = "${p.name}"\nversion = "${p.version}"\ndescription = ""\noptional = false\npython-versions = ">=3.8"\nfiles = [\n    {file = "${p.name}-${p.version}.tar.gz", hash = "sha256:${"c".repeat(64)}"},\n]\n`,
        )
        .join("\n")}\n[metadata]\nlock-version = "2.0"\npython-versions = "^3.11"\n`,
  },
  {
    file: "uv.lock",
    ecosystem: "PyPI",
    json: false,
    name: (i) => `uv-pkg-${i}`,
    write: (pkgs) =>
      `version = 1\nrequires-python = ">=3.12"\n\n${pkgs
        .map(
          (p) =>
            `[[package]]\nname = "${p.name}"\nversion = "${p.version}"\nsource = { registry = "https://pypi.org/simple" }\nsdist = { url = "https://files.example/${p.name}.tar.gz", hash = "sha256:${"d".repeat(64)}", size = 1000 }\n`,
        )
        .join("\n")}`,
  },
  {
    file: "Pipfile.lock",
    ecosystem: "PyPI",
    json: true,
    name: (i) => `pipenv-pkg-${i}`,
    write: (pkgs) =>
      JSON.stringify(
        {
          _meta: { "pipfile-spec": 6, requires: { python_version: "3.11" } },
          default: Object.fromEntries(
            pkgs.map((p) => [p.name, { hashes: [`sha256:${"e".repeat(64)}`], version: `==${p.version}` }]),
          ),
          develop: {},
        },
        null,
        4,
      ),
  },
  {
    file: "requirements.txt",
    ecosystem: "PyPI",
    json: false,
    name: (i) => `req-pkg-${i}`,
    write: (pkgs) =>
      pkgs.map((p) => `${p.name}==${p.version} \\\n    --hash=sha256:${"f".repeat(64)}`).join("\n"),
  },
  {
    file: "go.mod",
    ecosystem: "Go",
    json: false,
    name: (i) => `github.com/bench/mod${i}`,
    write: (pkgs) =>
      `module example.com/app\n\ngo 1.22\n\nrequire (\n${pkgs.map((p) => `\t${p.name} v${p.version}`).join("\n")}\n)\n`,
  },
  {
    file: "gradle.lockfile",
    ecosystem: "Maven",
    json: false,
    name: (i) => `org.bench:gradle-lib-${i}`,
    write: (pkgs) =>
      `# This is a Gradle generated file for dependency locking.\n${pkgs.map((p) => `${p.name}:${p.version}=compileClasspath,runtimeClasspath`).join("\n")}\nempty=\n`,
  },
  {
    file: "pom.xml",
    ecosystem: "Maven",
    json: false,
    name: (i) => `org.bench:pom-lib-${i}`,
    write: (pkgs) =>
      `<?xml version="1.0" encoding="UTF-8"?>\n<project xmlns="http://maven.apache.org/POM/4.0.0">\n  <modelVersion>4.0.0</modelVersion>\n  <groupId>org.bench</groupId>\n  <artifactId>app</artifactId>\n  <version>1.0.0</version>\n  <properties>\n    <lib.version>1.0.0</lib.version>\n  </properties>\n  <dependencies>\n${pkgs
        .map((p) => {
          const [g, a] = p.name.split(":");
          return `    <dependency>\n      <groupId>${g}</groupId>\n      <artifactId>${a}</artifactId>\n      <version>${p.version}</version>\n    </dependency>`;
        })
        .join("\n")}\n  </dependencies>\n</project>\n`,
  },
  {
    file: "mix.lock",
    ecosystem: "Hex",
    json: false,
    name: (i) => `hex_pkg_${i}`,
    write: (pkgs) =>
      `%{\n${pkgs.map((p) => `  "${p.name}": {:hex, :${p.name}, "${p.version}", "${"a".repeat(64)}", [:mix], [], "hexpm", "${"b".repeat(64)}"},`).join("\n")}\n}\n`,
  },
  {
    file: "pubspec.lock",
    ecosystem: "Pub",
    json: false,
    name: (i) => `pub_pkg_${i}`,
    write: (pkgs) =>
      `# Generated by pub\npackages:\n${pkgs
        .map(
          (p) =>
            `  ${p.name}:\n    dependency: transitive\n    description:\n      name: ${p.name}\n      sha256: "${"9".repeat(64)}"\n      url: "https://pub.dev"\n    source: hosted\n    version: "${p.version}"\n`,
        )
        .join("")}sdks:\n  dart: ">=3.0.0 <4.0.0"\n`,
  },
  {
    file: "composer.lock",
    ecosystem: "Packagist",
    json: true,
    name: (i) => `bench/composer-pkg-${i}`,
    write: (pkgs) =>
      JSON.stringify(
        {
          "content-hash": "0".repeat(32),
          packages: pkgs.map((p) => ({
            name: p.name,
            version: p.version,
            type: "library",
            license: ["MIT"],
          })),
          "packages-dev": [],
        },
        null,
        4,
      ),
  },
  {
    file: "Gemfile.lock",
    ecosystem: "RubyGems",
    json: false,
    name: (i) => `gem-pkg-${i}`,
    write: (pkgs) =>
      `GEM\n  remote: https://rubygems.org/\n  specs:\n${pkgs.map((p) => `    ${p.name} (${p.version})`).join("\n")}\n\nPLATFORMS\n  x86_64-linux\n\nDEPENDENCIES\n${pkgs.map((p) => `  ${p.name}`).join("\n")}\n\nBUNDLED WITH\n   2.4.10\n`,
  },
  {
    file: "Cargo.lock",
    ecosystem: "crates.io",
    json: false,
    name: (i) => `cargo-pkg-${i}`,
    write: (pkgs) =>
      `# This file is automatically @generated by Cargo.\nversion = 3\n\n${pkgs
        .map(
          (p) =>
            `[[package]]\nname = "${p.name}"\nversion = "${p.version}"\nsource = "registry+https://github.com/rust-lang/crates.io-index"\nchecksum = "${"7".repeat(64)}"\n`,
        )
        .join("\n")}`,
  },
];

const work = mkdtempSync(join(tmpdir(), "palisade-bench-monorepo-"));
const repo = join(work, "repo");
const osvDir = join(work, "osv");
const write = (path: string, text: string) => {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
};
try {
  const lockfiles: { path: string; json: boolean }[] = [];
  let advisories = 0;
  let packages = 0;
  let bytes = 0;
  for (let p = 0; p < projects; p++) {
    const f = FORMATS[p % FORMATS.length] as Format;
    const pkgs = Array.from({ length: perProject }, (_, k) => {
      const i = p * perProject + k;
      return { name: f.name(i), version: v(i) };
    });
    const path = join(repo, `services/svc-${String(p).padStart(2, "0")}`, f.file);
    const text = f.write(pkgs);
    write(path, text);
    lockfiles.push({ path, json: f.json });
    packages += pkgs.length;
    bytes += Buffer.byteLength(text);
    if (f.file === "package-lock.json" || f.file === "yarn.lock")
      for (const q of pkgs)
        write(
          join(dirname(path), "node_modules", q.name, "package.json"),
          JSON.stringify({ name: q.name, version: q.version }),
        );
    // One advisory for every tenth package, affecting its locked version.
    for (const [k, q] of pkgs.entries()) {
      if (k % 10 !== 0) continue;
      const id = `BENCH-${++advisories}`;
      write(
        join(osvDir, `${id}.json`),
        JSON.stringify({
          id,
          modified: "2024-05-01T00:00:00Z",
          summary: `bench advisory for ${q.name}`,
          affected: [
            {
              package: { ecosystem: f.ecosystem, name: q.name },
              ranges: [{ type: "ECOSYSTEM", events: [{ introduced: "0" }, { fixed: "99.0.0" }] }],
            },
          ],
          database_specific: { severity: "HIGH" },
        }),
      );
    }
  }
  for (let g = 0; g < 200; g++) write(join(repo, ".git", "objects", `${g % 16}`, `obj${g}`), "x".repeat(512));
  const db = join(work, "osv.sqlite");
  execFileSync(process.execPath, [BUNDLE, "vuln", "db", "import", osvDir, "--db", db], { stdio: "ignore" });
  console.log(
    `monorepo: ${projects} lockfiles (${FORMATS.length} formats), ${packages} packages, ${(bytes / 1024).toFixed(0)} KiB of lockfiles; ${advisories} advisories; node_modules and .git present (skipped)`,
  );
  const parser = join(work, "parse-lockfiles.cjs");
  writeFileSync(
    parser,
    `const fs = require("fs"); let n = 0; for (const f of ${JSON.stringify(lockfiles)}) { const t = fs.readFileSync(f.path, "utf8"); if (f.json) JSON.parse(t); else n += t.split("\\n").length; }`,
  );
  const all = compare(
    "vuln scan of a generated monorepo",
    [
      ["node -e 0", ["-e", "0"]],
      ["read the lockfiles, JSON.parse the JSON ones", [parser]],
      ["palisade vuln scan DIR -o json", [BUNDLE, "vuln", "scan", repo, "-o", "json", "--db", db]],
      ["palisade vuln scan DIR -o sarif", [BUNDLE, "vuln", "scan", repo, "-o", "sarif", "--db", db]],
      ["palisade sbom DIR -o json", [BUNDLE, "sbom", repo, "-o", "json"]],
    ],
    runs,
  );
  const scan = execFileSync(process.execPath, [BUNDLE, "vuln", "scan", repo, "-o", "json", "--db", db], {
    maxBuffer: 256 * 1024 * 1024,
  }).toString();
  const report = JSON.parse(scan);
  console.log(
    `scan found ${report.packages} packages in ${report.files?.length ?? 0} files, ${report.findings.length} findings (exit codes: ${[...all.values()].map((rs) => rs[0]?.code).join(", ")})`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
