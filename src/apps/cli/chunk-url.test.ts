import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { chunkUrl } from "./chunk-url.js";

describe("chunkUrl", () => {
  const dirs = [
    "/usr/lib/node_modules/palisade/dist/cli/chunks",
    "/tmp/a dir with spaces/chunks",
    "/tmp/per%cent#hash?query/chunks",
    "/tmp/ünïcødé/日本/chunks",
  ];
  const names = [
    "pack-Uw52i7V4.js",
    "chunk-4YS6R2W3.js",
    "bin-Z4RWQEUT.js",
    "dist-AER3UG4Y.js",
    "a_b.c-d.js",
  ];

  it("is pathToFileURL's answer for every chunk name esbuild makes, under any directory", () => {
    for (const dir of dirs)
      for (const name of names)
        expect(chunkUrl(pathToFileURL(dir).href, name)).toBe(pathToFileURL(join(dir, name)).href);
  });

  it("leaves names a URL would escape, and dot segments, to pathToFileURL", () => {
    const base = pathToFileURL(dirs[0] ?? "").href;
    for (const name of ["a b.js", "a%b.js", "a#b.js", "a?b.js", "ü.js", "..", ".", "", "a/b.js", "a\\b.js"])
      expect(chunkUrl(base, name)).toBeUndefined();
  });
});
