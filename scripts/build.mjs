/**
 * Build the CLI (esbuild): `dist/cli/palisade.js` is what `palisade` runs.
 *
 * 1. The sources are bundled with code splitting: each `await import()` becomes its own chunk, so
 *    `palisade scan one.yaml` loads the scan path only (no vulnerability store, image analysis or live-cluster
 *    client). One file per command path instead of hundreds of modules saves module resolution and compilation of
 *    files never run.
 * 2. Each chunk is converted from ESM to a CommonJS-shaped function body (`import()` becomes `require`), and
 *    `palisade.js` (src/apps/cli/launch.ts) loads them as scripts with V8's code cache: Node 20 caches no module
 *    compilation, and scripts are what take a cache.
 * 3. The cache is made here, by running the built CLI over a few of the example manifest files, one at a time
 *    (`scan`, JSON and table), with PALISADE_BUILD_CODE_CACHE=1: it then holds the functions a one-file scan
 *    calls, not only each chunk's top level. The
 *    cache files (`chunks/*.cache`) are ignored by git; when they are missing or V8 refuses them (another Node
 *    version), the chunks compile from source as before. `--no-code-cache` skips this step.
 *
 * Type checking stays with `tsc` (`npm run typecheck`).
 *
 *   node scripts/build.mjs [--metafile] [--outdir DIR] [--no-code-cache]
 *
 * --metafile writes meta.json beside the bundle (size analysis; test/scripts/build-output.test.ts reads it to check
 * that no test helper is bundled); --outdir builds somewhere other than dist/cli.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { build, transform } from "esbuild";

const ROOT = join(import.meta.dirname, "..");

/**
 * commander requires `node:child_process` at its top, for executable subcommands (`git-style` commands run as
 * other programs), which Palisade does not use: loading it (with `node:net` and `node:dgram`) was a visible part of
 * a one-file scan's start-up. Here it is required on the first `spawn`, its only use. The build fails if commander
 * changes that line, rather than silently loading it again.
 */
