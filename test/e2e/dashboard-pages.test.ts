/**
 * The dashboard's fleet pages end to end on `palisade serve --demo` (the built CLI and dashboard): the risk queue,
 * workloads, images, the audit log, and exceptions made from a finding. Debian's chromium through playwright-core;
 * waits are for elements, never for time. Team scoping is checked in the browser: a team viewer never sees another
 * team's rows, and asking for them in the URL is refused and said so.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  assertBuilt,
  CHROMIUM,
  type Demo,
  HAS_CHROMIUM,
  launchChromium,
  newPage,
  signIn,
  startDemo,
} from "./harness.js";

/** An attribute of every row of a table body. */
async function rowsAttr(page: Page, table: string, attr: string): Promise<(string | null)[]> {
  return page.locator(`${table} tbody tr`).evaluateAll((trs, a) => trs.map((tr) => tr.getAttribute(a)), attr);
}

describe.skipIf(!HAS_CHROMIUM)(
  `dashboard fleet pages on the demo in chromium (needs ${CHROMIUM}: apt-get install chromium)`,
  { timeout: 180_000 },
  () => {
    let demo: Demo;
    let browser: Browser;
    beforeAll(async () => {
      assertBuilt();
      demo = await startDemo();
      browser = await launchChromium();
    });
    afterAll(async () => {
      await browser?.close();
      await demo?.stop();
    });

    it("risk: the ranked queue with the reasons of each entry, filtered by team through the URL", async () => {
      const page = await newPage(browser);
      await signIn(page, demo.url, demo.tokens.admin, "/risk");
      await page.locator("table.risk tbody tr").first().waitFor();
      // checkout: a critical and a high, exposed (doubled), ranks above search: a critical only.
      expect(await rowsAttr(page, "table.risk", "data-workload")).toEqual([
        "checkout/checkout",
        "search/search",
      ]);
      const first = page.locator("table.risk tbody tr").first();
      expect(await first.locator("ul.reasons li").allTextContents()).toEqual([
        "vulnerabilities: 1 critical, 1 high, 1 low",
        "exposed outside the cluster",
      ]);
      expect(await first.locator("td").first().textContent()).toBe("1");
      // Column headers name every column (screen readers read them per cell).
      expect(await page.locator("table.risk thead th").allTextContents()).toEqual([
        "Rank",
        "Score",
        "Workload",
        "Team",
        "Cluster",
        "Why",
        "Vulnerabilities",
        "Links",
      ]);

      await page.getByLabel("Team").fill("team-b");
      await page.getByLabel("Team").press("Enter");
      await page.waitForURL(/\/risk\?team=team-b$/);
      await page
        .locator('table.risk tbody tr[data-workload="checkout/checkout"]')
        .waitFor({ state: "detached" });
      expect(await rowsAttr(page, "table.risk", "data-workload")).toEqual(["search/search"]);

      // An entry links to its workload's findings.
      await page.getByRole("link", { name: "Findings of Deployment search" }).click();
      await page.waitForURL(/\/findings\?cluster=demo&namespace=search&q=Deployment%2Fsearch$/);
      await page.locator("table.findings tbody tr").first().waitFor();
      const resources = await page
        .locator("table.findings tbody tr")
        .evaluateAll((trs) => trs.map((tr) => tr.querySelectorAll("td")[2]?.textContent ?? ""));
      expect(resources.length).toBeGreaterThan(0);
      expect(resources.every((r) => r.startsWith("search/"))).toBe(true);
      await page.close();
    });

    it("risk: a team viewer sees its own team's entries only, and another team's is refused", async () => {
      const page = await newPage(browser);
      await signIn(page, demo.url, demo.tokens.teamA, "/risk");
      await page.locator("table.risk tbody tr").first().waitFor();
      expect(await rowsAttr(page, "table.risk", "data-team")).toEqual(["team-a"]);
      await page.goto(`${demo.url}/risk?team=team-b`);
      await expect(page.getByRole("alert").textContent()).resolves.toContain("may not read");
      expect(await page.locator("table.risk").count()).toBe(0);
      await page.close();
    });
  },
);
