/**
 * The vulnerability response loop in the dashboard, on `palisade serve --demo`: the demo's critical CVE shows the
 * base image to fix, and its remediation record closes on the board once the second snapshot (the fixed digests
 * rolled out) is pushed. Debian's chromium through playwright-core; waits are for elements, never for time.
 */
import type { Browser } from "playwright-core";
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

const CVE = "CVE-2099-0001";

describe.skipIf(!HAS_CHROMIUM)(
  `dashboard on the demo in chromium (needs ${CHROMIUM}: apt-get install chromium)`,
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

    it("the critical CVE's page shows its impact, the base image to fix highlighted, and the upgrade", async () => {
      const page = await newPage(browser);
      await signIn(page, demo.url, demo.tokens.admin, "/vulnerabilities");
      await page.getByRole("link", { name: CVE }).click();
      await page.waitForURL(new RegExp(`/vulnerabilities/${CVE}$`));
      const summary = await page.getByTestId("impact-summary").textContent();
      expect(summary).toContain("team-a");
      expect(summary).toContain("team-b");
      const fix = page.locator('.tree-node[data-fix="true"]');
      await fix.first().waitFor();
      expect(await fix.count()).toBe(1);
      const fixText = await fix.textContent();
      expect(fixText).toContain("registry.example/company/base-runtime:1.4");
      expect(fixText).toContain("fix here");
      expect(await page.locator('.tree-node[data-affected="true"]').count()).toBeGreaterThan(0);
      const advice = await page.getByTestId("advice").textContent();
      expect(advice).toContain("base-runtime:1.5");
      await page.close();
    });

    it("the remediation board closes the CVE's record after the second snapshot is pushed", async () => {
      const page = await newPage(browser);
      await signIn(page, demo.url, demo.tokens.admin, "/remediations");
      const card = page.locator(`.card[data-record^="${CVE}"]`);
      await card.first().waitFor();
      expect(await card.first().getAttribute("data-state")).not.toBe("closed");
      await demo.pushAfter();
      await page.reload();
      await page.locator(`.column[data-state="closed"] .card[data-record^="${CVE}"]`).first().waitFor();
      const bar = page.locator(
        `.column[data-state="closed"] .card[data-record^="${CVE}"] [role="progressbar"]`,
      );
      expect(await bar.first().getAttribute("aria-valuenow")).toBe(
        await bar.first().getAttribute("aria-valuemax"),
      );
      await page.close();
    });

    it("an exception created through the API is listed with its scope, owner and expiry", async () => {
      const res = await fetch(`${demo.url}/api/v1/exceptions`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${demo.tokens.admin}` },
        body: JSON.stringify({
          rules: ["PAL-POD-016"],
          namespaces: ["checkout"],
          reason: "Reviewed with the checkout team",
          owner: "team-a",
          expires: "2999-12-31",
        }),
      });
      expect(res.status, await res.clone().text()).toBe(201);
      const { id } = (await res.json()) as { id: string };
      const page = await newPage(browser);
      await signIn(page, demo.url, demo.tokens.admin, "/exceptions");
      const row = page.locator(`tr[data-exception="${id}"]`);
      await row.waitFor();
      const text = await row.textContent();
      expect(text).toContain("PAL-POD-016");
      expect(text).toContain("checkout");
      expect(text).toContain("team-a");
      expect(text).toContain("2999-12-31");
      await page.close();
    });

    it("the NetworkPolicy graph draws, and no page raises a script error or breaks a Content-Security-Policy", async () => {
      const page = await newPage(browser);
      const problems: string[] = [];
      page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
      page.on("console", (m) => {
        if (m.type() === "error" && /Content Security Policy|Refused to/.test(m.text()))
          problems.push(m.text());
      });
      await signIn(page, demo.url, demo.tokens.admin, "/netpol");
      await page.locator(".graph canvas").first().waitFor();
      expect(await page.locator("main").textContent()).toContain("allowed workload pairs");
      await page.goto(`${demo.url}/rbac`);
      await page.locator("main h1 + *").first().waitFor();
      expect(problems).toEqual([]);
      await page.close();
    });

    it("a team viewer's overview holds its own team only", async () => {
      const page = await newPage(browser);
      await signIn(page, demo.url, demo.tokens.teamB, "/");
      await page.locator("table.teams tbody tr").first().waitFor();
      const teams = await page
        .locator("table.teams tbody tr")
        .evaluateAll((rows) => rows.map((r) => r.getAttribute("data-team")));
      expect(teams).toEqual(["team-b"]);
      await page.close();
    });
  },
);
