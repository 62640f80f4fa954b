import { spawnSync } from "node:child_process";
import { join } from "node:path";

/**
 * A real helm for the chart tests (issue 17): Debian's package when installed, else helm built from its Go module
 * by scripts/helm-path.sh into ~/.cache/palisade-test (scripts/test.sh builds it before the suite).
 */

export const ROOT = join(import.meta.dirname, "..", "..");
export const CHART = join(ROOT, "deploy", "helm", "palisade");
export const RENDERED = join(ROOT, "deploy", "manifests", "palisade.yaml");
/** The release name and namespace the committed manifests are rendered with (docs/deploy.md says the same). */
export const RELEASE = "palisade";
export const NAMESPACE = "palisade-system";
const SCRIPT = join(ROOT, "scripts", "helm-path.sh");

/** Where helm is, or why it is not there (the build script's own message). */
export function helmBinary(): { path: string } | { error: string } {
  const r = spawnSync(SCRIPT, ["--print"], { encoding: "utf8" });
  if (r.status === 0) return { path: r.stdout.trim() };
  return { error: (r.stderr || r.stdout || `${SCRIPT} --print failed`).trim() };
}

/**
 * Whether the helm tests run: with helm, yes; without it under CI=1, yes too (and they fail with the build
 * script's error); otherwise they are skipped with the reason printed.
 */
export function helmTestsEnabled(): boolean {
  const b = helmBinary();
  if ("path" in b || process.env.CI) return true;
  console.warn(`skipping helm tests: ${b.error}`);
  return false;
}

export interface HelmRun {
  status: number;
  stdout: string;
  stderr: string;
}

/** Run helm with a throwaway HOME-free configuration (no repositories, no plugins, no cache of the user's). */
export function helm(args: string[], cacheDir: string): HelmRun {
  const b = helmBinary();
  if ("error" in b) throw new Error(b.error);
  const r = spawnSync(b.path, args, {
    encoding: "utf8",
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HELM_CACHE_HOME: join(cacheDir, "cache"),
      HELM_CONFIG_HOME: join(cacheDir, "config"),
      HELM_DATA_HOME: join(cacheDir, "data"),
    },
    maxBuffer: 64 * 1024 * 1024,
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** `helm template` of the chart as the committed manifests are rendered, with extra arguments (values files). */
export function templateArgs(extra: string[] = []): string[] {
  return ["template", RELEASE, CHART, "--namespace", NAMESPACE, ...extra];
}
