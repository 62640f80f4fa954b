import { describe, expect, it } from "vitest";
import { runCli } from "../../../test/support/cli.js";
import type { CliContext } from "./context.js";
import { dbLocation, defaultDbFile } from "./db-location.js";

const ctx = (env: NodeJS.ProcessEnv, cwd = "/work/project"): CliContext =>
  ({ env, cwd }) as unknown as CliContext;

describe("dbLocation", () => {
  it("defaults to one per-user file, not one under the working directory", () => {
    expect(dbLocation(undefined, ctx({ HOME: "/home/ana" }))).toBe(
      "/home/ana/.local/share/palisade/palisade.db",
    );
    expect(dbLocation(undefined, ctx({ HOME: "/home/ana" }, "/elsewhere"))).toBe(
      "/home/ana/.local/share/palisade/palisade.db",
    );
  });
  it("follows XDG_DATA_HOME when it is absolute (the XDG spec ignores a relative one)", () => {
    expect(defaultDbFile({ HOME: "/home/ana", XDG_DATA_HOME: "/data" })).toBe("/data/palisade/palisade.db");
    expect(defaultDbFile({ HOME: "/home/ana", XDG_DATA_HOME: "rel" })).toBe(
      "/home/ana/.local/share/palisade/palisade.db",
    );
  });
  it("prefers --db, then PALISADE_DB (relative to the working directory), and keeps URLs", () => {
    const env = { HOME: "/home/ana", PALISADE_DB: "x/p.db" };
    expect(dbLocation(undefined, ctx(env))).toBe("/work/project/x/p.db");
    expect(dbLocation("/abs.db", ctx(env))).toBe("/abs.db");
    expect(dbLocation("postgres://u@h/db", ctx(env))).toBe("postgres://u@h/db");
  });
  it("refuses to guess when no home is known (tests inject no HOME and must never reach a real one)", () => {
    expect(() => dbLocation(undefined, ctx({}))).toThrow(/HOME and XDG_DATA_HOME are unset/);
  });
  it("shows the resolved default in --help of every command that uses it", async () => {
    const env = { HOME: "/home/ana" };
    for (const argv of [
      ["vuln", "db", "import", "--help"],
      ["vuln", "scan", "--help"],
      ["vuln", "plan", "--help"],
      ["images", "tree", "--help"],
    ]) {
      const r = await runCli(argv, { env });
      expect(r.stdout.replace(/\s+/g, " ")).toContain("/home/ana/.local/share/palisade/palisade.db");
    }
  });
});
