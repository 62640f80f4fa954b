import type { RunnerTask, RunnerTestFile } from "vitest";
import type { Reporter } from "vitest/reporters";

/** Full name of a task: `file > describe > test` (the file is the outermost suite). */
function fullName(task: RunnerTask): string {
  const names: string[] = [];
  for (let t: RunnerTask | undefined = task; t !== undefined; t = t.suite) names.unshift(t.name);
  if (task.file && names[0] !== task.file.name) names.unshift(task.file.name);
  return names.join(" > ");
}

function collectSkips(tasks: readonly RunnerTask[], out: RunnerTask[]): void {
  for (const t of tasks) {
    if (t.type === "suite") {
      // A skipped describe: report it once, with its own name (which states the reason), not each test in it.
      if (t.mode === "skip" || t.result?.state === "skip") out.push(t);
      else collectSkips(t.tasks, out);
    } else if (t.mode === "skip" || t.mode === "todo" || t.result?.state === "skip") out.push(t);
  }
}

/**
 * Lists every skipped test or suite at the end of the run, with its full name (each skip's name states its
 * reason: the tool or service it needs). With CI set, a skip fails the run: CI installs and starts everything the
 * tests need (.ci/run, scripts/test.sh), so a skip there means a missing tool, never a pass.
 */
export default class SkipReporter implements Reporter {
  onFinished(files: RunnerTestFile[] = []): void {
    const skips: RunnerTask[] = [];
    collectSkips(files, skips);
    if (skips.length === 0) return;
    const lines = skips.map((t) => `  - ${fullName(t)}`).sort();
    process.stdout.write(`\nSkipped (${skips.length}), each naming what it needs:\n${lines.join("\n")}\n`);
    if (process.env.CI) {
      process.stdout.write("CI is set: a skipped test means a missing tool or service; failing the run.\n");
      process.exitCode = 1;
    }
  }
}
