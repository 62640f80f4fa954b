import { describe, expect, it } from "vitest";
import { DEFAULT_ADMISSION_POLICY } from "../../core/admission/index.js";
import { warmDecisions } from "./index.js";

describe("warmDecisions", () => {
  it("decides every synthetic review each round, and the rules run (Pod Security even without a policy)", () => {
    const once = warmDecisions(DEFAULT_ADMISSION_POLICY, 1);
    expect(once.decided).toBe(3);
    // The privileged Pod and the Deployment's template break the restricted level; the hardened Pod does not.
    expect(once.violations).toBeGreaterThan(4);
    expect(warmDecisions(DEFAULT_ADMISSION_POLICY, 5)).toEqual({
      decided: 15,
      violations: once.violations * 5,
    });
    expect(warmDecisions(DEFAULT_ADMISSION_POLICY, 0)).toEqual({ decided: 0, violations: 0 });
  });
});
