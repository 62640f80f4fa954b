/**
 * Dependency direction and purity, read from the TypeScript syntax tree (not regular expressions), so that every
 * form of import counts: `import`/`export ... from`, `export * from`, `import x = require()`, `require()`,
 * `import()` (a non-literal specifier is itself a violation: it cannot be checked) and `import("x").T` types.
 *
 * - core imports only its own domain's files, other core domains through their index.ts, and the packages in
 *   CORE_PACKAGES (an allow-list: a new dependency of core is a decision, not an accident).
 * - core reads no process state, network, timers, clock or randomness (CORE_FORBIDDEN_GLOBALS): those are
 *   injected by the caller.
 * - services (use cases) import core, other services through their index.ts, and port modules
 *   (`adapters/<domain>/ports.ts`); an adapter only as a type (`import type`: the narrow factory or options type of
 *   something the caller passes in), never at run time; no apps, no packages outside CORE_PACKAGES; and, like
 *   core, they read no process state, clock or randomness (SERVICES_FORBIDDEN_GLOBALS: the caller injects them).
 * - adapters import neither services nor apps; any layer reaches another domain only through its index.ts (or its
 *   ports.ts, the other public entry of a domain that declares ports).
 * - product code never imports test support (the shipped bundle is checked in test/scripts/build-output.test.ts).
 */
import { readFileSync } from "node:fs";
import { join, relative } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { productSources } from "../test/support/source-files.js";

const SRC = join(import.meta.dirname);

interface ModuleRef {
  /** The specifier, or `<dynamic: text>` when it is not a string literal. */
  spec: string;
  line: number;
  /** `import type`, `export type`, all named bindings `type`, or an `import("x").T` type. */
  typeOnly: boolean;
}

interface GlobalUse {
  what: string;
  line: number;
}

function parse(file: string, text = readFileSync(file, "utf8")): ts.SourceFile {
  return ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
}

function lineOf(sf: ts.SourceFile, node: ts.Node): number {
  return sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1;
}

/** Every module a file refers to, in any syntactic form. */
function moduleRefs(sf: ts.SourceFile): ModuleRef[] {
  const refs: ModuleRef[] = [];
  const add = (arg: ts.Node | undefined, at: ts.Node, typeOnly = false) => {
    if (arg === undefined) return;
    const spec =
      ts.isStringLiteral(arg) || ts.isNoSubstitutionTemplateLiteral(arg)
        ? arg.text
        : `<dynamic: ${arg.getText(sf)}>`;
    refs.push({ spec, line: lineOf(sf, at), typeOnly });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) add(node.moduleSpecifier, node, isTypeOnlyImport(node));
    else if (ts.isExportDeclaration(node)) add(node.moduleSpecifier, node, node.isTypeOnly);
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference))
      add(node.moduleReference.expression, node, node.isTypeOnly);
    else if (ts.isCallExpression(node)) {
      const callee = node.expression;
      if (
        callee.kind === ts.SyntaxKind.ImportKeyword ||
        (ts.isIdentifier(callee) && callee.text === "require")
      )
        add(node.arguments[0] ?? callee, node);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument))
      add(node.argument.literal, node, true);
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return refs;
}

/**
 * Globals core must not touch: process state, network, timers, the clock and randomness are passed in by callers
 * (STYLE: clock and randomness injected). `Date` itself is allowed (parsing and formatting given instants); only
 * reading the current time is not.
 */
const CORE_FORBIDDEN_GLOBALS = new Set([
  "process",
  "fetch",
  "XMLHttpRequest",
  "WebSocket",
  "setTimeout",
  "setInterval",
  "setImmediate",
  "queueMicrotask",
  "clearTimeout",
  "clearInterval",
  "clearImmediate",
  "performance",
  "crypto",
  "console",
  "require",
  "Buffer",
  "globalThis",
]);

