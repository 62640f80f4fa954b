import { PalisadeError } from "../../core/errors/index.js";

/** commander reducer for a repeatable option: every occurrence is kept, in order. */
export const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

/** Refuse an `-o` value the command does not produce (usage error, exit 2). */
export function checkOutput(value: string, allowed: readonly string[]): void {
  if (!allowed.includes(value))
    throw new PalisadeError("USAGE", `unknown output format "${value}" (expected ${allowed.join(", ")})`);
}
