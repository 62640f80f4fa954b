import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

/**
 * No call may spread an array into its arguments (`xs.push(...ys)`, `Math.max(...xs)`,
 * `String.fromCharCode(...bytes)`): every argument goes on the stack, and past about 120k elements V8 throws
 * "Maximum call stack size exceeded" (a 125k-object snapshot crashed the CLI this way). Loop, or reduce instead.
 */
const SRC = import.meta.dirname;

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) sourceFiles(p, out);
    else if (e.name.endsWith(".ts") && !e.name.endsWith(".test.ts") && !e.name.endsWith(".d.ts")) out.push(p);
  }
  return out;
}

/** `file:line: text` of every call or `new` with a spread argument. */
function spreadCalls(file: string, text: string): string[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const visit = (n: ts.Node): void => {
    if ((ts.isCallExpression(n) || ts.isNewExpression(n)) && n.arguments?.some(ts.isSpreadElement)) {
      const { line } = sf.getLineAndCharacterOfPosition(n.getStart(sf));
      found.push(`${relative(SRC, file)}:${line + 1}: ${n.getText(sf).split("\n")[0]}`);
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return found;
}

describe("no spread arguments in calls", () => {
  it("finds the patterns it is meant to find", () => {
    const text = "a.push(...b); Math.max(1, ...c); new Set(...d); f([...e]); g({ ...h });";
    expect(spreadCalls(join(SRC, "x.ts"), text).length).toBe(3);
  });

  it("no source file under src spreads into a call", () => {
    const all = sourceFiles(SRC).flatMap((f) => spreadCalls(f, readFileSync(f, "utf8")));
    expect(all).toEqual([]);
  });
});
