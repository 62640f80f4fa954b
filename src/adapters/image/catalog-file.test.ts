import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { overlappingZip } from "../../../test/hostile/image-inputs.js";
import { catalogFile, JAVA_ARCHIVE_LIMITS } from "./catalog-file.js";

const dir = mkdtempSync(join(tmpdir(), "palisade-catalog-file-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A jar built by the zip tool: META-INF/maven/<g>/<a>/pom.properties plus extra members. */
function jar(
  name: string,
  group: string,
  artifact: string,
  version: string,
  extra: Record<string, Buffer> = {},
) {
  const root = join(dir, `${name}.d`);
  const pom = join(root, "META-INF", "maven", group, artifact);
  mkdirSync(pom, { recursive: true });
  writeFileSync(
    join(pom, "pom.properties"),
    `groupId=${group}\nartifactId=${artifact}\nversion=${version}\n`,
  );
  for (const [p, b] of Object.entries(extra)) {
    mkdirSync(join(root, p, ".."), { recursive: true });
    writeFileSync(join(root, p), b);
  }
  const out = join(dir, name);
  execFileSync("zip", ["-q", "-r", "-0", out, "."], { cwd: root });
  return readFileSync(out);
}

describe("catalogFile java", () => {
  it("reads a jar and its nested jars (zip tool)", () => {
    const inner = jar("inner.jar", "org.inner", "inner", "2.0");
    const outer = jar("app.jar", "org.app", "app", "1.0", { "BOOT-INF/lib/inner.jar": inner });
    const r = catalogFile("java", "srv/app.jar", outer).result;
    expect(r.coverage).toEqual([]);
    expect(r.packages.map((p) => `${p.group}:${p.name}@${p.version} ${p.locations[0]}`)).toEqual([
      "org.app:app@1.0 srv/app.jar",
      "org.inner:inner@2.0 srv/app.jar:BOOT-INF/lib/inner.jar",
    ]);
  });

  describe("pathological cases", () => {
    it("thousands of entries pointing at one deflated member stop at the archive budget", () => {
      // 4,000 pom.properties entries sharing one 1 MiB deflated member: ~4 GiB claimed from a few KB.
      const body = Buffer.concat([
        Buffer.from("groupId=g\nartifactId=a\nversion=1\n"),
        Buffer.alloc(1024 * 1024 - 40, 0x20),
      ]);
      const names = Array.from({ length: 4000 }, (_, i) => `META-INF/maven/g/a${i}/pom.properties`);
      const bomb = overlappingZip(names, body);
      expect(bomb.length).toBeLessThan(400 * 1024);
      const r = catalogFile("java", "srv/bomb.jar", bomb).result;
      expect(r.coverage).toEqual([
        {
          reason: "limit",
          subject: "srv/bomb.jar",
          message:
            "java archive srv/bomb.jar: over the inflated bytes budget of 128 MiB; the rest of the archive was not read",
        },
      ]);
      // What was read before the stop is kept (the shared member names the same package each time).
      expect(r.packages.map((p) => `${p.group}:${p.name}@${p.version}`)).toEqual(["g:a@1"]);
    });

    it("nested jars charge the outer archive's budget (jar in jar cannot multiply it)", () => {
      // Each nested jar is 60 MiB of deflated spaces (under the 64 MiB member cap) and is listed 100 times.
      const innerBody = Buffer.alloc(60 * 1024 * 1024, 0x20);
      const names = Array.from({ length: 100 }, (_, i) => `BOOT-INF/lib/x${i}.jar`);
      const r = catalogFile("java", "srv/nested.jar", overlappingZip(names, innerBody)).result;
      const limit = r.coverage.find((c) => c.reason === "limit");
      expect(limit?.message).toBe(
        `java archive srv/nested.jar: over the inflated bytes budget of ${JAVA_ARCHIVE_LIMITS["inflated bytes"] / 1024 / 1024} MiB; the rest of the archive was not read`,
      );
    });

    it("central-directory entries of nested jars add up in the outer archive's budget", () => {
      const inner = overlappingZip(
        Array.from({ length: 60_000 }, (_, i) => `x${i}`),
        Buffer.from("x"),
      );
      const outer = overlappingZip(
        Array.from({ length: 10 }, (_, i) => `lib/a${i}.jar`),
        inner,
      );
      const r = catalogFile("java", "srv/e.jar", outer).result;
      expect(r.coverage).toEqual([
        {
          reason: "limit",
          subject: "srv/e.jar",
          message:
            "java archive srv/e.jar: over the zip entries budget of 200000 zip entries; the rest of the archive was not read",
        },
      ]);
    });
  });
});
