import { Readable, Writable } from "node:stream";
import type { Command } from "commander";
import { describe, expect, it } from "vitest";
import { runCli } from "../../../test/support/cli.js";
import type { CliContext } from "./context.js";
import { buildProgram, COMMAND_MODULES, run } from "./program.js";

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

describe("options", () => {
  const all = (c: Command): Command[] => [c, ...c.commands.flatMap(all)];

  it("declares every -o/--output with its choices (commander refuses the rest as a usage error)", async () => {
    const outputs = all(await buildProgram(ctx()))
      .flatMap((c) => c.options.filter((o) => o.long === "--output").map((o) => ({ cmd: c.name(), o })))
      .map(({ cmd, o }) => ({ cmd, flags: o.flags, choices: o.argChoices !== undefined }));
    expect(outputs.length).toBeGreaterThan(15);
    for (const x of outputs) expect(x).toEqual({ cmd: x.cmd, flags: "-o, --output <format>", choices: true });
  });

  it("spells the human-readable format table everywhere", async () => {
    for (const c of all(await buildProgram(ctx())))
      for (const o of c.options.filter((x) => x.long === "--output"))
        expect(
          o.argChoices?.filter((v) => v === "text" || v === "txt"),
          c.name(),
        ).toEqual([]);
  });
});

describe("usage errors from commander", () => {
  it("read like every other message (palisade: ...) and exit 2", async () => {
    expect(await runCli(["scan", "--no-such-flag"])).toEqual({
      code: 2,
      stdout: "",
      stderr: "palisade: unknown option '--no-such-flag'\n",
    });
    expect(await runCli(["rules", "-o", "yaml"])).toEqual({
      code: 2,
      stdout: "",
      stderr:
        "palisade: option '-o, --output <format>' argument 'yaml' is invalid. Allowed choices are table, json.\n",
    });
  });
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

describe("standard input", () => {
  // processContext gives stdin as a getter because process.stdin is set up on first use; the CLI must not read it
  // unless `-` is given (it did: the credential filter spread the context, which read every getter).
  const counting = () => {
    const c = { ...ctx(), reads: 0 };
    Object.defineProperty(c, "stdin", {
      enumerable: true,
      get() {
        c.reads++;
        return Readable.from(["apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n"]);
      },
    });
    return c;
  };
  const file = "examples/demo/manifests/payments/helm-rendered.yaml";

  it("is not touched by a scan of a file", async () => {
    const c = counting();
    expect(await run(["scan", file, "-o", "json"], c)).toBeLessThan(2);
    expect(c.reads).toBe(0);
  });

  it("is read for -", async () => {
    const c = counting();
    expect(await run(["scan", "-", "-o", "json"], c)).toBeLessThan(2);
    expect(c.reads).toBeGreaterThan(0);
  });
});
