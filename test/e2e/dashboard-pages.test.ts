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

/** Content-Security-Policy violations and script errors the page reports (each test expects none). */
function watch(page: Page, seen: string[] = []): string[] {
  page.on("console", (m) => {
    if (m.type() === "error" && /Content Security Policy/i.test(m.text())) seen.push(m.text());
  });
  page.on("pageerror", (e) => seen.push(e.message));
  return seen;
}

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
      const errors = watch(page);
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
      // The table goes while the filtered page loads: wait for the new rows, not only for the old one to go.
      await page.locator('table.risk tbody tr[data-workload="search/search"]').waitFor();
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
      expect(errors).toEqual([]);
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

    it("workloads: filtered through the URL, each linking to its images and on to the vulnerabilities they carry", async () => {
      const page = await newPage(browser);
      const errors = watch(page);
      await signIn(page, demo.url, demo.tokens.admin, "/workloads");
      await page.locator("table.workloads tbody tr").first().waitFor();
      expect(await rowsAttr(page, "table.workloads", "data-workload")).toEqual([
        "checkout/checkout",
        "search/search",
      ]);
      await page.getByLabel("Namespace").fill("checkout");
      await page.getByLabel("Namespace").press("Enter");
      await page.waitForURL(/\/workloads\?namespace=checkout$/);
      await page
        .locator('table.workloads tbody tr[data-workload="search/search"]')
        .waitFor({ state: "detached" });
      // The old rows go with the loading state; wait for the filtered answer's row before reading it.
      const row = page.locator('table.workloads tbody tr[data-workload="checkout/checkout"]');
      await row.waitFor();
      expect(await row.locator("td").allTextContents()).toEqual([
        "team-a",
        "demo",
        "3",
        "yes",
        "registry.example/team-a/checkout:2.0",
        "1 critical1 high1 low",
        "findings",
      ]);

      // Its image, on the images page, and what that image carries.
      await row.getByRole("link", { name: "registry.example/team-a/checkout:2.0" }).click();
      await page.waitForURL(/\/images\?q=registry.example%2Fteam-a%2Fcheckout%3A2.0$/);
      await page.locator("table.images tbody tr").first().waitFor();
      expect(await rowsAttr(page, "table.images", "data-image")).toEqual([
        "registry.example/team-a/checkout:2.0",
      ]);
      // The image tree below the list shows the image under its bases.
      await page.getByRole("link", { name: "registry.example/company/base-runtime:1.4" }).waitFor();
      await page
        .getByRole("link", { name: "Vulnerabilities of registry.example/team-a/checkout:2.0" })
        .click();
      await page.waitForURL(/\/vulnerabilities\?image=sha256%3A[0-9a-f]{64}$/);
      await page.getByTestId("image-filter").waitFor();
      await page.getByRole("link", { name: "CVE-2099-0002" }).waitFor();
      const ids = await page
        .locator('table[aria-label="Vulnerabilities"] tbody tr td:nth-child(2) a')
        .allTextContents();
      expect(ids).toEqual(["CVE-2099-0001", "CVE-2099-0002", "CVE-2099-0003"]);
      // And from there to one vulnerability's impact.
      await page.getByRole("link", { name: "CVE-2099-0001" }).click();
      await page.waitForURL(/\/vulnerabilities\/CVE-2099-0001$/);
      await page.getByTestId("impact-summary").waitFor();
      expect(errors).toEqual([]);
      await page.close();
    });

    it("workloads and images: a team viewer sees its own team's only", async () => {
      const page = await newPage(browser);
      await signIn(page, demo.url, demo.tokens.teamB, "/workloads");
      await page.locator("table.workloads tbody tr").first().waitFor();
      expect(await rowsAttr(page, "table.workloads", "data-team")).toEqual(["team-b"]);
      await page.goto(`${demo.url}/images`);
      await page.locator("table.images tbody tr").first().waitFor();
      const images = await rowsAttr(page, "table.images", "data-image");
      expect(images).toContain("registry.example/team-b/search:1.0");
      expect(images.some((i) => i?.includes("team-a"))).toBe(false);
      expect(await page.locator("ul.tree").textContent()).not.toContain("team-a");
      await page.goto(`${demo.url}/workloads?team=team-a`);
      await expect(page.getByRole("alert").textContent()).resolves.toContain("may not read");
      await page.close();
    });

    it("audit: security reads the log from the navigation; a team viewer has no link to it and is refused", async () => {
      const page = await newPage(browser);
      const errors = watch(page);
      await signIn(page, demo.url, demo.tokens.security, "/");
      await page.getByTestId("whoami").waitFor();
      expect(await page.getByTestId("whoami").textContent()).toBe("security");
      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Audit" }).click();
      await page.waitForURL(/\/audit$/);
      await page.locator("table.audit tbody tr").first().waitFor();
      const actions = await rowsAttr(page, "table.audit", "data-action");
      // The demo's tokens were issued (and audited) at start: one per role.
      expect(actions.slice(0, 4)).toEqual(["token.create", "token.create", "token.create", "token.create"]);
      expect(await page.locator("table.audit tbody").textContent()).toContain("team-viewer");
      expect(await page.locator("table.audit thead th").allTextContents()).toEqual([
        "When",
        "Who",
        "Action",
        "Subject",
        "Details",
      ]);
      // No token value is ever on the page: only token ids.
      const html = await page.content();
      for (const t of Object.values(demo.tokens)) expect(html).not.toContain(t);
      expect(errors).toEqual([]);

      const viewer = await newPage(browser);
      await signIn(viewer, demo.url, demo.tokens.teamA, "/");
      await viewer.getByTestId("whoami").waitFor();
      expect(await viewer.getByTestId("whoami").textContent()).toBe("team-viewer · team-a");
      const nav = viewer.getByRole("navigation", { name: "Main" });
      await nav.getByRole("link", { name: "Risk" }).waitFor();
      expect(await nav.getByRole("link", { name: "Audit" }).count()).toBe(0);
      await viewer.goto(`${demo.url}/audit`);
      await expect(viewer.getByRole("alert").textContent()).resolves.toContain("may not read the audit log");
      expect(await viewer.locator("table.audit").count()).toBe(0);
      await viewer.close();
      await page.close();
    });

    it("exceptions: made from a finding with reason, scope and expiry, its audit entry shown, then revoked; a team viewer can do neither", async () => {
      const headers = { authorization: `Bearer ${demo.tokens.admin}` };
      const listed = (await (
        await fetch(`${demo.url}/api/v1/findings?team=team-a&severity=medium&limit=1`, { headers })
      ).json()) as {
        items: {
          cluster: string;
          finding: {
            id: string;
            ruleId: string;
            resource: { kind: string; name: string; namespace?: string };
            workload?: { kind: string; name: string };
          };
        }[];
      };
      const target = listed.items[0];
      if (target === undefined) throw new Error("the demo has no medium finding of team-a");
      const { finding } = target;
      const wl = finding.workload ?? finding.resource;
      const path = `/findings/${encodeURIComponent(finding.id)}?cluster=${target.cluster}`;

      // A team viewer reads the finding but is offered no exception.
      const viewer = await newPage(browser);
      await signIn(viewer, demo.url, demo.tokens.teamA, path);
      await viewer.getByTestId("whoami").waitFor();
      await viewer.getByRole("heading", { name: "How to fix" }).waitFor();
      expect(await viewer.getByRole("heading", { name: "Make an exception" }).count()).toBe(0);

      // security (exceptions write) makes it; admin revokes it below.
      const page = await newPage(browser);
      const errors = watch(page);
      await signIn(page, demo.url, demo.tokens.security, path);
      await page.getByRole("heading", { name: "Make an exception" }).waitFor();
      expect(await page.getByLabel("Owner").inputValue()).toBe("team-a");
      // The reason is required (the browser's check), and blank is not a reason (the page's).
      await page.getByRole("button", { name: "Make the exception" }).click();
      expect(
        await page
          .getByLabel("Reason")
          .evaluate((el) => (el as unknown as { validity: { valueMissing: boolean } }).validity.valueMissing),
      ).toBe(true);
      await page.getByLabel("Reason").fill("   ");
      await page.getByRole("button", { name: "Make the exception" }).click();
      await expect(page.getByRole("alert").textContent()).resolves.toContain("a reason is required");
      await page.getByLabel("Reason").fill("Accepted until the chart's next release; reviewed by security.");
      await page.getByLabel(/^Expires/).fill("2099-03-01");
      await page.getByRole("button", { name: "Make the exception" }).click();
      const made = page.getByTestId("exception-made");
      await made.waitFor();
      const entry = page.getByTestId("audit-entry");
      await entry.waitFor();
      const id = (await made.locator(".mono").first().textContent()) ?? "";
      expect(id).toMatch(/^exc_[0-9a-f]{16}$/);
      const entryText = (await entry.textContent()) ?? "";
      expect(entryText).toContain(`exception.create of ${id} by tok_`);
      expect(entryText).toContain("Accepted until the chart's next release");

      const stored = (await (await fetch(`${demo.url}/api/v1/exceptions`, { headers })).json()) as {
        items: { id: string; exception: unknown; clusters?: string[]; active: boolean }[];
      };
      expect(
        stored.items.map((e) => ({
          id: e.id,
          exception: e.exception,
          clusters: e.clusters,
          active: e.active,
        })),
      ).toEqual([
        {
          id,
          exception: {
            rules: [finding.ruleId],
            namespaces: [finding.resource.namespace],
            workloads: [`${wl.kind}/${wl.name}`],
            reason: "Accepted until the chart's next release; reviewed by security.",
            owner: "team-a",
            expires: "2099-03-01",
          },
          clusters: ["demo"],
          active: true,
        },
      ]);

      // The team viewer sees its team's exception, without a way to revoke it.
      await viewer.goto(`${demo.url}/exceptions`);
      await viewer.locator(`tr[data-exception="${id}"]`).waitFor();
      expect(await viewer.getByRole("button", { name: `Revoke ${id}` }).count()).toBe(0);
      await viewer.close();

      // security's page links on to the exceptions page, where the exception is in force.
      await page.getByRole("link", { name: "Exceptions" }).first().click();
      await page.waitForURL(/\/exceptions$/);
      await page.locator(`tr[data-exception="${id}"]`).waitFor();
      await page.close();

      // Revoked by admin from the exceptions page, with a reason; the row says so and the audit entry is shown.
      const admin = await newPage(browser);
      watch(admin, errors);
      await signIn(admin, demo.url, demo.tokens.admin, "/exceptions");
      await admin.locator(`tr[data-exception="${id}"]`).waitFor();
      const row = admin.locator(`tr[data-exception="${id}"]`);
      expect(await row.getByTestId("status").textContent()).toContain("in force");
      await admin.getByRole("button", { name: `Revoke ${id}` }).click();
      await admin.getByLabel(`Why revoke ${id}?`).fill("the chart was fixed");
      await admin.getByRole("button", { name: "Confirm revoke" }).click();
      await admin.getByTestId("exception-revoked").getByTestId("audit-entry").waitFor();
      expect(await admin.getByTestId("audit-entry").textContent()).toContain(
        `exception.revoke of ${id} by tok_`,
      );
      // The list reloads after the revoke: wait for the row as the server now answers it.
      await row.getByTestId("status").filter({ hasText: "revoked by" }).waitFor();
      await expect(row.getByTestId("status").textContent()).resolves.toMatch(
        /^revoked by tok_[0-9a-f]{16} at .*: the chart was fixed$/,
      );
      expect(errors).toEqual([]);
      await admin.close();
    });
  },
);
