import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";

/** Product source files under `dir`, sorted: `.ts` files, no tests, no `__fixtures__`, no contract suites. */
export function productSources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (name === "__fixtures__" || name === "node_modules") continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...productSources(p));
    else if (name.endsWith(".ts") && !name.endsWith(".test.ts") && !name.endsWith(".contract.ts"))
      out.push(p);
  }
  return out;
}
