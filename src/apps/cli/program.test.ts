import { Writable } from "node:stream";
import type { Command } from "commander";
import { describe, expect, it } from "vitest";
import type { CliContext } from "./context.js";
import { buildProgram, COMMAND_MODULES } from "./program.js";

const sink = () =>
  new Writable({
    write(_c, _e, cb) {
      cb();
    },
  });
const ctx = (): CliContext => ({
  stdout: sink(),
  stderr: sink(),
  stdin: process.stdin,
  env: {},
  cwd: process.cwd(),
  now: () => new Date("2026-01-01T00:00:00Z"),
  exitCode: 0,
});

/** A command's shape: name, options and subcommands, recursively. */
interface Shape {
  name: string;
  options: string[];
  commands: Shape[];
}
const shape = (c: Command): Shape => ({
  name: c.name(),
  options: c.options.map((o) => o.flags),
  commands: c.commands.map(shape),
});

describe("command module dispatch", () => {
  it("lists, for every module, exactly the top-level commands it registers", async () => {
    const full = await buildProgram(ctx());
    const names = full.commands.map((c) => c.name()).sort();
    expect([...new Set(COMMAND_MODULES.flatMap((m) => m.commands))].sort()).toEqual(names);
  });

  it("builds the same command tree for `palisade <command>` as the full program", async () => {
    const full = await buildProgram(ctx());
    for (const c of full.commands) {
      const lazy = await buildProgram(ctx(), [c.name(), "--help"]);
      const same = lazy.commands.filter((x) => x.name() === c.name());
      expect(same.map(shape)).toEqual([shape(c)]);
      expect(lazy.commands.length).toBeLessThan(full.commands.length);
    }
  });

  it("loads every module for help, options and unknown commands", async () => {
    const all = (await buildProgram(ctx())).commands.length;
    for (const argv of [[], ["--help"], ["help", "scan"], ["nope"]])
      expect((await buildProgram(ctx(), argv)).commands.length).toBe(all);
  });
});