/** Whether an identifier is a reference to a variable (not a property name, declaration name or type). */
function isValueReference(id: ts.Identifier): boolean {
  const p = id.parent;
  if ((ts.isPropertyAccessExpression(p) || ts.isQualifiedName(p)) && (p as { name?: ts.Node }).name === id)
    return false;
  if (
    (ts.isPropertyAssignment(p) ||
      ts.isPropertyDeclaration(p) ||
      ts.isPropertySignature(p) ||
      ts.isMethodDeclaration(p) ||
      ts.isMethodSignature(p) ||
      ts.isGetAccessor(p) ||
      ts.isSetAccessor(p) ||
      ts.isEnumMember(p) ||
      ts.isVariableDeclaration(p) ||
      ts.isParameter(p) ||
      ts.isFunctionDeclaration(p) ||
      ts.isClassDeclaration(p) ||
      ts.isInterfaceDeclaration(p) ||
      ts.isTypeAliasDeclaration(p) ||
      ts.isBindingElement(p) ||
      ts.isImportSpecifier(p) ||
      ts.isExportSpecifier(p) ||
      ts.isImportClause(p) ||
      ts.isNamespaceImport(p)) &&
    (p as { name?: ts.Node }).name === id
  )
    return false;
  if (ts.isBindingElement(p) && p.propertyName === id) return false;
  if (ts.isTypeReferenceNode(p) || ts.isQualifiedName(p) || ts.isTypeQueryNode(p)) return false;
  return true;
}

/**
 * Globals a service must not touch: its clock and process state (environment, working directory) are arguments,
 * so the CLI, the server and a test call the same code with their own. Timers and the network are allowed only
 * through what the caller passes in, which reads no global either.
 */
const SERVICES_FORBIDDEN_GLOBALS = new Set(["process", "fetch", "console", "require", "globalThis"]);

/** Uses of forbidden globals, `Date.now()`, `Date()`, `new Date()` without arguments and `Math.random`. */
function forbiddenGlobalUses(
  sf: ts.SourceFile,
  forbidden: ReadonlySet<string> = CORE_FORBIDDEN_GLOBALS,
): GlobalUse[] {
  const uses: GlobalUse[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isIdentifier(node) && forbidden.has(node.text) && isValueReference(node))
      uses.push({ what: node.text, line: lineOf(sf, node) });
    else if (ts.isPropertyAccessExpression(node) && ts.isIdentifier(node.expression)) {
      const text = `${node.expression.text}.${node.name.text}`;
      if (text === "Date.now" || text === "Math.random") uses.push({ what: text, line: lineOf(sf, node) });
    } else if (
      ts.isNewExpression(node) &&
      ts.isIdentifier(node.expression) &&
      node.expression.text === "Date" &&
      (node.arguments === undefined || node.arguments.length === 0)
    )
      uses.push({ what: "new Date()", line: lineOf(sf, node) });
    else if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === "Date")
      uses.push({ what: "Date()", line: lineOf(sf, node) });
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return uses;
}

/**
 * Packages core may import, each for a reason. Type-only packages must be imported with `import type` (they have
 * no runtime code, and a value import would be a build error waiting to happen).
 */
const CORE_PACKAGES: Readonly<Record<string, { typesOnly: boolean; why: string }>> = {
  "kubernetes-types": { typesOnly: true, why: "Kubernetes API types (no runtime code)" },
  "packageurl-js": { typesOnly: false, why: "pure purl parsing and formatting" },
};

function packageName(spec: string): string {
  const parts = spec.split("/");
  return spec.startsWith("@") ? parts.slice(0, 2).join("/") : (parts[0] as string);
}

/** `import type { A }`, or `import { type A, type B }` (no value binding; not a side-effect import). */
function isTypeOnlyImport(st: ts.ImportDeclaration): boolean {
  const c = st.importClause;
  if (c === undefined) return false;
  if (c.isTypeOnly) return true;
  const named = c.namedBindings;
  return (
    c.name === undefined &&
    named !== undefined &&
    ts.isNamedImports(named) &&
    named.elements.length > 0 &&
    named.elements.every((e) => e.isTypeOnly)
  );
}

/** `core/<domain>/...` of a path relative to src, or undefined outside core. */
function coreDomain(relToSrc: string): string | undefined {
  const [layer, domain] = relToSrc.split("/");
  return layer === "core" ? domain : undefined;
}

/** Violations of core's import allow-list in one file (`rel` is relative to src). */
function coreImportViolations(rel: string, sf: ts.SourceFile): string[] {
  const out: string[] = [];
  const domain = coreDomain(rel);
  for (const { spec, line, typeOnly } of moduleRefs(sf)) {
    const where = `${rel}:${line} imports ${spec}`;
    if (spec.startsWith("<dynamic")) {
      out.push(`${where} (a computed specifier cannot be checked)`);
    } else if (spec.startsWith(".")) {
      const target = relative(SRC, join(SRC, rel, "..", spec));
      const [tLayer, tDomain, ...rest] = target.split("/");
      if (tLayer !== "core") out.push(`${where} (core imports only core)`);
      else if (tDomain !== domain && !(rest.length === 1 && rest[0] === "index.js"))
        out.push(`${where} (another domain only through its index.ts)`);
    } else {
      const allowed = CORE_PACKAGES[packageName(spec)];
      if (allowed === undefined)
        out.push(`${where} (not in the core allow-list: node built-ins and IO stay out)`);
      else if (allowed.typesOnly && !typeOnly) out.push(`${where} (types only: use import type)`);
    }
  }
  return out;
}

