/**
 * Dashboard first meaningful paint on the demo from a warm server, measured in Debian's chromium (playwright-core).
 * The server (`palisade serve --demo`, built CLI and dashboard: `npm run build` first) is warmed by one full load;
 * then each run opens a fresh browser context (empty cache: a first visit) with the token already in the tab's
 * sessionStorage and navigates to `/`. Measured inside the page, from navigation start:
 *  - first contentful paint (Chrome's `first-contentful-paint` entry), and
 *  - first meaningful paint: the frame after the per-team overview table (the page's data) is in the document
 *    (requestAnimationFrame after the MutationObserver sees it).
 * Same-run references: a navigation to a static page of the same server (the dashboard's favicon, no script) and
 * `node -e 0`, and JSON.parse of the overview's own API answer.
 *
 *   npx tsx bench/dashboard-paint.ts [--runs N]
 */
import { spawnSync } from "node:child_process";
import { cpus, loadavg } from "node:os";
import { launchChromium, startDemo } from "../test/e2e/harness.js";

const runsFlag = process.argv.indexOf("--runs");
const RUNS = runsFlag === -1 ? 15 : Number(process.argv[runsFlag + 1]);

const INIT = (token: string) => `
  sessionStorage.setItem("palisade.token", ${JSON.stringify(token)});
  window.__fmp = undefined;
  new MutationObserver((_, obs) => {
    if (document.querySelector("table.teams tbody tr")) {
      obs.disconnect();
      requestAnimationFrame(() => { window.__fmp = performance.now(); });
    }
  }).observe(document, { childList: true, subtree: true });
`;

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? Number.NaN;
};
const fmt = (xs: number[]) =>
  `median ${quantile(xs, 0.5).toFixed(0)} ms, p90 ${quantile(xs, 0.9).toFixed(0)} ms, max ${Math.max(...xs).toFixed(0)} ms`;

const demo = await startDemo();
const browser = await launchChromium();
try {
  // Warm the server: one full load (stores, findings query, static files in memory).
  const warm = await browser.newContext();
  await warm.addInitScript(INIT(demo.tokens.admin));
  const wp = await warm.newPage();
  await wp.goto(`${demo.url}/`);
  await wp.waitForFunction("window.__fmp !== undefined", undefined, { timeout: 60_000 });
  await warm.close();

  const fmp: number[] = [];
  const fcp: number[] = [];
  const staticNav: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const ctx = await browser.newContext();
    await ctx.addInitScript(INIT(demo.tokens.admin));
    const page = await ctx.newPage();
    await page.goto(`${demo.url}/`);
    await page.waitForFunction("window.__fmp !== undefined", undefined, { timeout: 60_000 });
    fmp.push((await page.evaluate("window.__fmp")) as number);
    fcp.push(
      (await page.evaluate(
        "performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN",
      )) as number,
    );
    await page.goto(`${demo.url}/favicon.svg`);
    staticNav.push(
      (await page.evaluate("performance.getEntriesByType('navigation')[0].responseEnd")) as number,
    );
    await ctx.close();
  }

  const t0 = process.hrtime.bigint();
  spawnSync(process.execPath, ["-e", "0"]);
  const nodeMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const res = await fetch(`${demo.url}/api/v1/findings?limit=1000`, {
    headers: { authorization: `Bearer ${demo.tokens.admin}` },
  });
  const text = await res.text();
  const p0 = process.hrtime.bigint();
  JSON.parse(text);
  const parseMs = Number(process.hrtime.bigint() - p0) / 1e6;

  const version = spawnSync("/usr/bin/chromium", ["--version"], { encoding: "utf8" }).stdout.trim();
  process.stdout.write(
    [
      `dashboard first meaningful paint (overview table, demo, warm server, fresh browser cache), ${RUNS} runs:`,
      `  first meaningful paint: ${fmt(fmp)}`,
      `  first contentful paint: ${fmt(fcp)}`,
      `  reference, same run: static file navigation ${fmt(staticNav)}; node -e 0 ${nodeMs.toFixed(0)} ms;` +
        ` JSON.parse of the overview's findings (${(text.length / 1024).toFixed(0)} KiB) ${parseMs.toFixed(2)} ms`,
      `  ${version}; ${cpus().length} cores (${cpus()[0]?.model ?? "?"}); load ${loadavg()
        .map((l) => l.toFixed(2))
        .join(" ")}`,
    ].join("\n") + "\n",
  );
} finally {
  await browser.close();
  await demo.stop();
}
