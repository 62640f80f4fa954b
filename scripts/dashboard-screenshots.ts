/**
 * Regenerate the dashboard screenshots in docs/dashboard/ from the bundled demo: a real `palisade serve` of the
 * built CLI and dashboard (run `npm run build` first) and Debian's chromium.
 *
 *   npx tsx scripts/dashboard-screenshots.ts [--out DIR]
 */
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { launchChromium, newPage, ROOT, signIn, startDemo } from "../test/e2e/harness.js";

const outFlag = process.argv.indexOf("--out");
const OUT = outFlag === -1 ? join(ROOT, "docs", "dashboard") : resolve(process.argv[outFlag + 1] ?? "");
mkdirSync(OUT, { recursive: true });

/** Each page: its file name, its URL, and the element that shows it has loaded (its data, or its error). */
const PAGES: [name: string, path: string, ready: string][] = [
  ["overview", "/", "table.teams, .state.error"],
  ["findings", "/findings?severity=medium&team=team-a", "table.findings, .state.error"],
  ["vulnerability", "/vulnerabilities/CVE-2099-0001", "ul.tree, .state.error"],
  ["remediation", "/remediations", ".board, .state.error"],
  ["rbac-paths", "/rbac", ".graph canvas, .state.error"],
  ["network", "/netpol", ".graph canvas, .state.error"],
  ["exceptions", "/exceptions", "main table, .state.error"],
];

const demo = await startDemo();
const browser = await launchChromium();
try {
  const page = await newPage(browser);
  await page.goto(`${demo.url}/login`);
  await page.locator("#token").waitFor();
  await page.screenshot({ path: join(OUT, "sign-in.png") });
  await signIn(page, demo.url, demo.tokens.admin);
  for (const [name, path, ready] of PAGES) {
    await page.goto(`${demo.url}${path}`);
    await page.locator(ready).first().waitFor();
    // Graph layouts settle in the next frames: wait for two animation frames, not for a time.
    await page.evaluate("new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))");
    await page.screenshot({ path: join(OUT, `${name}.png`), fullPage: true });
    process.stdout.write(`${join(OUT, `${name}.png`)}\n`);
  }
  // The first finding's detail view, with its evidence.
  await page.goto(`${demo.url}/findings?severity=medium`);
  await page.locator("table.findings tbody tr a").first().click();
  await page.getByRole("heading", { name: "How to fix" }).waitFor();
  await page.screenshot({ path: join(OUT, "finding.png"), fullPage: true });
  process.stdout.write(`${join(OUT, "finding.png")}\n`);
} finally {
  await browser.close();
  await demo.stop();
  demo.cleanup();
}
