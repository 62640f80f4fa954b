import { describe, expect, it } from "vitest";
import { checkSubjectPrefix, deltaSubject } from "./nats.js";

describe("delta subjects", () => {
  it("are <prefix>.<cluster>.delta.<kind>, dots of the cluster written ~", () => {
    expect(deltaSubject("prod.eu", "Pod")).toBe("palisade.prod~eu.delta.Pod");
    expect(deltaSubject("prod", "Pod", "staging-2")).toBe("staging-2.prod.delta.Pod");
  });

  it("refuse a prefix that is not one plain subject token (USAGE, naming it)", () => {
    expect(checkSubjectPrefix("fleet_b-1")).toBe("fleet_b-1");
    for (const bad of ["", "a.b", "a*", ">", "a b", "x".repeat(65)])
      expect(() => checkSubjectPrefix(bad)).toThrow(
        expect.objectContaining({ code: "USAGE", message: expect.stringContaining("subject prefix") }),
      );
  });
});
