import { describe, expect, it } from "vitest";
import { Overlay, PackageTracker, parseDpkgStatus, resolveImagePath, type TrackedFile } from "./index.js";

const enc = (s: string) => new TextEncoder().encode(s);
const dpkg = (...pkgs: [string, string][]): TrackedFile => ({
  result: parseDpkgStatus(
    enc(pkgs.map(([n, v]) => `Package: ${n}\nStatus: install ok installed\nVersion: ${v}\n`).join("\n")),
    "var/lib/dpkg/status",
  ),
});
const layers = [0, 1, 2, 3, 4].map((i) => ({ diffId: `sha256:${String(i).repeat(64)}` }));

function origins(t: PackageTracker, n: number) {
  return t
    .finish({ kind: "image", name: "t" }, layers.slice(0, n))
    .sbom.packages.map((p) => `${p.name}@${p.version}:${p.layerIndex}`);
}

describe("Overlay (OCI whiteouts)", () => {
  it("whiteouts and opaque dirs remove lower entries only", () => {
    const o = new Overlay<number>();
    o.put("a/x", 1);
    o.put("a/y", 1);
    o.put("b/z", 1);
    o.commitLayer();
    o.put("a/x", 2); // same layer as the opaque marker: kept
    o.opaque("a");
    o.whiteout("b");
    expect([...o.commitLayer()]).toEqual([["a/x", 2]]);
  });
  it("a file replacing a directory hides its subtree; later entries win", () => {
    const o = new Overlay<number>();
    o.put("d/f", 1);
    o.commitLayer();
    o.hide("d", false);
    o.put("e", 1);
    o.put("e", 2);
    expect([...o.commitLayer()]).toEqual([["e", 2]]);
  });
});

describe("PackageTracker layer of origin", () => {
  it("a package gets the earliest layer of its continuous presence", () => {
    const t = new PackageTracker();
    t.put("var/lib/dpkg/status", dpkg(["a", "1"], ["b", "1"]));
    t.commitLayer(); // 0: a b
    t.put("var/lib/dpkg/status", dpkg(["a", "1"], ["b", "1"], ["c", "1"]));
    t.commitLayer(); // 1: + c
    t.put("var/lib/dpkg/status", dpkg(["a", "1"], ["c", "1"]));
    t.commitLayer(); // 2: - b
    t.put("var/lib/dpkg/status", dpkg(["a", "2"], ["b", "1"], ["c", "1"]));
    t.commitLayer(); // 3: a upgraded, b back
    t.commitLayer(); // 4: nothing
    expect(origins(t, 5)).toEqual(["a@2:3", "b@1:3", "c@1:1"]);
  });
  it("a whiteout of the database removes its packages; a directory without layers gets none", () => {
    const t = new PackageTracker();
    t.put("var/lib/dpkg/status.d/a", dpkg(["a", "1"]));
    t.put("var/lib/dpkg/status.d/b", dpkg(["b", "1"]));
    t.commitLayer();
    t.whiteout("var/lib/dpkg/status.d/b");
    t.commitLayer();
    expect(origins(t, 2)).toEqual(["a@1:0"]);
    const d = new PackageTracker();
    d.put("var/lib/dpkg/status", dpkg(["a", "1"]));
    d.commitLayer();
    const r = d.finish({ kind: "directory", name: "/x" }, []);
    expect(r.sbom.packages).toEqual([
      {
        type: "deb",
        name: "a",
        version: "1",
        sourceName: "a",
        sourceVersion: "1",
        locations: ["var/lib/dpkg/status"],
        purl: "pkg:deb/debian/a@1",
      },
    ]);
  });
  it("os-release sets the OS and purl distro", () => {
    const t = new PackageTracker();
    t.put("usr/lib/os-release", {
      result: { packages: [], coverage: [] },
      os: { id: "debian", versionId: "12" },
    });
    t.put("var/lib/dpkg/status", dpkg(["a", "1"]));
    t.commitLayer();
    const r = t.finish({ kind: "image", name: "t" }, layers.slice(0, 1));
    expect(r.sbom.os).toEqual({ id: "debian", versionId: "12" });
    expect(r.sbom.packages[0]?.purl).toBe("pkg:deb/debian/a@1?distro=debian-12");
    expect(r.sbom.packages[0]?.layerDiffId).toBe(layers[0]?.diffId);
  });
});

