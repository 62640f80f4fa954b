/**
 * Build the web dashboard (web/, React) with Vite into dist/web, which `palisade serve` serves at `/`. Every
 * script, style and icon is bundled (no CDN: the dashboard works without the network); asset names carry a content
 * hash, so the server marks them immutable.
 *
 *   node scripts/build-web.mjs [--outdir DIR]
 */
import { join, resolve } from "node:path";
import { build } from "vite";

const ROOT = join(import.meta.dirname, "..");
const outFlag = process.argv.indexOf("--outdir");
const OUT = outFlag === -1 ? join(ROOT, "dist", "web") : resolve(process.argv[outFlag + 1] ?? "");

await build({
  root: join(ROOT, "web"),
  configFile: false,
  logLevel: "warn",
  // JSX with React's automatic runtime, compiled by Vite's esbuild (no Babel plugin needed for a production build).
  esbuild: { jsx: "automatic" },
  build: {
    outDir: OUT,
    emptyOutDir: true,
    target: "es2022",
    // No inline polyfill script: index.html then loads scripts from files only (a strict Content-Security-Policy
    // needs no 'unsafe-inline').
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
    chunkSizeWarningLimit: 1024,
  },
});