/** A domain's public entries: its index.ts, and ports.ts where it declares ports (interfaces only). */
const PUBLIC_ENTRIES = new Set(["index.js", "ports.js"]);

/** Violations of the services layer's import rules in one file (`rel` is relative to src). */
function servicesImportViolations(rel: string, sf: ts.SourceFile): string[] {
  const out: string[] = [];
  const [, domain] = rel.split("/");
  for (const { spec, line, typeOnly } of moduleRefs(sf)) {
    const where = `${rel}:${line} imports ${spec}`;
    if (spec.startsWith("<dynamic")) {
      out.push(`${where} (a computed specifier cannot be checked)`);
      continue;
    }
    if (!spec.startsWith(".")) {
      const allowed = CORE_PACKAGES[packageName(spec)];
      if (allowed === undefined)
        out.push(
          `${where} (services take IO as arguments: no node built-ins or packages outside the core allow-list)`,
        );
      else if (allowed.typesOnly && !typeOnly) out.push(`${where} (types only: use import type)`);
      continue;
    }
    const target = relative(SRC, join(SRC, rel, "..", spec));
    const [tLayer, tDomain, ...rest] = target.split("/");
    const entry = rest.length === 1 ? rest[0] : undefined;
    if (tLayer === "services" && tDomain === domain) continue;
    if (tLayer === "core" || tLayer === "services") {
      if (entry !== "index.js") out.push(`${where} (another domain only through its index.ts)`);
    } else if (tLayer === "adapters") {
      if (entry === "ports.js") continue;
      if (!(typeOnly && entry === "index.js"))
        out.push(
          `${where} (an adapter reaches a service as an argument: import its ports.ts, or a type with import type)`,
        );
    } else out.push(`${where} (services import core, ports and other services only: never ${tLayer})`);
  }
  return out;
}

/** Violations of the adapters layer's import rules in one file: never services, never apps. */
function adapterImportViolations(rel: string, sf: ts.SourceFile): string[] {
  const out: string[] = [];
  for (const { spec, line } of moduleRefs(sf)) {
    const target = spec.startsWith(".") ? relative(SRC, join(SRC, rel, "..", spec)) : spec;
    const layer = target.split("/")[0];
    if (layer === "apps" || layer === "services")
      out.push(`${rel}:${line} imports ${spec} (adapters are composed by apps and passed to services)`);
  }
  return out;
}

/** Test support a product file must never import. */
const TEST_SUPPORT_SPEC =
  /^(vitest|@vitest\/.*|fast-check|vite)$|(^|\/)(test|__fixtures__)\/|\.contract\.js$|\.test\.js$/;

/** Imports of test support in one product file. */
function testSupportViolations(rel: string, sf: ts.SourceFile): string[] {
  return moduleRefs(sf)
    .filter(({ spec }) => TEST_SUPPORT_SPEC.test(spec))
    .map(({ spec, line }) => `${rel}:${line} imports ${spec}`);
}

/**
 * Imports that reach into another domain's files (any layer: only its index.ts, or ports.ts where it declares
 * ports), and computed specifiers. Apps compose everything and are not a domain anyone imports.
 */
function crossDomainViolations(rel: string, sf: ts.SourceFile): string[] {
  const out: string[] = [];
  const [layer, domain] = rel.split("/");
  for (const { spec, line } of moduleRefs(sf)) {
    if (spec.startsWith("<dynamic")) {
      out.push(`${rel}:${line} imports ${spec}`);
      continue;
    }
    if (!spec.startsWith(".")) continue;
    const target = relative(SRC, join(SRC, rel, "..", spec));
    const [tLayer, tDomain, ...rest] = target.split("/");
    if (tLayer === layer && tDomain === domain) continue;
    if (tLayer === "apps") continue;
    if (rest.length === 1 && PUBLIC_ENTRIES.has(rest[0] as string)) continue;
    out.push(`${rel}:${line} imports ${target}`);
  }
  return out;
}

