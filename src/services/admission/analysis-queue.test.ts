import { describe, expect, it } from "vitest";
import { openStores } from "../../adapters/store/index.js";
import type { Sbom } from "../../core/sbom/index.js";
import { AnalysisQueue, analysisTarget } from "./index.js";

describe("analysisTarget", () => {
  it("pulls by the canonical name and remembers the tag form the fact index resolves", () => {
    expect(analysisTarget("nginx")).toEqual({
      pull: "docker.io/library/nginx:latest",
      refs: ["docker.io/library/nginx:latest"],
    });
    const d = `sha256:${"a".repeat(64)}`;
    expect(analysisTarget(`ghcr.io/acme/api:1.2@${d}`)).toEqual({
      pull: `ghcr.io/acme/api@${d}`,
      refs: ["ghcr.io/acme/api:1.2"],
    });
    expect(analysisTarget("nginx:bad tag")).toBeUndefined();
  });
});

/**
 * Test double for the registry analyzer: answers when the test says so (the queue's bounds and de-duplication
 * need analyses held open on cue; the real registry path is test/integration/admission-analysis.test.ts).
 */
function heldAnalyzer() {
  const pending = new Map<
    string,
    { ok: (v: { sbom: Sbom; coverage: [] }) => void; fail: (e: Error) => void }
  >();
  const calls: string[] = [];
  return {
    calls,
    pending,
    analyze: (pull: string) =>
      new Promise<{ sbom: Sbom; coverage: [] }>((ok, fail) => {
        calls.push(pull);
        pending.set(pull, { ok, fail });
      }),
    answer(pull: string, digestChar: string) {
      const sbom = {
        subject: { name: pull, digest: `sha256:${digestChar.repeat(64)}` },
        image: { manifestDigest: `sha256:${digestChar.repeat(64)}` },
        layers: [],
        packages: [],
      } as unknown as Sbom;
      pending.get(pull)?.ok({ sbom, coverage: [] });
      pending.delete(pull);
    },
  };
}

const tick = () => new Promise((r) => setImmediate(r));

describe("AnalysisQueue", () => {
  it("analyses at most `concurrency` at once, never one image twice at once, drops past its bound", async () => {
    const stores = await openStores("memory:");
    const a = heldAnalyzer();
    let t = 0;
    const analyzed: string[] = [];
    const q = new AnalysisQueue({
      analyze: a.analyze,
      images: stores.images,
      concurrency: 2,
      maxQueued: 2,
      retryAfterMs: 1_000,
      clock: () => t,
      now: () => new Date("2026-12-05T02:00:00Z"),
      log: () => {},
      onAnalyzed: (pull) => analyzed.push(pull),
    });
    q.enqueue(["r.io/a:1", "r.io/b:1", "r.io/a:1", "r.io/c:1", "r.io/d:1", "r.io/e:1"]);
    await tick();
    expect(a.calls).toEqual(["r.io/a:1", "r.io/b:1"]);
    expect(q.stats()).toEqual({ queued: 2, inFlight: 2, analyzed: 0, failed: 0, dropped: 1 });
    q.enqueue(["r.io/a:1"]); // in flight: not queued again
    a.answer("r.io/a:1", "1");
    a.pending.get("r.io/b:1")?.fail(new Error("manifest unknown"));
    a.pending.delete("r.io/b:1");
    await tick();
    await tick();
    expect(a.calls).toEqual(["r.io/a:1", "r.io/b:1", "r.io/c:1", "r.io/d:1"]);
    a.answer("r.io/c:1", "3");
    a.answer("r.io/d:1", "4");
    await q.idle();
    expect(q.stats()).toEqual({ queued: 0, inFlight: 0, analyzed: 3, failed: 1, dropped: 1 });
    expect(analyzed).toEqual(["r.io/a:1", "r.io/c:1", "r.io/d:1"]);
    expect((await stores.images.listImages()).images.map((i) => i.image.refs)).toEqual([
      ["r.io/a:1"],
      ["r.io/c:1"],
      ["r.io/d:1"],
    ]);
    // A failed image waits `retryAfterMs` before it is tried again.
    q.enqueue(["r.io/b:1"]);
    expect(q.stats().queued + q.stats().inFlight).toBe(0);
    t = 1_000;
    q.enqueue(["r.io/b:1"]);
    await tick();
    expect(a.calls.at(-1)).toBe("r.io/b:1");
    a.answer("r.io/b:1", "2");
    await q.close();
    await stores.close();
  });
});
