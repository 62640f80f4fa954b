import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * Run the real CLI (from source, through tsx) in a child process under GNU time, for hostile-input tests: exit
 * code, output, the child's peak RSS and wall time. Limits passed here are generous ceilings (a test asserts a
 * bounded run, not a fast one): the child is killed at `killAfterMs` so a hang fails the test instead of the suite.
 */
export interface HostileRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Peak resident set size of the CLI process, in MiB (GNU time's %M). */
  maxRssMiB: number;
  wallMs: number;
  killed: boolean;
}

const ROOT = join(import.meta.dirname, "..", "..");
const CLI = join(ROOT, "src", "apps", "cli", "main.ts");

export async function runHostile(
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; stdin?: string | Buffer; killAfterMs?: number } = {},
): Promise<HostileRun> {
  const dir = mkdtempSync(join(tmpdir(), "palisade-hostile-"));
  const timeFile = join(dir, "time");
  const started = process.hrtime.bigint();
  const child = spawn(
    "/usr/bin/time",
    ["-f", "%M", "-o", timeFile, process.execPath, "--import", "tsx", CLI, ...args],
    {
      cwd: opts.cwd ?? ROOT,
      // XDG_DATA_HOME under the run's own directory: a command that falls back to the default database never
      // touches the real home directory.
      env: { ...process.env, NO_COLOR: "1", XDG_DATA_HOME: join(dir, "data"), ...opts.env },
      stdio: ["pipe", "pipe", "pipe"],
      // Its own process group, so a kill reaches the CLI and not only GNU time (an orphaned CLI would keep
      // running, hold the pipes open and keep the test waiting).
      detached: true,
    },
  );
  let stdout = "";
  let stderr = "";
  // Keep at most 1 MiB of each stream: hostile runs may print a lot, and the test only reads the start.
  child.stdout.on("data", (c: Buffer) => {
    if (stdout.length < 1 << 20) stdout += c.toString();
  });
  child.stderr.on("data", (c: Buffer) => {
    if (stderr.length < 1 << 20) stderr += c.toString();
  });
  child.stdin.on("error", () => undefined);
  if (opts.stdin !== undefined) child.stdin.end(opts.stdin);
  else child.stdin.end();
  let killed = false;
  const timer = setTimeout(() => {
    killed = true;
    try {
      if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
    } catch {
      child.kill("SIGKILL");
    }
  }, opts.killAfterMs ?? 120_000);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.on("close", (c, s) => resolve([c, s])),
  );
  clearTimeout(timer);
  const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
  let maxRssMiB = Number.NaN;
  try {
    const lines = readFileSync(timeFile, "utf8").trim().split("\n");
    maxRssMiB = Number(lines[lines.length - 1]) / 1024;
  } catch {
    // killed before time wrote its report
  }
  rmSync(dir, { recursive: true, force: true });
  return { code, signal, stdout, stderr, maxRssMiB, wallMs, killed };
}