/**
 * Product files no product file imports: a module only tests use is test support in the wrong place (it belongs
 * in `__fixtures__/` or test/support). Entries are what something outside src starts from: a domain's index.ts
 * or ports.ts, and the CLI's bin.ts, main.ts and launch.ts (the bundled executable, which loads bin.ts's chunk).
 */
function unusedProductFiles(files: readonly { rel: string; sf: ts.SourceFile }[]): string[] {
  const used = new Set<string>();
  for (const { rel, sf } of files)
    for (const { spec } of moduleRefs(sf))
      if (spec.startsWith(".")) used.add(relative(SRC, join(SRC, rel, "..", spec)).replace(/\.js$/, ".ts"));
  const entry = (rel: string) =>
    /(^|\/)(index|ports)\.ts$/.test(rel) ||
    rel === "apps/cli/bin.ts" ||
    rel === "apps/cli/main.ts" ||
    rel === "apps/cli/launch.ts";
  return files.filter(({ rel }) => !entry(rel) && !used.has(rel)).map(({ rel }) => rel);
}

const parsed = new Map<string, ts.SourceFile>();
const read = (f: string) => {
  let sf = parsed.get(f);
  if (sf === undefined) {
    sf = parse(f);
    parsed.set(f, sf);
  }
  return { rel: relative(SRC, f), sf };
};