const commanderLazyChildProcess = {
  name: "commander-lazy-child-process",
  setup(b) {
    b.onLoad({ filter: /[\\/]commander[\\/]lib[\\/]command\.js$/ }, async (args) => {
      const text = await readFile(args.path, "utf8");
      const from = "const childProcess = require('node:child_process');";
      if (
        !text.includes(from) ||
        (text.match(/childProcess\./g) ?? []).length !== (text.match(/childProcess\.spawn\(/g) ?? []).length
      )
        throw new Error(
          `${args.path}: commander no longer uses node:child_process as scripts/build.mjs expects`,
        );
      const lazy =
        "const childProcess = { spawn: (command, args, options) => require('node:child_process').spawn(command, args, options) };";
      return { contents: text.replace(from, lazy), loader: "js" };
    });
  },
};
const outFlag = process.argv.indexOf("--outdir");
const OUT = outFlag === -1 ? join(ROOT, "dist", "cli") : resolve(process.argv[outFlag + 1] ?? "");
rmSync(OUT, { recursive: true, force: true });
const result = await build({
  absWorkingDir: ROOT,
  entryPoints: { bin: "src/apps/cli/bin.ts" },
  outdir: OUT,
  write: false,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  // Every chunk name carries a hash of its content, so a code cache (named after its chunk) cannot be paired
  // with another build's chunk.
  entryNames: "chunks/[name]-[hash]",
  chunkNames: "chunks/[name]-[hash]",
  // Native and optional modules are loaded from node_modules at run time.
  external: ["better-sqlite3", "pg-native"],
  minifySyntax: true,
  minifyWhitespace: true,
  keepNames: false,
  legalComments: "none",
  metafile: true,
  logLevel: "warning",
  plugins: [commanderLazyChildProcess],
});
const entry = Object.entries(result.metafile.outputs).find(
  ([, o]) => o.entryPoint === "src/apps/cli/bin.ts",
)?.[0];
if (!entry) throw new Error("esbuild named no output for src/apps/cli/bin.ts");
const converted = [];
for (const file of result.outputFiles) {
  // ESM chunk -> CommonJS body: imports of other chunks become require("./chunk-….js"), which the launcher
  // resolves among the chunks; import.meta.url is the chunk's own URL, passed in by the launcher.
  const cjs = await transform(file.text, {
    format: "cjs",
    platform: "node",
    target: "node20",
    supported: { "dynamic-import": false },
    define: { "import.meta.url": "__importMetaUrl" },
    minifySyntax: true,
    minifyWhitespace: true,
    legalComments: "none",
    logLevel: "error",
  });
  mkdirSync(dirname(file.path), { recursive: true });
  // esbuild's CommonJS form exports `module.exports = __toCommonJS(ns)`: a second object whose getters forward to
  // the getters of `ns`, made by defining each export once more. Chunks only read each other's named exports (and
  // `import()` takes the exports as they are: below), so `ns` itself is exported, marked as an ES
  // module as __toCommonJS marks its copy (non-enumerable): per chunk one defineProperty instead of one per export,
  // one getter per access instead of two, and fewer functions in the code cache (callgrind, one-file scan: about
  // 8 M instructions less; the pack's cache 958 -> 914 KB). test/scripts/build-output.test.ts checks no chunk is left
  // with the copy.
  const exported = cjs.code.replace(
    /module\.exports=__toCommonJS\(([A-Za-z_$][\w$]*)\)/g,
    'module.exports=Object.defineProperty($1,"__esModule",{value:!0})',
  );
  // The launcher compiles the file as it is: a function taking what CommonJS gives a module. Nothing before the
  // first line's text, so line numbers hold; strict, as the ESM it came from was.
  // esbuild writes non-ASCII as escapes in strings but leaves it in regular expression literals (`µs` in
  // @nats-io/jetstream's duration pattern): written here as \u escapes of its UTF-16 code units, which mean the
  // same in a string, a regular expression and an identifier.
  const code = exported.replace(
    /[\u0080-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
  if (Buffer.byteLength(code) !== code.length)
    throw new Error(`${file.path}: not ASCII (the launcher reads chunks as latin1)`);
  converted.push({ path: file.path, code, esm: exported !== cjs.code });
}
// `import()` of a chunk became `__toESM(require("./chunk-….js"))`: a new object, with a getter defined for each of
// the chunk's exports (getOwnPropertyNames, getOwnPropertyDescriptor and defineProperty per export, on every
// import). A chunk exported as above is already marked as an ES module, so __toESM would add no `default` and the
// copy would only forward to the chunk's own getters: the chunk's exports are taken as they are.
const esmChunks = new Set(converted.filter((c) => c.esm).map((c) => basename(c.path)));
for (const { path, code } of converted) {
  const direct = code.replace(/__toESM\(require\("\.\/([\w.-]+)"\)\)/g, (whole, name) =>
    esmChunks.has(name) ? `require("./${name}")` : whole,
  );
  writeFileSync(
    path,
    `(function (exports, require, module, __filename, __dirname, __importMetaUrl) {"use strict";${direct}\n})`,
  );
}
// The launcher is CommonJS (dist/cli/package.json says so): Node then starts it without setting up its ESM
// loader, which nothing here needs any more. Built again once the pack (below) is made, to name it.
const buildLauncher = (pack) =>
  build({
    absWorkingDir: ROOT,
    entryPoints: { palisade: "src/apps/cli/launch.ts" },
    outdir: OUT,
    bundle: true,
    format: "cjs",
    platform: "node",
    target: "node20",
    define: {
      __PALISADE_ENTRY__: JSON.stringify(basename(entry)),
      __PALISADE_PACK__: JSON.stringify(pack),
      "import.meta.url": "__launcherUrl",
    },
    banner: { js: 'const __launcherUrl = require("node:url").pathToFileURL(__filename).href;' },
    minifySyntax: true,
    legalComments: "none",
    logLevel: "warning",
  });
await buildLauncher("");
writeFileSync(join(OUT, "package.json"), `${JSON.stringify({ type: "commonjs" })}\n`);
if (process.argv.includes("--metafile"))
  writeFileSync(join(OUT, "meta.json"), JSON.stringify(result.metafile));

if (!process.argv.includes("--no-code-cache")) {
  const manifests = join(ROOT, "examples", "demo", "manifests");
  const scans = [
    ["scan", manifests, "-o", "json"],
    ["scan", manifests],
  ];
  const runCli = (args, env) => {
    try {
      execFileSync(process.execPath, [join(OUT, "palisade.js"), ...args], {
        cwd: ROOT,
        env: { ...process.env, ...env, NODE_OPTIONS: "" },
        stdio: "ignore",
      });
    } catch (e) {
      // Findings exit 1; anything else is a broken build.
      if (e.status !== 1)
        throw new Error(`build run ${args.join(" ")} failed (${basename(OUT)}): ${e.message}`);
    }
  };
  // The pack: the chunks the scans of manifest files load (listed by running them), in one script. Each stays
  // the function expression its chunk file holds, keyed by the file's name; the launcher calls it from the pack
  // instead of reading and compiling the file, so loading them costs one read, one checksum and one code cache.
  const listFile = join(OUT, "chunk-list.txt");
  for (const args of scans) runCli(args, { PALISADE_BUILD_CHUNK_LIST: listFile });
  const names = [...new Set(readFileSync(listFile, "utf8").split("\n").filter(Boolean))];
  rmSync(listFile);
  if (!names.includes(basename(entry))) throw new Error("the listing runs loaded no entry chunk");
  const body = names
    .map((n) => `${JSON.stringify(n)}:${readFileSync(join(OUT, "chunks", n), "latin1")}`)
    .join(",\n");
  const packText = `({${body}\n})`;
  const pack = `pack-${createHash("sha256").update(packText).digest("base64url").slice(0, 8)}.js`;
  writeFileSync(join(OUT, "chunks", pack), packText);
  await buildLauncher(pack);
  // Training runs: each one loads the caches the previous one wrote and adds what it compiled. Scans of single
  // files, one at a time, not of the whole directory: V8 deserialises all of a cache on every run, so a function
  // in it costs every run, used or not. The directory's scans also compile what only some inputs need (the yaml
  // package's own parser, for the YAML the fast path leaves to it; multi-file paths; rules for kinds a small file
  // rarely holds): that made the pack's cache 1.2 MB against 1.0 MB, and a one-file scan about 15 M instructions
  // slower (callgrind, NODE_EXTRA_CA_CERTS unset), while the directory's own scan compiles them lazily for about
  // 3% more. The files are a few of the examples' (workloads, RBAC, NetworkPolicies), not the one bench/startup.ts
  // times.
  const training = [
    ["checkout", "workloads.yaml"],
    ["customer-support", "workloads.yaml"],
    ["cluster", "rbac.yaml"],
    ["identity", "network-policies.yaml"],
  ].flatMap(([dir, file]) => {
    const path = join(manifests, dir, file);
    return [
      ["scan", path, "-o", "json"],
      ["scan", path],
    ];
  });
  // `--help` first, for the caches of the chunks only it loads (every command's module), and then the pack's
  // cache is dropped: the help run compiles commander's help formatting, which the pack's cache would otherwise
  // hold and every one-file scan deserialise for nothing (30 KB of 990 KB; about 4 M instructions of a scan,
  // callgrind, against 5 M more for `palisade --help`, which compiles it on use).
  runCli(["--help"], { PALISADE_BUILD_CODE_CACHE: "1" });
  rmSync(join(OUT, "chunks", pack.replace(/\.js$/, ".cache")), { force: true });
  for (const args of training) runCli(args, { PALISADE_BUILD_CODE_CACHE: "1" });
}
