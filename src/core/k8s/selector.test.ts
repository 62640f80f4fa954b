import { describe, expect, it } from "vitest";
import { MATCH_NOTHING, matchesSelector, matchesServiceSelector, parseLabelSelector } from "./selector.js";

const sel = (raw: unknown) => {
  const r = parseLabelSelector(raw, "everything");
  if (!r.selector) throw new Error(JSON.stringify(r.issues));
  return r.selector;
};

describe("label selectors", () => {
  it("empty selector matches everything", () => {
    expect(matchesSelector(sel({}), {})).toBe(true);
    expect(matchesSelector(sel({}), { a: "b" })).toBe(true);
  });
  it("matchLabels and matchExpressions are ANDed", () => {
    const s = sel({ matchLabels: { app: "web" }, matchExpressions: [{ key: "tier", operator: "Exists" }] });
    expect(matchesSelector(s, { app: "web", tier: "x" })).toBe(true);
    expect(matchesSelector(s, { app: "web" })).toBe(false);
    expect(matchesSelector(s, { tier: "x" })).toBe(false);
  });
  it.each([
    ["In", ["a", "b"], { k: "a" }, true],
    ["In", ["a", "b"], { k: "c" }, false],
    ["In", ["a"], {}, false],
    ["NotIn", ["a"], { k: "b" }, true],
    ["NotIn", ["a"], { k: "a" }, false],
    // NotIn matches objects that do not have the key (labels.Requirement.Matches).
    ["NotIn", ["a"], {}, true],
    ["Exists", undefined, { k: "" }, true],
    ["Exists", undefined, {}, false],
    ["DoesNotExist", undefined, {}, true],
    ["DoesNotExist", undefined, { k: "a" }, false],
  ] as const)("%s %j against %j -> %s", (operator, values, labels, expected) => {
    const s = sel({ matchExpressions: [{ key: "k", operator, ...(values ? { values } : {}) }] });
    expect(matchesSelector(s, labels)).toBe(expected);
  });
  it("an absent selector is empty (matches everything) or nil (matches nothing), as the caller's API type says", () => {
    expect(parseLabelSelector(undefined, "everything").selector?.text).toBe("{}");
    expect(parseLabelSelector(null, "nothing").selector).toBe(MATCH_NOTHING);
    expect(matchesSelector(MATCH_NOTHING, {})).toBe(false);
    expect(matchesSelector(sel(null), {})).toBe(true);
  });
  it("accepts keys Kubernetes accepts even when they name Object.prototype members", () => {
    const s = sel({ matchLabels: { constructor: "x" } });
    expect(matchesSelector(s, { constructor: "x" })).toBe(true);
    expect(matchesSelector(s, {})).toBe(false);
  });
  it("gives equal text to equal selectors", () => {
    expect(sel({ matchLabels: { b: "2", a: "1" } }).text).toBe(sel({ matchLabels: { a: "1", b: "2" } }).text);
    expect(sel({}).text).toBe("{}");
  });
});

describe("pathological cases", () => {
  it.each([
    [{ matchExpressions: [{ key: "k", operator: "Equals", values: ["a"] }] }, "matchExpressions[0].operator"],
    [{ matchExpressions: [{ key: "k", operator: "In" }] }, "matchExpressions[0].values"],
    [{ matchExpressions: [{ key: "k", operator: "In", values: [] }] }, "matchExpressions[0].values"],
    [{ matchExpressions: [{ key: "k", operator: "Exists", values: ["a"] }] }, "matchExpressions[0].values"],
    [{ matchExpressions: [{ key: "bad key", operator: "Exists" }] }, "matchExpressions[0].key"],
    [{ matchExpressions: "x" }, "matchExpressions"],
    [{ matchLabels: { "a/b/c": "x" } }, 'matchLabels["a/b/c"]'],
    [{ matchLabels: { a: "bad value!" } }, 'matchLabels["a"]'],
    [{ matchLabels: { a: 1 } }, 'matchLabels["a"]'],
    [{ matchLabels: { a: "x".repeat(64) } }, 'matchLabels["a"]'],
    [JSON.parse('{"matchLabels":{"__proto__":"x"}}'), 'matchLabels["__proto__"]'],
    [JSON.parse('{"matchLabels":{"__proto__":"x","constructor":"y"}}'), 'matchLabels["__proto__"]'],
    ["app=web", ""],
  ])("rejects %j at %s", (raw, path) => {
    const r = parseLabelSelector(raw, "everything");
    expect(r.selector).toBeUndefined();
    expect(r.issues.map((i) => i.path)).toEqual([path]);
  });
  it("does not match inherited properties", () => {
    const s = sel({ matchExpressions: [{ key: "toString", operator: "Exists" }] });
    expect(matchesSelector(s, {})).toBe(false);
  });
});

describe("Service selectors (spec.selector maps)", () => {
  it("AND equality; an empty selector selects no pod, unlike an empty LabelSelector", () => {
    expect([
      matchesServiceSelector({ app: "web" }, { app: "web", tier: "x" }),
      matchesServiceSelector({ app: "web", tier: "y" }, { app: "web", tier: "x" }),
      matchesServiceSelector({}, { app: "web" }),
      matchesServiceSelector({}, {}),
    ]).toEqual([true, false, false, false]);
  });
  it("reads own labels only", () => {
    const selector = JSON.parse('{"constructor":"x"}') as Record<string, string>;
    expect(matchesServiceSelector(selector, {})).toBe(false);
    expect(matchesServiceSelector({ toString: "x" }, Object.create(null))).toBe(false);
  });
});
