import { describe, expect, it } from "vitest";
import { runCli } from "../../../../test/support/cli.js";
import { POSTURE_RULES } from "../../../core/posture/index.js";

const SECRETS_DIR = "src/apps/cli/commands/__fixtures__/secrets";

const cli = (argv: string[]) => runCli(argv, { now: new Date(0) });

describe("palisade rules", () => {
  it("explains one rule as JSON", async () => {
    const r = await cli(["rules", "pal-pod-007", "-o", "json"]);
    expect(r).toEqual({
      code: 0,
      stderr: "",
      stdout: `${JSON.stringify(
        POSTURE_RULES.find((x) => x.id === "PAL-POD-007"),
        null,
        2,
      )}\n`,
    });
  });

  it("lists every posture rule in the table and filters by framework", async () => {
    const all = await cli(["rules"]);
    expect(all.code).toBe(0);
    for (const rule of POSTURE_RULES) expect(all.stdout).toContain(rule.id);
    const pss = await cli(["rules", "--framework", "pss", "-o", "json"]);
    const ids = (JSON.parse(pss.stdout) as { id: string; compliance: { framework: string }[] }[]).map(
      (x) => x.id,
    );
    expect(ids).toContain("PAL-POD-001");
    expect(ids).not.toContain("PAL-IMG-001");
  });

  it("unknown rule, format or framework is a usage error (exit 2)", async () => {
    expect((await cli(["rules", "PAL-NOPE-1"])).code).toBe(2);
    expect((await cli(["rules", "-o", "xml"])).code).toBe(2);
    expect(await cli(["rules", "--framework", "iso"])).toEqual({
      code: 2,
      stdout: "",
      stderr:
        "palisade: option '--framework <name>' argument 'iso' is invalid. Allowed choices are nsa, cis, pss.\n",
    });
  });
});

describe("palisade secrets", () => {
  it("reports redacted credentials with file and line, skips binaries, exits 1", async () => {
    const r = await cli(["secrets", SECRETS_DIR, "-o", "json"]);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual({
      matches: [
        {
          file: `${SECRETS_DIR}/app.env`,
          line: 3,
          kind: "password-like-key",
          redacted: "****(redacted, 14 chars)",
        },
        {
          file: `${SECRETS_DIR}/nested/credentials`,
          line: 1,
          kind: "aws-access-key-id",
          redacted: "AKIA****(redacted, 20 chars)",
        },
      ],
      coverage: [
        { reason: "binary", message: "binary file not scanned", subject: `${SECRETS_DIR}/logo.gif` },
      ],
      filesScanned: 4,
    });
    expect(r.stdout).not.toContain("pr0d-passw0rd!");
    expect(r.stdout).not.toContain("AKIAIOSFODNN7EXAMPLE");
  });

  it("exits 0 on clean files, 2 on a missing path", async () => {
    expect((await cli(["secrets", `${SECRETS_DIR}/nested/readme.txt`])).code).toBe(0);
    expect((await cli(["secrets", `${SECRETS_DIR}/missing.txt`])).code).toBe(2);
  });

  it("honours the file budget with a coverage entry", async () => {
    const r = await cli(["secrets", SECRETS_DIR, "--max-files", "1", "-o", "json"]);
    const body = JSON.parse(r.stdout) as { filesScanned: number; coverage: { reason: string }[] };
    expect(body.filesScanned).toBe(1);
    expect(body.coverage.map((c) => c.reason)).toEqual(["limit"]);
  });
});
