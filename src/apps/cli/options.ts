import { Option } from "commander";
import { PalisadeError } from "../../core/errors/index.js";
import { parseSeverity, SEVERITIES, type Severity } from "../../core/findings/index.js";

/** commander reducer for a repeatable option: every occurrence is kept, in order. */
export const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

/**
 * Older spellings of the human-readable format, still accepted and read as `table`: `rbac can-i` said `text`,
 * `netpol` said `txt` and `images tree` said `text`. They are not listed in help.
 */
const TABLE_ALIASES: Readonly<Record<string, "table">> = { text: "table", txt: "table" };

/**
 * The `-o, --output <format>` option of a command: the formats it produces, declared once. `table` is the
 * human-readable format of every command (tables, trees, lists: whatever the command prints for people).
 * A value outside `choices` is a usage error from commander (exit 2) naming the allowed choices; help lists them
 * and the default.
 */
export function outputOption<const C extends string>(choices: readonly C[], defaultValue: C): Option {
  const opt = new Option("-o, --output <format>", "output format").choices(choices).default(defaultValue);
  if (!choices.includes("table" as C)) return opt;
  const check = opt.parseArg;
  return opt.argParser((value: string, previous: unknown) =>
    check?.(TABLE_ALIASES[value] ?? value, previous),
  );
}

/**
 * `--fail-on <severity>` (scan, vuln scan): the exit code is 1 when an active finding is at or above it. The value
 * is parsed as commander reads it (any case), so the action receives a {@link Severity}.
 */
export function failOnOption(): Option {
  return new Option(
    "--fail-on <severity>",
    `exit 1 when an active finding is at or above this severity (${SEVERITIES.join("|")})`,
  ).argParser((value: string): Severity => {
    const sev = parseSeverity(value);
    if (!sev) throw new PalisadeError("USAGE", `unknown severity "${value}" for --fail-on`);
    return sev;
  });
}
