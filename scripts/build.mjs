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
 * 3. The cache is made here, by running the built CLI over the example manifests (`scan`, JSON and table) with
 *    PALISADE_BUILD_CODE_CACHE=1: it then holds the functions a scan calls, not only each chunk's top level. The
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
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { build, transform } from "esbuild";

const ROOT = join(import.meta.dirname, "..");
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
});
const entry = Object.entries(result.metafile.outputs).find(
  ([, o]) => o.entryPoint === "src/apps/cli/bin.ts",
)?.[0];
if (!entry) throw new Error("esbuild named no output for src/apps/cli/bin.ts");
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
  // The launcher compiles the file as it is: a function taking what CommonJS gives a module. Nothing before the
  // first line's text, so line numbers hold; strict, as the ESM it came from was.
  // esbuild writes non-ASCII as escapes in strings but leaves it in regular expression literals (`µs` in
  // @nats-io/jetstream's duration pattern): written here as \u escapes of its UTF-16 code units, which mean the
  // same in a string, a regular expression and an identifier.
  const code = cjs.code.replace(
    /[\u0080-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
  if (Buffer.byteLength(code) !== code.length)
    throw new Error(`${file.path}: not ASCII (the launcher reads chunks as latin1)`);
  writeFileSync(
    file.path,
    `(function (exports, require, module, __filename, __dirname, __importMetaUrl) {"use strict";${code}\n})`,
  );
}
// The launcher is CommonJS (dist/cli/package.json says so): Node then starts it without setting up its ESM
// loader, which nothing here needs any more.
await build({
  absWorkingDir: ROOT,
  entryPoints: { palisade: "src/apps/cli/launch.ts" },
  outdir: OUT,
  bundle: true,
  format: "cjs",
  platform: "node",
  target: "node20",
  define: { __PALISADE_ENTRY__: JSON.stringify(basename(entry)), "import.meta.url": "__launcherUrl" },
  banner: { js: 'const __launcherUrl = require("node:url").pathToFileURL(__filename).href;' },
  minifySyntax: true,
  legalComments: "none",
  logLevel: "warning",
});
writeFileSync(join(OUT, "package.json"), `${JSON.stringify({ type: "commonjs" })}\n`);
if (process.argv.includes("--metafile"))
  writeFileSync(join(OUT, "meta.json"), JSON.stringify(result.metafile));

if (!process.argv.includes("--no-code-cache")) {
  // Training runs: each one loads the caches the previous one wrote and adds what it compiled.
  const manifests = join(ROOT, "examples", "demo", "manifests");
  const runs = [["scan", manifests, "-o", "json"], ["scan", manifests], ["--help"]];
  for (const args of runs) {
    try {
      execFileSync(process.execPath, [join(OUT, "palisade.js"), ...args], {
        cwd: ROOT,
        env: { ...process.env, PALISADE_BUILD_CODE_CACHE: "1", NODE_OPTIONS: "" },
        stdio: "ignore",
      });
    } catch (e) {
      // Findings exit 1; anything else is a broken build.
      if (e.status !== 1)
        throw new Error(`code cache run ${args.join(" ")} failed (${basename(OUT)}): ${e.message}`);
    }
  }
}