describe("symlinks inside the image root", () => {
  const links = (m: Record<string, string>) => (p: string) => m[p];
  it("resolveImagePath follows links per component, absolute from the root, .. stopping at the root", () => {
    const l = links({
      "var/lib/dpkg": "../../data/dpkg",
      "data/dpkg/status": "status.real",
      etc: "/private/etc",
      "private/etc/os-release": "../../../../../usr/lib/os-release",
      loop: "loop2",
      loop2: "loop",
    });
    expect([
      resolveImagePath("var/lib/dpkg/status", l),
      resolveImagePath("etc/os-release", l),
      resolveImagePath("usr/bin/sh", l),
      resolveImagePath("loop/x", l),
    ]).toEqual([
      { ok: true, path: "data/dpkg/status.real", viaLink: true },
      { ok: true, path: "usr/lib/os-release", viaLink: true },
      { ok: true, path: "usr/bin/sh", viaLink: false },
      { ok: false, reason: "more than 40 symlinks (a loop?)" },
    ]);
  });

  it("a dpkg status that is a link: the target is collected (as dpkg) when it comes after the link", () => {
    const t = new PackageTracker();
    t.link("var/lib/dpkg/status", "/opt/dpkg/status");
    expect(t.linkedCataloger("opt/dpkg/status")).toBe("dpkg");
    t.put("opt/dpkg/status", dpkg(["bash", "5"]));
    t.commitLayer();
    expect(t.unresolvedLinks()).toEqual([]);
    const r = t.finish({ kind: "image", name: "t" }, layers.slice(0, 1));
    expect(r.sbom.packages.map((p) => p.name)).toEqual(["bash"]);
    expect(r.coverage).toEqual([]);
  });

  it("os-release linked elsewhere gives the distro; a link to nothing is a missing entry, not silence", () => {
    const t = new PackageTracker();
    t.link("etc/os-release", "alpine-release-info");
    t.put("etc/alpine-release-info", { result: { packages: [], coverage: [] }, os: { id: "alpine" } });
    t.link("var/lib/dpkg/status", "/nowhere/status");
    t.commitLayer();
    expect(t.unresolvedLinks()).toEqual([
      { path: "var/lib/dpkg/status", target: "nowhere/status", cataloger: "dpkg" },
    ]);
    const r = t.finish({ kind: "image", name: "t" }, layers.slice(0, 1));
    expect(r.sbom.os).toEqual({ id: "alpine" });
    expect(r.coverage).toEqual([
      {
        reason: "missing",
        subject: "var/lib/dpkg/status",
        message:
          "symlink resolves to /nowhere/status, which was not read (not a regular file in the image, or stored before the link)",
      },
    ]);
  });

  it("a link loop at a database path is an unsupported entry", () => {
    const t = new PackageTracker();
    t.link("lib/apk/db/installed", "installed");
    t.commitLayer();
    expect(t.finish({ kind: "image", name: "t" }, layers.slice(0, 1)).coverage).toEqual([
      {
        reason: "unsupported",
        subject: "lib/apk/db/installed",
        message: "cannot resolve: more than 40 symlinks (a loop?)",
      },
    ]);
  });

  it("a whiteout removes the link; a later layer's file replaces it", () => {
    const t = new PackageTracker();
    t.link("var/lib/dpkg/status", "/nowhere");
    t.commitLayer();
    t.whiteout("var/lib/dpkg/status");
    t.put("var/lib/dpkg/status", dpkg(["a", "1"]));
    t.commitLayer();
    const r = t.finish({ kind: "image", name: "t" }, layers.slice(0, 2));
    expect(r.coverage).toEqual([]);
    expect(r.sbom.packages.map((p) => `${p.name}:${p.layerIndex}`)).toEqual(["a:1"]);
  });
});
