/**
 * Several clusters in the dashboard, end to end on `palisade serve --demo` (the built CLI and dashboard) with the
 * demo's "before" snapshot pushed again as a second cluster, `staging` (the same namespaces and digests): the cluster
 * selector of the list pages (filled from the server, kept in the URL), the remediation board's rollout per cluster,
 * and a team viewer's selector. Debian's chromium through playwright-core; waits are for elements, never for time.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  assertBuilt,
  CHROMIUM,
  DEMO,
  type Demo,
  HAS_CHROMIUM,
  launchChromium,
  newPage,
  signIn,
  startDemo,
} from "./harness.js";

const CVE_KEY = "CVE-2099-0001|registry.example/company/base-runtime";

describe.skipIf(!HAS_CHROMIUM)(
  `dashboard with several clusters in chromium (needs ${CHROMIUM}: apt-get install chromium)`,
  { timeout: 180_000 },
  () => {
    let demo: Demo;
    let browser: Browser;
    beforeAll(async () => {
      assertBuilt();
      demo = await startDemo();
      await demo.pushSnapshot("staging", readFileSync(join(DEMO, "snapshots", "before.json")));
      await demo.pushAfter(); // cluster demo rolls the fixed digests out; staging does not
      browser = await launchChromium();
    });
    afterAll(async () => {
      await browser?.close();
      await demo?.stop();
    });

    it("remediation: one card per record with its rollout per cluster; the cluster selector narrows it through the URL", async () => {
      const page = await newPage(browser);
      await signIn(page, demo.url, demo.tokens.admin, "/remediations");
      const card = page.locator(`article.card[data-record="${CVE_KEY}"]`);
      await card.waitFor();
      expect(await page.locator(`article.card[data-record="${CVE_KEY}"]`).count()).toBe(1);
      expect(await card.locator("ul.rollouts li").allTextContents()).toEqual([
        "demo: 5 / 5",
        "staging: 0 / 5",
      ]);
      const select = page.locator(`select[name="cluster"]`);
      await page.locator('select[name="cluster"] option[value="staging"]').waitFor({ state: "attached" });
      expect(await page.locator('select[name="cluster"] option').allTextContents()).toEqual([
        "All clusters",
        "demo",
        "staging",
      ]);
      await select.selectOption("staging");
      await page.waitForURL(/\/remediations\?cluster=staging$/);
      await card.locator("ul.rollouts").waitFor({ state: "detached" });
      expect(await card.locator(".small", { hasText: "replicas on a fixed digest" }).textContent()).toBe(
        "0 / 5 replicas on a fixed digest",
      );
    });

    it("a vulnerability's impact per cluster, and the list pages keep the cluster chosen", async () => {
      const page = await newPage(browser);
      await signIn(page, demo.url, demo.tokens.admin, "/vulnerabilities/CVE-2099-0003");
      const perCluster = page.getByRole("table", { name: "Impact per cluster" });
      await perCluster.waitFor();
      expect(
        await perCluster
          .locator("tbody tr")
          .evaluateAll((rs) => rs.map((r) => r.getAttribute("data-cluster"))),
      ).toEqual(["demo", "staging"]);
      await page.locator(`select[name="cluster"]`).selectOption("demo");
      await page.waitForURL(/\/vulnerabilities\/CVE-2099-0003\?cluster=demo$/);
      await perCluster.waitFor({ state: "detached" });
      const rows = page.getByRole("table", { name: "Affected workloads" }).locator("tbody tr");
      await rows.first().waitFor();
      expect((await rows.allTextContents()).every((t) => t.startsWith("demo: "))).toBe(true);
    });

    it("a team viewer's selector lists the clusters its team runs in, and its pages hold its team only", async () => {
      const page = await newPage(browser);
      await signIn(page, demo.url, demo.tokens.teamA, "/remediations?cluster=staging");
      const card = page.locator(`article.card[data-record="${CVE_KEY}"]`);
      await card.waitFor();
      await page.locator('select[name="cluster"] option[value="demo"]').waitFor({ state: "attached" });
      expect(await page.locator('select[name="cluster"] option').allTextContents()).toEqual([
        "All clusters",
        "demo",
        "staging",
      ]);
      // team-a's checkout only: 3 replicas in staging.
      expect(await card.locator(".small", { hasText: "replicas on a fixed digest" }).textContent()).toBe(
        "0 / 3 replicas on a fixed digest",
      );
    });
  },
);
