import { Command, CommanderError } from "commander";
import { describe, expect, it } from "vitest";
import { PalisadeError } from "../../core/errors/index.js";
import { failOnOption, outputOption } from "./options.js";

/** A command with one `-o` option; parse errors throw instead of exiting. */
function parse(argv: string[], choices: readonly string[], dflt: string): string {
  const cmd = new Command()
    .exitOverride()
    .configureOutput({ writeErr: () => {} })
    .addOption(outputOption(choices, dflt));
  cmd.parse(argv, { from: "user" });
  return cmd.opts<{ output: string }>().output;
}

describe("outputOption", () => {
  it("takes one of its choices, or the default", () => {
    expect(parse([], ["table", "json"], "table")).toBe("table");
    expect(parse(["-o", "json"], ["table", "json"], "table")).toBe("json");
    expect(parse(["--output=table"], ["json", "table"], "json")).toBe("table");
  });

  it("reads the older spellings text and txt as table, without listing them", () => {
    expect(parse(["-o", "text"], ["table", "json"], "json")).toBe("table");
    expect(parse(["-o", "txt"], ["table", "json", "dot"], "json")).toBe("table");
    expect(outputOption(["table", "json"], "table").argChoices).toEqual(["table", "json"]);
  });

  it("refuses anything else with commander's usage error naming the choices", () => {
    const err = (() => {
      try {
        parse(["-o", "yaml"], ["table", "json"], "table");
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(CommanderError);
    expect(err).toMatchObject({
      code: "commander.invalidArgument",
      message:
        "error: option '-o, --output <format>' argument 'yaml' is invalid. Allowed choices are table, json.",
    });
    // No alias where the command has no human-readable format.
    expect(() => parse(["-o", "text"], ["cyclonedx", "spdx"], "cyclonedx")).toThrow(/Allowed choices are/);
  });

  it("lists the choices and the default in help", () => {
    const help = new Command()
      .configureHelp({ helpWidth: 200 })
      .addOption(outputOption(["table", "json"], "table"))
      .helpInformation();
    expect(help).toContain('output format (choices: "table", "json", default: "table")');
  });
});

describe("failOnOption", () => {
  const failOn = (argv: string[]): unknown =>
    new Command().exitOverride().addOption(failOnOption()).parse(argv, { from: "user" }).opts().failOn;

  it("gives the action a severity, read in any case", () => {
    expect(failOn(["--fail-on", "HIGH"])).toBe("high");
    expect(failOn([])).toBeUndefined();
  });

  it("refuses an unknown severity as a usage error naming it", () => {
    expect(() => failOn(["--fail-on", "severe"])).toThrow(
      new PalisadeError("USAGE", 'unknown severity "severe" for --fail-on'),
    );
    try {
      failOn(["--fail-on", "severe"]);
    } catch (e) {
      expect((e as PalisadeError).code).toBe("USAGE");
    }
  });
});
