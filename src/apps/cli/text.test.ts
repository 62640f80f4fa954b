import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { runCli } from "../../../test/support/cli.js";
import { escapeControls } from "../../core/report/index.js";
import type { CliContext } from "./context.js";
import { formatColumns, useColor, writeCoverage, writeNote, writeWarning } from "./text.js";

const ctx = (env: NodeJS.ProcessEnv, isTTY: boolean): CliContext =>
  ({ env, stdout: { isTTY } }) as unknown as CliContext;

describe("useColor", () => {
  it("colours a terminal only; NO_COLOR wins, FORCE_COLOR forces", () => {
    expect(useColor(ctx({}, true))).toBe(true);
    expect(useColor(ctx({}, false))).toBe(false);
    expect(useColor(ctx({ NO_COLOR: "1" }, true))).toBe(false);
    expect(useColor(ctx({ NO_COLOR: "" }, true))).toBe(true);
    expect(useColor(ctx({ FORCE_COLOR: "1" }, false))).toBe(true);
    expect(useColor(ctx({ FORCE_COLOR: "0" }, true))).toBe(true);
    expect(useColor(ctx({ FORCE_COLOR: "0" }, false))).toBe(false);
    expect(useColor(ctx({ FORCE_COLOR: "1", NO_COLOR: "1" }, true))).toBe(false);
  });
});

describe("writeCoverage, writeWarning, writeNote: the one way coverage, warnings and notes reach stderr", () => {
  const capture = (write: (c: CliContext) => void): string => {
    let err = "";
    write({ stderr: { write: (s: string) => (err += s) } } as unknown as CliContext);
    return err;
  };

  it("names file:line when located, else the subject unless the message already does; escapes controls", () => {
    const out = capture((c) =>
      writeCoverage(c, [
        {
          reason: "invalid",
          subject: "k8s/a.yaml",
          location: { file: "k8s/a.yaml", line: 3, column: 1 },
          message: "Role x is invalid",
        },
        { reason: "missing", subject: "var/lib/dpkg/status", message: "symlink resolves to /gone" },
        { reason: "limit", subject: "srv/a.jar", message: "java archive srv/a.jar: over budget" },
        { reason: "parse-error", message: "name \u001b[31mred" },
      ]),
    );
    expect(out).toBe(
      "palisade: warning: invalid: k8s/a.yaml:3: Role x is invalid\n" +
        "palisade: warning: missing: var/lib/dpkg/status: symlink resolves to /gone\n" +
        "palisade: warning: limit: java archive srv/a.jar: over budget\n" +
        "palisade: warning: parse-error: name \\x1b[31mred\n",
    );
    expect(capture((c) => writeWarning(c, "the last import did not finish"))).toBe(
      "palisade: warning: the last import did not finish\n",
    );
    expect(capture((c) => writeNote(c, "2 record(s) dated later"))).toBe(
      "palisade: note: 2 record(s) dated later\n",
    );
  });
});

describe("control characters in text output (issue 9 item 23)", () => {
  it("formatColumns shows escapes instead of passing them to the terminal", () => {
    expect(formatColumns([["a\u001b]0;owned\u0007b", "x\ny"]])).toBe("a\\x1b]0;owned\\x07b  x\\ny");
  });
  it("scan -o table escapes ANSI/OSC sequences and bidi overrides from object names and messages", async () => {
    const yaml =
      'apiVersion: v1\nkind: Pod\nmetadata: {name: "p\\e]0;pwned\\a\\e[8m", namespace: "n\\u202e"}\nspec:\n  hostPID: true\n  containers: [{name: c, image: busybox:1.36}]\n';
    const r = await runCli(["scan", "-", "--allow-partial"], { stdin: yaml });
    expect(r.stdout).toContain("Pod/n\\u202e/p\\x1b]0;pwned\\x07\\x1b[8m");
    // Nothing the terminal would act on: no ESC, BEL or bidi override anywhere in the output.
    expect(escapeControls(r.stdout, true)).toBe(r.stdout);
  });
});

describe("scripts/demo.sh", () => {
  // The demo's palisade calls go to a stub: what is tested is the script's own output (its headings).
  const dir = mkdtempSync(join(tmpdir(), "palisade-demo-test-"));
  const stub = join(dir, "stub.mjs");
  writeFileSync(stub, 'process.stdout.write("out\\n");\n');
  const demo = (env: NodeJS.ProcessEnv): string =>
    execFileSync("bash", ["scripts/demo.sh"], {
      env: { PATH: process.env.PATH, HOME: dir, PALISADE_CLI: stub, ...env },
      encoding: "utf8",
    });
  it("prints no ANSI escapes into a pipe; FORCE_COLOR brings bold headings back, NO_COLOR wins", () => {
    const piped = demo({});
    expect(piped).toContain("== 1. Posture:");
    expect(piped).not.toContain("\u001b");
    expect(demo({ FORCE_COLOR: "1" })).toContain("\u001b[1m== 1. Posture:");
    expect(demo({ FORCE_COLOR: "1", NO_COLOR: "1" })).not.toContain("\u001b");
  });
});