describe("reading imports and globals from the syntax tree", () => {
  const src = (text: string) => parse("x.ts", text);
  it("sees every import form, including the ones a regular expression misses", () => {
    const sf = src(
      [
        'import fs = require("fs");',
        'export * from "node:os";',
        'export { a } from "./a.js";',
        'import "fs/promises";',
        'import type { T } from "kubernetes-types/core/v1.js";',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: source text under test
        "const m = await import(`node:${name}`);",
        'const n = require("child_process");',
        'type P = import("./policy.js").PolicyRule;',
        "const q = await import(\n  './b.js'\n);",
      ].join("\n"),
    );
    expect(moduleRefs(sf)).toEqual([
      { spec: "fs", line: 1, typeOnly: false },
      { spec: "node:os", line: 2, typeOnly: false },
      { spec: "./a.js", line: 3, typeOnly: false },
      { spec: "fs/promises", line: 4, typeOnly: false },
      { spec: "kubernetes-types/core/v1.js", line: 5, typeOnly: true },
      // biome-ignore lint/suspicious/noTemplateCurlyInString: source text under test
      { spec: "<dynamic: `node:${name}`>", line: 6, typeOnly: false },
      { spec: "child_process", line: 7, typeOnly: false },
      { spec: "./policy.js", line: 8, typeOnly: true },
      { spec: "./b.js", line: 9, typeOnly: false },
    ]);
  });
  it("applies the core allow-list", () => {
    const sf = src(
      [
        'import { readFileSync } from "fs/promises";',
        'export * from "../adapters/fs/index.js";',
        'import { x } from "../inventory/build.js";',
        'import { y } from "../inventory/index.js";',
        'import { z } from "./local.js";',
        'import { PodSpec } from "kubernetes-types/core/v1.js";',
        'import type { Pod } from "kubernetes-types/core/v1.js";',
        'import { PackageURL } from "packageurl-js";',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: source text under test
        "await import(`./${x}.js`);",
      ].join("\n"),
    );
    expect(coreImportViolations("core/netpol/x.ts", sf).map((v) => v.replace(/ \(.*/, ""))).toEqual([
      "core/netpol/x.ts:1 imports fs/promises",
      "core/netpol/x.ts:2 imports ../adapters/fs/index.js",
      "core/netpol/x.ts:3 imports ../inventory/build.js",
      "core/netpol/x.ts:6 imports kubernetes-types/core/v1.js",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: source text under test
      "core/netpol/x.ts:9 imports <dynamic: `./${x}.js`>",
    ]);
  });
  it("finds process, network, timers, clock reads and randomness, not look-alike names", () => {
    const sf = src(
      [
        "const a = process.env.X;",
        "fetch(url);",
        "setTimeout(f, 1); queueMicrotask(f);",
        "const t = Date.now(); const d = new Date(); const s = Date();",
        "const ok = new Date(0); const ok2 = Date.parse(s); const ok3 = new Date(x).getTime();",
        "performance.now(); Math.random(); globalThis.crypto;",
        "const o = { process: 1, fetch() {} }; o.process; o.setTimeout; type T = NodeJS.Timeout;",
        "const { process: p } = o; function f(console: number) { return console; }",
      ].join("\n"),
    );
    expect(forbiddenGlobalUses(sf).map((u) => `${u.line}:${u.what}`)).toEqual([
      "1:process",
      "2:fetch",
      "3:setTimeout",
      "3:queueMicrotask",
      "4:Date.now",
      "4:new Date()",
      "4:Date()",
      "6:performance",
      "6:Math.random",
      "6:globalThis",
      // A parameter that shadows a global is still flagged where it is used: rename it (the rule stays simple).
      "8:console",
    ]);
  });
});

describe("layer rules catch planted violations", () => {
  const src = (text: string) => parse("x.ts", text);
  const short = (vs: string[]) => vs.map((v) => v.replace(/ \(.*/, ""));
  it("core imports nothing outside core", () => {
    const sf = src(
      [
        'import { loadInventory } from "../../services/inventory/index.js";',
        'import type { CliContext } from "../../apps/cli/context.js";',
        'import type { VulnStore } from "../../adapters/store/ports.js";',
        'import { Budget } from "../budget/index.js";',
      ].join("\n"),
    );
    expect(short(coreImportViolations("core/lineage/x.ts", sf))).toEqual([
      "core/lineage/x.ts:1 imports ../../services/inventory/index.js",
      "core/lineage/x.ts:2 imports ../../apps/cli/context.js",
      "core/lineage/x.ts:3 imports ../../adapters/store/ports.js",
    ]);
  });
  it("services import core, ports, other services' index.ts, and adapters only as types", () => {
    const sf = src(
      [
        'import { runCli } from "../../apps/cli/program.js";',
        'import { KnownImageStore } from "../../adapters/known-images/index.js";',
        'const m = await import("../../adapters/image/index.js");',
        'import { readFileSync } from "node:fs";',
        'import { buildLineage } from "../../core/lineage/tree.js";',
        'import { x } from "../inventory/model.js";',
        'import type { AnalyzeOptions } from "../../adapters/image/index.js";',
        'import type { VulnStore } from "../../adapters/store/ports.js";',
        'import { buildLineage as b } from "../../core/lineage/index.js";',
        'import { loadInventory } from "../inventory/index.js";',
        'import { helper } from "./helper.js";',
        'import type { Pod } from "kubernetes-types/core/v1.js";',
        'import type { T } from "../../adapters/image/analyze.js";',
      ].join("\n"),
    );
    expect(short(servicesImportViolations("services/lineage/x.ts", sf))).toEqual([
      "services/lineage/x.ts:1 imports ../../apps/cli/program.js",
      "services/lineage/x.ts:2 imports ../../adapters/known-images/index.js",
      "services/lineage/x.ts:3 imports ../../adapters/image/index.js",
      "services/lineage/x.ts:4 imports node:fs",
      "services/lineage/x.ts:5 imports ../../core/lineage/tree.js",
      "services/lineage/x.ts:6 imports ../inventory/model.js",
      "services/lineage/x.ts:13 imports ../../adapters/image/analyze.js",
    ]);
  });
  it("services read no process state, clock or randomness", () => {
    const sf = src(
      "const cwd = process.cwd(); const t = new Date(); Date.now(); Math.random(); const ok = new Date(at); setTimeout(f, 1);",
    );
    expect(forbiddenGlobalUses(sf, SERVICES_FORBIDDEN_GLOBALS).map((u) => u.what)).toEqual([
      "process",
      "new Date()",
      "Date.now",
      "Math.random",
    ]);
  });
  it("any layer reaches another domain only through its index.ts or ports.ts, nothing computed", () => {
    const sf = src(
      [
        'import { SqliteVulnStore } from "../../adapters/store/sqlite/vulns.js";',
        'import { loadInventory } from "../inventory/load.js";',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: source text under test
        "await import(`../${name}/index.js`);",
        'import type { Stores } from "../../adapters/store/ports.js";',
        'import { scan } from "../scan/index.js";',
        'import { helper } from "./helper.js";',
      ].join("\n"),
    );
    expect(crossDomainViolations("services/lineage/x.ts", sf)).toEqual([
      "services/lineage/x.ts:1 imports adapters/store/sqlite/vulns.js",
      "services/lineage/x.ts:2 imports services/inventory/load.js",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: source text under test
      "services/lineage/x.ts:3 imports <dynamic: `../${name}/index.js`>",
    ]);
  });
  it("product code imports no test support", () => {
    const sf = src(
      [
        'import { describe } from "vitest";',
        'import { runContract } from "../../../test/contracts/index.js";',
        'import { dg } from "../../core/lineage/__fixtures__/images.js";',
        'import { vulnStoreContract } from "./vuln-store.contract.js";',
        'import { openStores } from "../store/index.js";',
      ].join("\n"),
    );
    expect(testSupportViolations("adapters/x/y.ts", sf).map((v) => v.replace(/ imports .*/, ""))).toEqual([
      "adapters/x/y.ts:1",
      "adapters/x/y.ts:2",
      "adapters/x/y.ts:3",
      "adapters/x/y.ts:4",
    ]);
  });
  it("a product file that no product file imports is found", () => {
    const files = [
      ["core/netpol/index.ts", 'export { analyze } from "./analyze.js";'],
      ["core/netpol/analyze.ts", 'import { cmp } from "../findings/index.js";'],
      ["core/netpol/reference.ts", 'import { analyze } from "./analyze.js";'],
      ["core/findings/index.ts", "export const cmp = 1;"],
      ["apps/cli/bin.ts", 'await import("./main.js");'],
      ["apps/cli/main.ts", 'import type { X } from "../../core/netpol/index.js";'],
    ].map(([rel, text]) => ({ rel: rel as string, sf: src(text as string) }));
    expect(unusedProductFiles(files)).toEqual(["core/netpol/reference.ts"]);
  });
  it("adapters import neither services nor apps", () => {
    const sf = src(
      [
        'import { scan } from "../../services/scan/index.js";',
        'import type { CliContext } from "../../apps/cli/context.js";',
        'export * from "../../services/lineage/index.js";',
        'import { Budget } from "../../core/budget/index.js";',
        'import { openSqlite } from "../store/index.js";',
      ].join("\n"),
    );
    expect(short(adapterImportViolations("adapters/known-images/x.ts", sf))).toEqual([
      "adapters/known-images/x.ts:1 imports ../../services/scan/index.js",
      "adapters/known-images/x.ts:2 imports ../../apps/cli/context.js",
      "adapters/known-images/x.ts:3 imports ../../services/lineage/index.js",
    ]);
  });
});

describe("dependency direction", () => {
  const core = productSources(join(SRC, "core")).map(read);

  it("core imports only its own domain, other core domains' index.ts and allow-listed packages", () => {
    expect(core.flatMap(({ rel, sf }) => coreImportViolations(rel, sf))).toEqual([]);
  });

  it("core reads no process state, network, timers, clock or randomness", () => {
    expect(
      core.flatMap(({ rel, sf }) =>
        forbiddenGlobalUses(sf).map((u) => `${rel}:${u.line} uses ${u.what} (inject it from the caller)`),
      ),
    ).toEqual([]);
  });

  it("adapters import neither services nor apps", () => {
    expect(
      productSources(join(SRC, "adapters"))
        .map(read)
        .flatMap(({ rel, sf }) => adapterImportViolations(rel, sf)),
    ).toEqual([]);
  });

  const services = productSources(join(SRC, "services")).map(read);

  it("services import core, ports and other services' index.ts; adapters only as types; never apps", () => {
    expect(services.flatMap(({ rel, sf }) => servicesImportViolations(rel, sf))).toEqual([]);
  });

  it("services read no process state, clock or randomness", () => {
    expect(
      services.flatMap(({ rel, sf }) =>
        forbiddenGlobalUses(sf, SERVICES_FORBIDDEN_GLOBALS).map(
          (u) => `${rel}:${u.line} uses ${u.what} (take it as an argument)`,
        ),
      ),
    ).toEqual([]);
  });

  it("domains import each other only through their index.ts (or ports.ts), and nothing computed", () => {
    expect(
      productSources(SRC)
        .map(read)
        .flatMap(({ rel, sf }) => crossDomainViolations(rel, sf)),
    ).toEqual([]);
  });

  it("every product file is imported by product code (what only tests use is test support)", () => {
    expect(unusedProductFiles(productSources(SRC).map(read))).toEqual([]);
  });

  it("product code imports no test support (tests, contract suites, fixtures, test runners)", () => {
    expect(
      productSources(SRC)
        .map(read)
        .flatMap(({ rel, sf }) => testSupportViolations(rel, sf)),
    ).toEqual([]);
  });
});
