/**
 * What a module costs just by being loaded. A one-file `palisade scan` loads the start-up pack (scripts/build.mjs)
 * whole, so every module on its path runs its top level on every run (issue 10: start-up <= 1.5x `node -e 0`).
 *
 * A regular expression with a Unicode property escape (`\p{L}`, `\P{Nd}`) is parsed by V8 when the literal is
 * evaluated, and parsing one looks up ICU's property tables: the three that were at module scope (core/versions'
 * Maven and PEP 440 digit patterns, core/pss' Go printable test) cost about 19 M instructions alone in `node -e`
 * (callgrind), and made on first use instead a one-file scan went from 277 to 269 M. Such patterns are made on use.
 * Read from the TypeScript syntax tree, like src/architecture.test.ts.
 */
import { readFileSync } from "node:fs";
import { join, relative } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { productSources } from "../test/support/source-files.js";

const SRC = join(import.meta.dirname);

/** A Unicode property escape (`\p{…}` or `\P{…}`) in a pattern's source text. */
const PROPERTY_ESCAPE = /\\[pP]\{/;

/** Code that runs when its function is called or its object made, not when the module is loaded. */
function defersEvaluation(node: ts.Node): boolean {
  return (
    ts.isFunctionLike(node) ||
    // An instance field's initializer runs in the constructor.
    (ts.isPropertyDeclaration(node) && !(ts.getCombinedModifierFlags(node) & ts.ModifierFlags.Static))
  );
}

/**
 * Lines of `text` where a pattern with a Unicode property escape is made at module load: a regular expression
 * literal, or `RegExp(…)`/`new RegExp(…)` with a string literal, outside any function.
 */
function propertyEscapesAtLoad(file: string, text: string): number[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const lines: number[] = [];
  const visit = (node: ts.Node): void => {
    if (defersEvaluation(node)) return;
    let pattern: string | undefined;
    if (ts.isRegularExpressionLiteral(node)) pattern = node.text;
    else if (
      (ts.isNewExpression(node) || ts.isCallExpression(node)) &&
      ts.isIdentifier(node.expression) &&
      node.expression.text === "RegExp"
    ) {
      const first = node.arguments?.[0];
      if (first && (ts.isStringLiteral(first) || ts.isNoSubstitutionTemplateLiteral(first)))
        pattern = first.text;
    }
    if (pattern !== undefined && PROPERTY_ESCAPE.test(pattern))
      lines.push(sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1);
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return lines;
}

describe("module load cost", () => {
  it("no module makes a regular expression with a Unicode property escape at load", () => {
    const found: string[] = [];
    const files = productSources(SRC);
    // The walk must see the product: an empty list would pass.
    expect(files.length).toBeGreaterThan(300);
    for (const f of files)
      for (const line of propertyEscapesAtLoad(f, readFileSync(f, "utf8")))
        found.push(`${relative(SRC, f)}:${line}`);
    expect(found).toEqual([]);
  });

  it("tells patterns made at load from patterns made on use", () => {
    const text = [
      "const A = /^\\p{Nd}$/u;", // 1: at load
      "const B = new RegExp('\\\\p{L}', 'u');", // 2: at load
      "export const C = { re: /\\P{L}/u };", // 3: at load
      "class K { static S = /\\p{L}/u; f = /\\p{L}/u; }", // 4: the static field only
      "let d: RegExp | undefined;",
      "export const isDigit = (c: string) => (d ??= /^\\p{Nd}$/u).test(c);", // on use
      "function f() { return new RegExp('\\\\p{Lu}', 'u'); }", // on use
      "const plain = /^[a-z]+$/u;", // no property escape
      "const escaped = /\\\\p{L}/;", // a backslash, then p{L}: escaped, but flagged (conservative)
    ].join("\n");
    expect(propertyEscapesAtLoad("sample.ts", text)).toEqual([1, 2, 3, 4, 9]);
  });
});
