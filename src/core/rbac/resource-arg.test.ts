import { describe, expect, it } from "vitest";
import { parseResourceArg } from "./resource-arg.js";

describe("parseResourceArg (kubectl can-i TYPE[/NAME])", () => {
  it("resolves plural, singular, short and group-qualified built-ins and keeps unknown groups", () => {
    expect(
      [
        "pods",
        "pod",
        "po",
        "deployments",
        "deploy",
        "deployments.apps",
        "deployments.v1.apps",
        "jobs.batch/nightly",
        "widgets.example.com",
        "Pods",
        "*",
      ].map(parseResourceArg),
    ).toEqual([
      { resource: "pods", apiGroup: "" },
      { resource: "pods", apiGroup: "" },
      { resource: "pods", apiGroup: "" },
      { resource: "deployments", apiGroup: "apps" },
      { resource: "deployments", apiGroup: "apps" },
      { resource: "deployments", apiGroup: "apps" },
      { resource: "deployments", apiGroup: "apps" },
      { resource: "jobs", apiGroup: "batch", name: "nightly" },
      { resource: "widgets", apiGroup: "example.com" },
      { resource: "pods", apiGroup: "" },
      { resource: "*", apiGroup: "" },
    ]);
  });
});

describe("pathological cases", () => {
  it("splits the group at the first dot and the name at the first slash, like kubectl", () => {
    expect(["a.b.c.d", "pods/a/b", "pods/", ".x", "users", "__proto__"].map(parseResourceArg)).toEqual([
      { resource: "a", apiGroup: "b.c.d" },
      { resource: "pods", apiGroup: "", name: "a/b" },
      { resource: "pods", apiGroup: "", name: "" },
      { resource: "", apiGroup: "x" },
      { resource: "users", apiGroup: "" },
      { resource: "__proto__", apiGroup: "" },
    ]);
  });
});
