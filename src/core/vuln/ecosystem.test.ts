import { describe, expect, it } from "vitest";
import type { Package } from "../sbom/index.js";
import { ecosystemForPackage, lookupIdentity } from "./ecosystem.js";

const pkg = (p: Partial<Package> & Pick<Package, "type" | "name" | "version">): Package => ({
  purl: "",
  locations: [],
  ...p,
});

describe("application ecosystems", () => {
  it("each application package type maps to its OSV ecosystem", () => {
    expect(
      (["composer", "gem", "nuget", "cargo"] as const).map((type) =>
        ecosystemForPackage(pkg({ type, name: "x", version: "1" }), undefined),
      ),
    ).toEqual(["Packagist", "RubyGems", "NuGet", "crates.io"]);
  });

  it("Packagist: the vendor from the name, the CycloneDX group, or the purl namespace", () => {
    const cases = [
      pkg({
        type: "composer",
        name: "guzzlehttp/guzzle",
        version: "7.4.4",
        purl: "pkg:composer/guzzlehttp/guzzle@7.4.4",
      }),
      pkg({ type: "composer", name: "guzzle", group: "guzzlehttp", version: "7.4.4" }),
      pkg({
        type: "composer",
        name: "guzzle",
        version: "7.4.4",
        purl: "pkg:composer/guzzlehttp/guzzle@7.4.4",
      }),
      // No vendor anywhere: looked up as named.
      pkg({ type: "composer", name: "guzzle", version: "7.4.4", purl: "pkg:composer/guzzle@7.4.4" }),
    ];
    expect(cases.map((p) => lookupIdentity(p, "Packagist"))).toEqual([
      { name: "guzzlehttp/guzzle", version: "7.4.4" },
      { name: "guzzlehttp/guzzle", version: "7.4.4" },
      { name: "guzzlehttp/guzzle", version: "7.4.4" },
      { name: "guzzle", version: "7.4.4" },
    ]);
  });

  it("RubyGems: a platform gem is looked up by its name and version (the platform is not part of either)", () => {
    expect(
      lookupIdentity(
        pkg({ type: "gem", name: "nokogiri", version: "1.13.10", arch: "x86_64-linux" }),
        "RubyGems",
      ),
    ).toEqual({ name: "nokogiri", version: "1.13.10" });
  });
});
