import { Command, CommanderError } from "commander";
import { isPalisadeError, toPalisadeError } from "../../core/errors/index.js";
import { type CliContext, processContext } from "./context.js";
import { EXIT } from "./exit-codes.js";
import { VERSION } from "./version.js";

/**
 * A command module registers its subcommands on the program. Modules must stay cheap to import:
 * heavy dependencies are loaded with `await import()` inside the action so `palisade --help` and a
 * single-file scan start fast.
 */
export type CommandModule = { register(program: Command, ctx: CliContext): void };

// One line per command module. Keep the list sorted.
const MODULES: (() => Promise<CommandModule>)[] = [
  () => import("./commands/netpol.js"),
  () => import("./commands/posture.js"),
  () => import("./commands/pss.js"),
  () => import("./commands/rbac.js"),
  () => import("./commands/scan.js"),
  () => import("./commands/versions.js"),
  () => import("./commands/vuln.js"),
  // After vuln.js: adds `vuln impact|plan|status` to it, and registers `images`.
  () => import("./commands/vuln-lineage.js"),
];

export async function buildProgram(ctx: CliContext): Promise<Command> {
  const program = new Command();
  program
    .name("palisade")
    .description(
      "Security and observability for Kubernetes: posture, PSS, RBAC, NetworkPolicy, images, vulnerabilities",
    )
    .version(VERSION)
    // Program options only before the subcommand, so a subcommand may define its own --version
    // (`palisade pss --version v1.23`).
    .enablePositionalOptions()
    .exitOverride()
    .configureOutput({
      writeOut: (s) => ctx.stdout.write(s),
      writeErr: (s) => ctx.stderr.write(s),
    })
    .showHelpAfterError(false);
  const modules = await Promise.all(MODULES.map((load) => load()));
  for (const m of modules) m.register(program, ctx);
  return program;
}

/** Run the CLI with arguments (without node and script). Returns the exit code; never throws. */
export async function run(argv: string[], ctx: CliContext = processContext()): Promise<number> {
  try {
    const program = await buildProgram(ctx);
    await program.parseAsync(argv, { from: "user" });
    return ctx.exitCode;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (
        e.code === "commander.helpDisplayed" ||
        e.code === "commander.version" ||
        e.code === "commander.help"
      )
        return EXIT.OK;
      return EXIT.USAGE;
    }
    const err = isPalisadeError(e) ? e : toPalisadeError(e);
    ctx.stderr.write(`palisade: ${err.code === "INTERNAL" ? "internal error: " : ""}${err.describe()}\n`);
    if (err.code === "INTERNAL" && err.cause instanceof Error && err.cause.stack)
      ctx.stderr.write(`${err.cause.stack}\n`);
    return err.code === "INTERNAL" ? 3 : EXIT.USAGE;
  }
}
