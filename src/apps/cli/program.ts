import { Command, CommanderError } from "commander";
import { isPalisadeError, toPalisadeError } from "../../core/errors/index.js";
import { stripUserinfo } from "../../core/util/index.js";
import { isBatchCommand, isServerCommand } from "./batch.js";
import { type CliContext, processContext } from "./context.js";
import { EXIT } from "./exit-codes.js";
import { VERSION } from "./version.js";

/**
 * A command module registers its subcommands on the program. Modules must stay cheap to import:
 * heavy dependencies are loaded with `await import()` inside the action so `palisade --help` and a
 * single-file scan start fast.
 */
export type CommandModule = { register(program: Command, ctx: CliContext): void };

/**
 * A command module and the top-level commands that need it: those it registers or adds subcommands to, and
 * those of a later module that requires it.
 */
export interface ModuleEntry {
  commands: readonly string[];
  load: () => Promise<CommandModule>;
}

// One line per command module, with the top-level commands that need it: `palisade <command>` loads only the
// modules that name <command> (program.test.ts checks that this builds the same command as loading them all);
// help and unknown commands load all. Keep the list sorted.
const MODULES: readonly ModuleEntry[] = [
  { commands: ["admission"], load: () => import("./commands/admission.js") },
  { commands: ["events"], load: () => import("./commands/events.js") },
  { commands: ["netpol"], load: () => import("./commands/netpol.js") },
  { commands: ["rules", "secrets"], load: () => import("./commands/posture.js") },
  { commands: ["pss"], load: () => import("./commands/pss.js") },
  { commands: ["push"], load: () => import("./commands/push.js") },
  { commands: ["rbac"], load: () => import("./commands/rbac.js") },
  { commands: ["runtime"], load: () => import("./commands/runtime.js") },
  { commands: ["scan"], load: () => import("./commands/scan.js") },
  { commands: ["sensor"], load: () => import("./commands/sensor.js") },
  { commands: ["serve", "token"], load: () => import("./commands/serve.js") },
  { commands: ["versions"], load: () => import("./commands/versions.js") },
  { commands: ["vuln", "sbom"], load: () => import("./commands/vuln.js") },
  // After vuln.js: adds `vuln impact|plan|status` to it.
  { commands: ["vuln"], load: () => import("./commands/vuln-lineage.js") },
  // After vuln.js: adds `vuln nodes` to it.
  { commands: ["vuln"], load: () => import("./commands/vuln-nodes.js") },
  // Last, out of order: `palisade --help` lists it after vuln and sbom, where it has always been.
  { commands: ["images"], load: () => import("./commands/images.js") },
];

/** The command modules, for tests that check each entry's `commands` against what it registers. */
export const COMMAND_MODULES: readonly ModuleEntry[] = MODULES;

/**
 * The modules needed to run `argv`: those naming its first word when that is a known command (a single-file
 * scan then skips importing every other command and what it imports), else all of them.
 */
function modulesFor(argv: readonly string[] | undefined): readonly ModuleEntry[] {
  const first = argv?.[0];
  if (first === undefined || first.startsWith("-")) return MODULES;
  const some = MODULES.filter((m) => m.commands.includes(first));
  return some.length > 0 ? some : MODULES;
}

/**
 * Build the program. With `argv`, only the command modules `argv` needs are loaded (see {@link modulesFor});
 * without, all of them (complete help, docs).
 */
export async function buildProgram(ctx: CliContext, argv?: readonly string[]): Promise<Command> {
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
      // Usage errors from commander (a bad choice, an unknown option) read like every other message.
      outputError: (s, write) => write(s.replace(/^error: /, "palisade: ")),
    })
    .showHelpAfterError(false);
  const modules = await Promise.all(modulesFor(argv).map((m) => m.load()));
  for (const m of modules) m.register(program, ctx);
  return program;
}

/** Run the CLI with arguments (without node and script). Returns the exit code; never throws. */
export async function run(
  argv: string[],
  given: CliContext = processContext({ directOutput: isBatchCommand(argv), server: isServerCommand(argv) }),
): Promise<number> {
  const ctx = withoutCredentials(given);
  try {
    const program = await buildProgram(ctx, argv);
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
    return err.code === "INTERNAL" ? EXIT.INTERNAL : EXIT.USAGE;
  } finally {
    given.exitCode = ctx.exitCode;
  }
}

/**
 * Everything a command writes passes through {@link stripUserinfo}: credentials written into an image reference
 * or purl (`user:secret@registry/app`) are never printed, whichever command, format or error message carries
 * them. The streams are otherwise the same objects (write's return value, "drain", isTTY).
 */
function withoutCredentials(ctx: CliContext): CliContext {
  const guard = <T extends CliContext["stdout"]>(out: T): T =>
    new Proxy(out, {
      get(target, prop, receiver) {
        if (prop === "write")
          return (chunk: unknown, ...rest: unknown[]): boolean => {
            const args = rest.slice();
            args.unshift(typeof chunk === "string" ? stripUserinfo(chunk) : chunk);
            return Reflect.apply(target.write, target, args) as boolean;
          };
        const v = Reflect.get(target, prop, receiver);
        return typeof v === "function" ? v.bind(target) : v;
      },
    });
  // Copied by descriptor, not spread: a spread reads every getter, and processContext's `stdin` is one, so that
  // reading `-` alone sets up process.stdin (a stream, and a few milliseconds of every one-file scan).
  const replaced = { writable: true, enumerable: true, configurable: true };
  return Object.defineProperties({} as CliContext, {
    ...Object.getOwnPropertyDescriptors(ctx),
    stdout: { ...replaced, value: guard(ctx.stdout) },
    stderr: { ...replaced, value: guard(ctx.stderr) },
  });
}
