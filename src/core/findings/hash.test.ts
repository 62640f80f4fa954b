import { spawnSync } from "node:child_process";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { stableHash } from "./hash.js";

/**
 * The original two-pass implementation, kept as the reference: finding ids, CycloneDX serial numbers and
 * OpenVEX document ids derive from it, so the fast path must give the same digits.
 */
function referenceHash(input: string): string {
  return fnv1a64(input, 0xcbf29ce484222325n) + fnv1a64(input, 0x84222325cbf29ce4n);
}

function fnv1a64(input: string, offset: bigint): string {
  let hi = Number(offset >> 32n) >>> 0;
  let lo = Number(offset & 0xffffffffn) >>> 0;
  for (let i = 0; i < input.length; i++) {
    lo ^= input.charCodeAt(i);
    const loMul = lo * 0x1b3;
    const newLo = loMul >>> 0;
    const carry = Math.floor(loMul / 0x100000000);
    const newHi = (hi * 0x1b3 + carry + ((lo << 8) >>> 0)) >>> 0;
    hi = newHi;
    lo = newLo;
  }
  return hi.toString(16).padStart(8, "0") + lo.toString(16).padStart(8, "0");
}

describe("stableHash", () => {
  it("matches the reference implementation on finding-like keys", () => {
    const keys = [
      "PAL-POD-001\u0000apps/v1\u0000Deployment\u0000ns-1\u0000web\u0000spec.template.spec.containers[0]\u0000",
      "PAL-RBAC-020\u0000rbac.authorization.k8s.io/v1\u0000Role\u0000\u0000r\u0000rules[0].verbs\u0000x",
    ];
    for (const k of keys) expect(stableHash(k)).toBe(referenceHash(k));
  });

  it("matches the reference implementation on arbitrary strings (property)", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 300 }), (s) => {
        expect(stableHash(s)).toBe(referenceHash(s));
      }),
      { numRuns: 2000 },
    );
  });

  it("is 32 lowercase hex digits and spreads near-identical keys", () => {
    const ids = new Set<string>();
    for (let i = 0; i < 10_000; i++) {
      const id = stableHash(
        `PAL-POD-035\u0000v1\u0000Pod\u0000ns\u0000pod-${i}\u0000spec.automountServiceAccountToken`,
      );
      expect(id).toMatch(/^[0-9a-f]{32}$/);
      ids.add(id);
    }
    expect(ids.size).toBe(10_000);
  });

  it("gives each id as one flat string: ids kept by the 100k cost under 100 bytes each", () => {
    // Joined from four 8-digit parts an id is a tree of strings of about 190 bytes; flat it is 48.
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    const keys = Array.from(
      { length: 100_000 },
      (_, i) => `PAL-POD-035\u0000v1\u0000Pod\u0000ns\u0000p-${i}`,
    );
    gc();
    const before = process.memoryUsage().heapUsed;
    const ids = keys.map(stableHash);
    gc();
    const perId = (process.memoryUsage().heapUsed - before) / ids.length;
    expect(perId).toBeLessThan(100);
    expect(ids[7]).toBe(referenceHash(keys[7] as string));
  });

  it("allocates almost nothing in V8's interpreter (a short scan's code): no boxed number per character", () => {
    // In a process that only interprets (no optimising tiers) with a young generation too large to be collected
    // meanwhile: the heap grows by what 40 finding keys' hashing allocates. The form with 41-bit products in
    // doubles allocated about 900 KB here; this one about 34 KB (the high word's sum, boxed about one character in
    // four, and the ids).
    const script = `
      import { stableHash } from ${JSON.stringify(new URL("./hash.ts", import.meta.url).href)};
      const keys = Array.from({ length: 40 }, (_, i) =>
        "PAL-POD-0" + (i % 50) + "\\u0000apps/v1\\u0000Deployment\\u0000ns-" + i + "\\u0000web-" + i +
        "\\u0000spec.template.spec.containers[0].securityContext\\u0000");
      const before = process.memoryUsage().heapUsed;
      let n = 0;
      for (const k of keys) n += stableHash(k).length;
      console.log(JSON.stringify({ bytes: process.memoryUsage().heapUsed - before, n }));
    `;
    const r = spawnSync(
      process.execPath,
      [
        "--no-opt",
        "--no-sparkplug",
        "--no-maglev",
        "--min-semi-space-size=64",
        "--max-semi-space-size=64",
        "--import",
        "tsx",
        "--input-type=module",
        "-e",
        script,
      ],
      { encoding: "utf8" },
    );
    expect(r.stderr).toBe("");
    const { bytes, n } = JSON.parse(r.stdout) as { bytes: number; n: number };
    expect(n).toBe(40 * 32);
    expect(bytes).toBeLessThan(100 * 1024);
  });

  describe("pathological cases", () => {
    it("hashes the empty string, lone surrogates and code units above 0xff like the reference", () => {
      for (const s of [
        "",
        "\u0000",
        "\ud800",
        "\udfff\ud800",
        "\uffff".repeat(64),
        "é€😀",
        "a".repeat(100_000),
      ])
        expect(stableHash(s)).toBe(referenceHash(s));
    });
  });
});
