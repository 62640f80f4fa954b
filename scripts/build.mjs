/**
 * Build the CLI as one ESM bundle with code splitting (esbuild): `dist/cli/palisade.js` is what `palisade` runs.
 * Each `await import()` in the sources becomes its own chunk, so `palisade scan one.yaml` loads the scan path only
 * (no vulnerability store, image analysis or live-cluster client). One file per command path instead of hundreds
 * of modules is most of the start-up time saved (module resolution and compilation of files never run).
 * Type checking stays with `tsc` (`npm run typecheck`).
 *
 *   node scripts/build.mjs [--metafile] [--outdir DIR]
 *
 * --metafile writes meta.json beside the bundle (size analysis; test/scripts/build-output.test.ts reads it to check
 * that no test helper is bundled); --outdir builds somewhere other than dist/cli.
 */
import { rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { build } from "esbuild";

const ROOT = join(import.meta.dirname, "..");
const outFlag = process.argv.indexOf("--outdir");
const OUT = outFlag === -1 ? join(ROOT, "dist", "cli") : resolve(process.argv[outFlag + 1] ?? "");
rmSync(OUT, { recursive: true, force: true });
const result = await build({
  absWorkingDir: ROOT,
  entryPoints: { palisade: "src/apps/cli/bin.ts" },
  outdir: OUT,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  chunkNames: "chunks/[name]-[hash]",
  // Native and optional modules are loaded from node_modules at run time.
  external: ["better-sqlite3", "pg-native"],
  // Bundled CommonJS dependencies call require() for Node built-ins: give every chunk a real one.
  banner: {
    js: "import { createRequire as __palisadeRequire } from 'node:module'; const require = __palisadeRequire(import.meta.url);",
  },
  minifySyntax: true,
  minifyWhitespace: true,
  keepNames: false,
  legalComments: "none",
  metafile: process.argv.includes("--metafile"),
  logLevel: "warning",
});
if (result.metafile) writeFileSync(join(OUT, "meta.json"), JSON.stringify(result.metafile));
