import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";

const SRC = join(import.meta.dirname);

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (name === "__fixtures__" || name === "node_modules") continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (name.endsWith(".ts") && !name.endsWith(".test.ts")) out.push(p);
  }
  return out;
}

const IMPORT_RE =
  /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;

function imports(file: string): string[] {
  const text = readFileSync(file, "utf8");
  return [...text.matchAll(IMPORT_RE)].map((m) => (m[1] ?? m[2]) as string);
}

/** Packages that do IO or touch process state; core must stay pure. */
const IO_PACKAGES = [
  "better-sqlite3",
  "@kubernetes/client-node",
  "pg",
  "tar-stream",
  "picocolors",
  "commander",
];

describe("dependency direction", () => {
  it("core imports no node: modules, IO packages, adapters or apps", () => {
    const violations: string[] = [];
    for (const f of walk(join(SRC, "core"))) {
      for (const spec of imports(f)) {
        const bad =
          spec.startsWith("node:") ||
          IO_PACKAGES.includes(spec) ||
          /(^|\/)adapters\//.test(spec) ||
          /(^|\/)apps\//.test(spec) ||
          ["fs", "path", "os", "child_process", "net", "http", "https", "zlib", "crypto"].includes(spec);
        if (bad) violations.push(`${relative(SRC, f)} imports ${spec}`);
      }
    }
    expect(violations).toEqual([]);
  });

  it("adapters do not import apps", () => {
    const violations: string[] = [];
    for (const f of walk(join(SRC, "adapters"))) {
      for (const spec of imports(f))
        if (/(^|\/)apps\//.test(spec)) violations.push(`${relative(SRC, f)} imports ${spec}`);
    }
    expect(violations).toEqual([]);
  });

  it("domains import each other only through their index.ts", () => {
    const violations: string[] = [];
    for (const f of walk(SRC)) {
      const rel = relative(SRC, f);
      const [layer, domain] = rel.split("/");
      for (const spec of imports(f)) {
        if (!spec.startsWith(".")) continue;
        const target = relative(SRC, join(f, "..", spec));
        const [tLayer, tDomain, ...rest] = target.split("/");
        if (tLayer === layer && tDomain === domain) continue;
        if (tLayer === "apps") continue;
        if (rest.length === 1 && rest[0] === "index.js") continue;
        violations.push(`${rel} imports ${target}`);
      }
    }
    expect(violations).toEqual([]);
  });
});
