import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { newestSource } from "./harness.js";

describe("e2e harness: a stale build is refused", () => {
  const dir = mkdtempSync(join(tmpdir(), "palisade-harness-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const put = (rel: string, secondsAgo: number) => {
    const path = join(dir, rel);
    mkdirSync(join(path, ".."), { recursive: true });
    writeFileSync(path, "x");
    const t = Date.now() / 1000 - secondsAgo;
    utimesSync(path, t, t);
    return path;
  };

  it("finds the newest source a build reads, ignoring tests and fixtures", () => {
    put("core/a.ts", 300);
    const newest = put("apps/server/b.tsx", 100);
    put("apps/server/b.test.ts", 10); // tests are not built into dist/
    put("core/__fixtures__/c.json", 5); // nor are fixtures
    put("core/notes.md", 1); // nor anything that is not a source
    expect(newestSource(dir)?.path).toBe(newest);
  });

  it("has nothing to say about an empty tree", () => {
    const empty = join(dir, "empty");
    mkdirSync(empty);
    expect(newestSource(empty)).toBeUndefined();
  });
});
