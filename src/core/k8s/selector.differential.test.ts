/**
 * Differential test: `parseLabelSelector` + `matchesSelector` against k8s.io/apimachinery itself
 * (`ValidateLabelSelector`, `LabelSelectorAsSelector`, `Selector.Matches`), built from test/k8s-labels by
 * scripts/build-k8s-labels.sh. One Go process answers every case (one JSON line each).
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { matchesSelector, parseLabelSelector } from "./selector.js";

const ROOT = join(import.meta.dirname, "..", "..", "..");
let reference = "";

beforeAll(() => {
  try {
    // Cached after the first build (a few minutes on 2 busy cores; .ci/run builds it before the suite).
    reference = execFileSync(join(ROOT, "scripts", "build-k8s-labels.sh"), { encoding: "utf8" }).trim();
  } catch (e) {
    const stderr = (e as { stderr?: Buffer | string }).stderr?.toString() ?? String(e);
    throw new Error(
      `the apimachinery reference could not be built (Go toolchain and module proxy needed): ${stderr}`,
    );
  }
}, 600_000);

// Pools mixing valid and invalid keys and values, so that validation is exercised as much as matching.
const KEYS = [
  "a",
  "b",
  "app",
  "example.com/tier",
  "constructor",
  "Bad Key",
  "a/b/c",
  "",
  "/a",
  "-a",
  "x".repeat(64),
];
const VALID_LABEL_KEYS = ["a", "b", "app", "example.com/tier", "constructor"];
const VALUES = ["", "x", "y", "web", "a.b_c-d", "bad value!", "x".repeat(64), "-x"];
const VALID_VALUES = ["", "x", "y", "web", "a.b_c-d"];

const requirement = fc.record(
  {
    key: fc.constantFrom(...KEYS),
    operator: fc.constantFrom("In", "NotIn", "Exists", "DoesNotExist", "Equals", "in"),
    values: fc.oneof(fc.constant(null), fc.array(fc.constantFrom(...VALUES), { maxLength: 3 })),
  },
  { requiredKeys: ["key", "operator"] },
);
const selector = fc.oneof(
  { weight: 1, arbitrary: fc.constant(null) },
  {
    weight: 12,
    arbitrary: fc.record(
      {
        matchLabels: fc.dictionary(fc.constantFrom(...KEYS), fc.constantFrom(...VALUES), { maxKeys: 3 }),
        matchExpressions: fc.array(requirement, { maxLength: 3 }),
      },
      { requiredKeys: [] },
    ),
  },
);
const labels = fc.dictionary(fc.constantFrom(...VALID_LABEL_KEYS), fc.constantFrom(...VALID_VALUES), {
  maxKeys: 4,
});

describe("label selectors against k8s.io/apimachinery", () => {
  it("validate and match as Kubernetes does (nil selector = matches nothing)", () => {
    const cases = fc.sample(fc.record({ selector, labels }), { numRuns: 4000, seed: 11 });
    const input = `${cases.map((c) => JSON.stringify(c)).join("\n")}\n`;
    const answers = execFileSync(reference, { input, encoding: "utf8", maxBuffer: 1 << 26 })
      .trimEnd()
      .split("\n");
    expect(answers).toHaveLength(cases.length);
    const mismatches: string[] = [];
    let valid = 0;
    let matched = 0;
    cases.forEach((c, i) => {
      const r = parseLabelSelector(c.selector, "nothing");
      const ours = r.selector ? String(matchesSelector(r.selector, c.labels)) : "invalid";
      if (ours !== "invalid") valid++;
      if (ours === "true") matched++;
      if (ours !== answers[i])
        mismatches.push(
          `${JSON.stringify(c)}: palisade ${ours}, apimachinery ${answers[i]} ${JSON.stringify(r.issues)}`,
        );
    });
    expect(mismatches.slice(0, 10)).toEqual([]);
    // The generator must reach every outcome often enough for the comparison to mean something.
    expect(valid).toBeGreaterThan(400);
    expect(matched).toBeGreaterThan(100);
    expect(cases.length - valid).toBeGreaterThan(400);
  });
});
