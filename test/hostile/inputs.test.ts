import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runHostile } from "./harness.js";

/**
 * Issue 9 item 5: non-regular files named on the command line. A FIFO nobody writes to blocks a plain read
 * forever, and /dev/zero never ends: every user-named input except stdin must refuse them, with a clear message,
 * within a bounded time and memory.
 */
let dir: string;
let fifo: string;
const OK = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ok\n";

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "palisade-hostile-inputs-"));
  fifo = join(dir, "input.yaml");
  execFileSync("mkfifo", [fifo]);
  writeFileSync(join(dir, "ok.yaml"), OK);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const bounded = (r: Awaited<ReturnType<typeof runHostile>>) => {
  expect(r.killed).toBe(false);
  expect(r.code).not.toBeNull();
  expect(r.code as number).toBeLessThanOrEqual(2);
  expect(r.maxRssMiB).toBeLessThan(600);
};

/** Coverage entries of a `-o json` report. */
const coverageOf = (stdout: string) => {
  if (!stdout.startsWith("{")) throw new Error(`not a JSON report: ${stdout.slice(0, 500)}`);
  return (JSON.parse(stdout) as { coverage: { reason: string; message: string; subject?: string }[] })
    .coverage;
};

describe("non-regular files named on the command line are refused, never read", () => {
  it("scan PATH (a FIFO): coverage says unsafe and names the file; the other file loads", async () => {
    const r = await runHostile(["scan", fifo, join(dir, "ok.yaml"), "-o", "json"], {
      killAfterMs: 30_000,
    });
    bounded(r);
    expect(coverageOf(r.stdout)).toContainEqual({
      reason: "unsafe",
      message: `${fifo}: manifest is a FIFO; only regular files are read (use - for stdin); skipped`,
      subject: fifo,
    });
  });

  it("scan --snapshot (a FIFO, /dev/zero)", async () => {
    const r = await runHostile(["scan", "--snapshot", fifo, "--snapshot", "/dev/zero", "-o", "json"], {
      killAfterMs: 30_000,
    });
    bounded(r);
    // Coverage is sorted by subject.
    expect(coverageOf(r.stdout).filter((c) => c.reason === "unsafe")).toEqual([
      {
        reason: "unsafe",
        message: "/dev/zero: snapshot is a device; only regular files are read (use - for stdin); skipped",
        subject: "/dev/zero",
      },
      {
        reason: "unsafe",
        message: `${fifo}: snapshot is a FIFO; only regular files are read (use - for stdin); skipped`,
        subject: fifo,
      },
    ]);
  });

  it("pss -f (a FIFO)", async () => {
    const r = await runHostile(["pss", "-f", fifo, "-f", join(dir, "ok.yaml")], {
      killAfterMs: 30_000,
    });
    bounded(r);
    expect(r.stdout + r.stderr).toContain(`${fifo}: manifest is a FIFO`);
  });

  for (const [flag, what] of [
    ["--owners", "ownership file"],
    ["--exceptions", "configuration file"],
    ["--kubeconfig", "kubeconfig"],
  ] as const) {
    it(`scan ${flag} (a FIFO, /dev/zero): exit 2 naming the file`, async () => {
      for (const target of [fifo, "/dev/zero"]) {
        const args =
          flag === "--kubeconfig" ? ["scan", flag, target] : ["scan", join(dir, "ok.yaml"), flag, target];
        const r = await runHostile(args, { killAfterMs: 30_000 });
        bounded(r);
        expect(r.code).toBe(2);
        expect(r.stderr).toContain(`${what} is ${target === "/dev/zero" ? "a device" : "a FIFO"}`);
        expect(r.stderr).toContain(target);
      }
    });
  }

  it("scan DIR with a symlink to / (issue 9 item 7): the link is not followed, coverage says so", async () => {
    const tree = join(dir, "tree");
    mkdirSync(tree);
    writeFileSync(join(tree, "ok.yaml"), OK);
    symlinkSync("/", join(tree, "everything"));
    const r = await runHostile(["scan", tree, "-o", "json"], { killAfterMs: 30_000 });
    bounded(r);
    expect(coverageOf(r.stdout)).toContainEqual({
      reason: "not-evaluated",
      message: `${join(tree, "everything")}: symlink to a directory outside ${tree} (/); not followed`,
      subject: join(tree, "everything"),
    });
    expect((JSON.parse(r.stdout) as { inventory: { objects: number } }).inventory.objects).toBe(1);
  });

  it("caps are configurable by flag and environment; a cap hit is a limit coverage entry, a bad value a usage error", async () => {
    const two = join(dir, "two.yaml");
    writeFileSync(two, `${OK}---\n${OK.replace("ok", "ok2")}`);
    const byFlag = await runHostile(["scan", two, "--max-objects", "1", "-o", "json"], {
      killAfterMs: 30_000,
    });
    bounded(byFlag);
    expect(coverageOf(byFlag.stdout).filter((c) => c.reason === "limit")).toEqual([
      {
        reason: "limit",
        message: `more than 1 objects in all inputs (the limit: --max-objects, PALISADE_MAX_OBJECTS); objects from ${two} on were not read`,
        subject: two,
      },
    ]);
    const byEnv = await runHostile(["scan", two, "-o", "json"], {
      killAfterMs: 30_000,
      env: { PALISADE_MAX_FILE_BYTES: "10" },
    });
    bounded(byEnv);
    expect(coverageOf(byEnv.stdout).map((c) => c.reason)).toContain("limit");
    const bad = await runHostile(["scan", two, "--max-objects", "lots"], { killAfterMs: 30_000 });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--max-objects: "lots" is not a positive number');
  });
});
