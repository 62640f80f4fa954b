/**
 * A vulnerability page whose affected workloads span several pages of the API: the demo, plus a cluster `wide` of
 * 260 Deployments running the demo's vulnerable checkout digest (half team-a, half team-b). The summary stays whole
 * while the workloads table moves page by page through the URL; a team viewer's pages hold its team only. Debian's
 * chromium through playwright-core against `palisade serve --demo`; waits are for elements, never for time.
 */
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { wideImpactSnapshot } from "../support/wide-impact.js";
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

const CVE = "CVE-2099-0001";
const WIDE = 260;

describe.skipIf(!HAS_CHROMIUM)(
  `the vulnerability page pages its workloads, in chromium (needs ${CHROMIUM}: apt-get install chromium)`,
  { timeout: 180_000 },
  () => {
    let demo: Demo;
    let browser: Browser;
    beforeAll(async () => {
      assertBuilt();
      demo = await startDemo();
      await demo.pushSnapshot("wide", wideImpactSnapshot(WIDE));
      browser = await launchChromium();
    });
    afterAll(async () => {
      await browser?.close();
      await demo?.stop();
    });

    const rows = (page: Page) => page.getByRole("table", { name: "Affected workloads" }).locator("tbody tr");
    const names = (page: Page) =>
      rows(page).evaluateAll((rs) => rs.map((r) => r.querySelector("td")?.textContent ?? ""));
    const teams = (page: Page) =>
      rows(page).evaluateAll((rs) => rs.map((r) => r.querySelectorAll("td")[1]?.textContent ?? ""));
    const position = (page: Page, text: string) =>
      page.getByTestId("impact-workloads-page").filter({ hasText: text }).waitFor();

    it("an admin moves through the workloads page by page; the summary counts them all on every page", async () => {
      const page = await newPage(browser);
      await signIn(page, demo.url, demo.tokens.admin, `/vulnerabilities/${CVE}?cluster=wide`);
      await position(page, `Workloads 1–100 of ${WIDE}`);
      const summary = await page.getByTestId("impact-summary").textContent();
      expect(summary).toContain(`${WIDE} workloads`);
      expect(await rows(page).count()).toBe(100);
      const first = await names(page);
      expect(first[0]).toBe("wide: wide-a/Deployment/svc-0000");

      await page.getByRole("button", { name: "Next page" }).click();
      await page.waitForURL(/\/vulnerabilities\/CVE-2099-0001\?cluster=wide&after=100$/);
      await position(page, `Workloads 101–200 of ${WIDE}`);
      const second = await names(page);
      expect(second).toHaveLength(100);
      expect(second.filter((n) => first.includes(n))).toEqual([]);
      expect(await page.getByTestId("impact-summary").textContent()).toBe(summary);
      // The tree still marks where to fix: it is read from the summary, not from the page.
      expect(await page.locator('.tree-node[data-fix="true"]').count()).toBe(1);

      await page.getByRole("button", { name: "Next page" }).click();
      await position(page, `Workloads 201–${WIDE} of ${WIDE}`);
      const third = await names(page);
      expect(third).toHaveLength(WIDE - 200);
      expect(new Set([...first, ...second, ...third]).size).toBe(WIDE);
      expect(await page.getByRole("button", { name: "Next page" }).count()).toBe(0);

      await page.getByRole("button", { name: "First page" }).click();
      await page.waitForURL(/\/vulnerabilities\/CVE-2099-0001\?cluster=wide$/);
      await position(page, `Workloads 1–100 of ${WIDE}`);
      expect(await names(page)).toEqual(first);
      await page.close();
    });

    it("a team viewer's pages hold its own team's workloads only", async () => {
      const page = await newPage(browser);
      await signIn(page, demo.url, demo.tokens.teamA, `/vulnerabilities/${CVE}?cluster=wide`);
      await position(page, `Workloads 1–100 of ${WIDE / 2}`);
      const first = await teams(page);
      await page.getByRole("button", { name: "Next page" }).click();
      await position(page, `Workloads 101–${WIDE / 2} of ${WIDE / 2}`);
      const second = await teams(page);
      expect(first.length + second.length).toBe(WIDE / 2);
      expect(new Set([...first, ...second])).toEqual(new Set(["team-a"]));
      const main = await page.locator("main").textContent();
      expect(main).not.toContain("team-b");
      expect(main).not.toContain("wide-b");
      await page.close();
    });
  },
);
