/**
 * A real `palisade serve` (the built CLI, dist/cli/palisade.js, serving the built dashboard, dist/web) and Debian's
 * chromium driven by playwright-core, for the dashboard's browser tests and the screenshot and paint-time scripts.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";

export const ROOT = join(import.meta.dirname, "..", "..");
export const CLI = join(ROOT, "dist", "cli", "palisade.js");
export const DEMO = join(ROOT, "examples", "demo");

/** The chromium to drive: PALISADE_CHROMIUM, else Debian's. */
export const CHROMIUM = process.env.PALISADE_CHROMIUM || "/usr/bin/chromium";
export const HAS_CHROMIUM = existsSync(CHROMIUM);

/** The newest source file under `dir` (recursively) that a build reads: its path and modification time. */
export function newestSource(dir: string): { path: string; mtimeMs: number } | undefined {
  let newest: { path: string; mtimeMs: number } | undefined;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!e.isFile() || !/\.(ts|tsx|css|html|json)$/.test(e.name) || /\.test\.tsx?$/.test(e.name)) continue;
    if (e.parentPath.includes("__fixtures__")) continue;
    const path = join(e.parentPath, e.name);
    const { mtimeMs } = statSync(path);
    if (newest === undefined || mtimeMs > newest.mtimeMs) newest = { path, mtimeMs };
  }
  return newest;
}

/**
 * The build the server serves must exist and be newer than the sources it is built from: say how to make it rather
 * than test a stale or missing one (a dist/ left from before a change fails a browser test for the wrong reason).
 */
export function assertBuilt(): void {
  const built = [CLI, join(ROOT, "dist", "web", "index.html")];
  for (const f of built)
    if (!existsSync(f)) throw new Error(`${f} is missing: run \`npm run build\` first (npm ci runs it)`);
  let builtAt = Number.POSITIVE_INFINITY;
  for (const f of built) builtAt = Math.min(builtAt, statSync(f).mtimeMs);
  for (const dir of [join(ROOT, "src"), join(ROOT, "web")]) {
    const newest = newestSource(dir);
    if (newest !== undefined && newest.mtimeMs > builtAt)
      throw new Error(
        `dist/ is older than ${newest.path} (changed after the last build): run \`npm run build\` first`,
      );
  }
}

export interface Palisade {
  url: string;
  /** Every line the server wrote to stderr so far. */
  stderr: string[];
  stop(): Promise<void>;
}

/** Start `palisade serve ARGS` on a free loopback port; resolves with its URL once it listens. */
export async function startServe(args: string[], env: Record<string, string> = {}): Promise<Palisade> {
  const child: ChildProcess = spawn(process.execPath, [CLI, "serve", "--listen", "127.0.0.1:0", ...args], {
    cwd: ROOT,
    env: { ...process.env, PALISADE_LOG_LEVEL: "warn", NO_COLOR: "1", ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  const stderr: string[] = [];
  let buf = "";
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr?.setEncoding("utf8");
    child.stderr?.on("data", (chunk: string) => {
      buf += chunk;
      const lines = buf.split("\n");
      buf = lines.pop() ?? "";
      for (const line of lines) {
        stderr.push(line);
        const m = /^palisade: serving on (\S+)/.exec(line);
        if (m?.[1] !== undefined) resolve(m[1]);
      }
    });
    child.on("exit", (code) =>
      reject(new Error(`palisade serve exited (${code}):\n${stderr.join("\n")}${buf}`)),
    );
    child.on("error", reject);
  });
  return {
    url,
    stderr,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

/** Run the CLI once (e.g. `token create`); its stdout. */
export async function runCli(args: string[], env: Record<string, string> = {}): Promise<string> {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: "1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (err += d));
  const code = await new Promise<number | null>((r) => child.on("exit", r));
  if (code !== 0) throw new Error(`palisade ${args.join(" ")} exited ${code}: ${err}`);
  return out;
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
}

/** A new page whose waits are generous: the machine may be busy, and nothing here measures speed. */
export async function newPage(browser: Browser): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.setDefaultTimeout(45_000);
  page.setDefaultNavigationTimeout(45_000);
  return page;
}

/** Sign in through the login form; resolves when the signed-in shell shows. */
export async function signIn(page: Page, base: string, token: string, path = "/"): Promise<void> {
  await page.goto(`${base}${path}`);
  await page.locator("#token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.locator("header.top").waitFor();
}

/** The demo served: its URL, a token per role, and how to push the second ("after") snapshot. */
export interface Demo extends Palisade {
  tokens: { admin: string; security: string; teamA: string; teamB: string };
  /** Push examples/demo/snapshots/after.json (the fixed digests rolled out) as cluster `demo`. */
  pushAfter(): Promise<void>;
  /** Push a snapshot (the JSON of `kubectl get -o json`) as `cluster`, with the admin token; throws unless 200. */
  pushSnapshot(cluster: string, body: string | Buffer): Promise<void>;
}

async function push(url: string, token: string, cluster: string, body: string | Buffer): Promise<void> {
  const res = await fetch(`${url}/api/v1/clusters/${cluster}/snapshots`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body,
  });
  if (res.status !== 200)
    throw new Error(`pushing cluster ${cluster}: HTTP ${res.status} ${await res.text()}`);
}

/** `palisade serve --demo`, with the tokens it prints (one per role). */
export async function startDemo(): Promise<Demo> {
  const s = await startServe(["--demo"]);
  const token = (who: string) => {
    const prefix = `palisade: demo token ${who}: `;
    const line = s.stderr.find((l) => l.startsWith(prefix));
    if (line === undefined)
      throw new Error(`palisade serve --demo printed no ${who} token:\n${s.stderr.join("\n")}`);
    return line.slice(prefix.length).trim();
  };
  const tokens = {
    admin: token("admin"),
    security: token("security"),
    teamA: token("team-viewer team-a"),
    teamB: token("team-viewer team-b"),
  };
  return {
    ...s,
    tokens,
    pushAfter: () => push(s.url, tokens.admin, "demo", readFileSync(join(DEMO, "snapshots", "after.json"))),
    pushSnapshot: (cluster, body) => push(s.url, tokens.admin, cluster, body),
  };
}
