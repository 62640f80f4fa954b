/**
 * The dashboard end to end: Debian's chromium (playwright-core) against a real `palisade serve` of the built CLI
 * and dashboard, with the bundled demo's "before" snapshot pushed through the API. Waits are for elements, never
 * for time.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  assertBuilt,
  CHROMIUM,
  DEMO,
  HAS_CHROMIUM,
  launchChromium,
  newPage,
  type Palisade,
  runCli,
  signIn,
  startServe,
} from "./harness.js";

const ADMIN = "e2e-admin-token-0123456789abcdef";

describe.skipIf(!HAS_CHROMIUM)(
  `dashboard in chromium (needs ${CHROMIUM}: apt-get install chromium)`,
  { timeout: 180_000 },
  () => {
    let dir: string;
    let server: Palisade;
    let browser: Browser;
    let viewerA: string;

    beforeAll(async () => {
      assertBuilt();
      dir = mkdtempSync(join(tmpdir(), "palisade-e2e-"));
      const db = join(dir, "palisade.db");
      viewerA = (
        await runCli(["token", "create", "--role", "team-viewer", "--team", "team-a", "--db", db])
      ).trim();
      server = await startServe(["--db", db], { PALISADE_ADMIN_TOKEN: ADMIN });
      const pushed = await fetch(`${server.url}/api/v1/clusters/demo/snapshots`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${ADMIN}` },
        body: readFileSync(join(DEMO, "snapshots", "before.json")),
      });
      expect(pushed.status, await pushed.clone().text()).toBe(200);
      browser = await launchChromium();
    });

    afterAll(async () => {
      await browser?.close();
      await server?.stop();
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    });

    it("refuses a wrong token, then signs in and shows each team's open findings", async () => {
      const page = await newPage(browser);
      await page.goto(`${server.url}/`);
      await page.locator("#token").fill("pal_not-a-token");
      await page.getByRole("button", { name: "Sign in" }).click();
      await expect(page.getByRole("alert").textContent()).resolves.toContain("not valid");
      await page.locator("#token").fill(ADMIN);
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.locator("table.teams tbody tr").first().waitFor();
      const teams = await page
        .locator("table.teams tbody tr")
        .evaluateAll((rows) => rows.map((r) => r.getAttribute("data-team")));
      expect(teams).toEqual(expect.arrayContaining(["team-a", "team-b"]));
      // The token stays in this tab's sessionStorage: a reload needs no new sign-in.
      await page.reload();
      await page.locator("table.teams").waitFor();
      await page.close();
    });

    it("filters findings through the URL: a shared link opens the same filtered view, and a row opens its evidence", async () => {
      const page = await newPage(browser);
      await signIn(page, server.url, ADMIN, "/findings");
      await page.locator("table.findings tbody tr").first().waitFor();
      await page.locator('input[name="sev-medium"]').check();
      await page.waitForURL(/severity=medium/);
      await page.locator('input[name="team"]').fill("team-a");
      await page.locator('input[name="team"]').press("Enter");
      await page.waitForURL(/team=team-a/);
      await page.locator('table.findings tbody tr[data-severity="medium"]').first().waitFor();
      const rows = async () =>
        page
          .locator("table.findings tbody tr")
          .evaluateAll((trs) =>
            trs.map((tr) => [tr.getAttribute("data-severity"), tr.querySelectorAll("td")[3]?.textContent]),
          );
      const filtered = await rows();
      expect(filtered.length).toBeGreaterThan(0);
      expect(filtered.every(([sev, team]) => sev === "medium" && team === "team-a")).toBe(true);

      // The same URL in a new tab (signed in there) shows the same filters and rows.
      const shared = page.url();
      const other = await newPage(browser);
      await signIn(other, server.url, ADMIN, new URL(shared).pathname + new URL(shared).search);
      await other.locator('table.findings tbody tr[data-severity="medium"]').first().waitFor();
      expect(await other.locator('input[name="sev-medium"]').isChecked()).toBe(true);
      expect(await other.locator('input[name="sev-low"]').isChecked()).toBe(false);
      expect(await other.locator('input[name="team"]').inputValue()).toBe("team-a");
      await other.close();

      await page.locator("table.findings tbody tr a").first().click();
      await page.waitForURL(/\/findings\/[^/?]+\?cluster=demo/);
      await page.getByRole("heading", { name: "How to fix" }).waitFor();
      const facts = await page.locator("dl.facts").textContent();
      expect(facts).toContain("team-a");
      expect(facts).toContain("spec.");
      await page.close();
    });

    it("lists runtime alerts posted through the events API, filtered by severity through the URL", async () => {
      const exec = (at: string, user: string) => ({
        level: "Metadata",
        auditID: `e2e-${user}`,
        stage: "ResponseComplete",
        requestURI: "/api/v1/namespaces/default/pods/web/exec?command=sh",
        verb: "create",
        user: { username: user, groups: ["system:authenticated"] },
        objectRef: {
          resource: "pods",
          namespace: "default",
          name: "web",
          apiVersion: "v1",
          subresource: "exec",
        },
        responseStatus: { metadata: {}, code: 101 },
        requestReceivedTimestamp: at,
        stageTimestamp: at,
      });
      const binding = {
        ...exec("2026-12-04T09:05:00.000Z", "mallory@example.com"),
        auditID: "e2e-binding",
        requestURI: "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings",
        objectRef: {
          resource: "clusterrolebindings",
          name: "oops",
          apiGroup: "rbac.authorization.k8s.io",
          apiVersion: "v1",
        },
        responseStatus: { metadata: {}, code: 201 },
        level: "Request",
        requestObject: {
          kind: "ClusterRoleBinding",
          apiVersion: "rbac.authorization.k8s.io/v1",
          metadata: { name: "oops" },
          roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "cluster-admin" },
          subjects: [{ kind: "User", name: "mallory@example.com" }],
        },
      };
      const posted = await fetch(`${server.url}/api/v1/clusters/demo/events/k8s-audit`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${ADMIN}` },
        body: JSON.stringify({
          kind: "EventList",
          apiVersion: "audit.k8s.io/v1",
          items: [exec("2026-12-04T09:00:00.000Z", "alice@example.com"), binding],
        }),
      });
      expect(posted.status, await posted.clone().text()).toBe(200);
      const page = await newPage(browser);
      await signIn(page, server.url, ADMIN, "/alerts");
      await page.locator('table.alerts tbody tr[data-rule="PAL-RT-AUDIT-004"]').waitFor();
      const rules = async () =>
        page
          .locator("table.alerts tbody tr")
          .evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-rule")));
      expect(await rules()).toEqual(expect.arrayContaining(["PAL-RT-AUDIT-004", "PAL-RT-AUDIT-007"]));
      await page.locator('input[name="sev-critical"]').check();
      await page.waitForURL(/severity=critical/);
      await page
        .locator('table.alerts tbody tr[data-rule="PAL-RT-AUDIT-004"]')
        .waitFor({ state: "detached" });
      // The old rows go with the loading state: wait for the filtered answer's row before reading the table.
      await page.locator('table.alerts tbody tr[data-rule="PAL-RT-AUDIT-007"]').waitFor();
      expect(await rules()).toEqual(["PAL-RT-AUDIT-007"]);
      expect(await page.locator("table.alerts tbody").textContent()).toContain("mallory@example.com");
      await page.close();
    });

    it("a team viewer sees its own team only", async () => {
      const page = await newPage(browser);
      await signIn(page, server.url, viewerA, "/");
      await page.locator("table.teams tbody tr").first().waitFor();
      const teams = await page
        .locator("table.teams tbody tr")
        .evaluateAll((rows) => rows.map((r) => r.getAttribute("data-team")));
      expect(teams).toEqual(["team-a"]);
      await page.goto(`${server.url}/findings?open=false`);
      await page.locator("table.findings tbody tr").first().waitFor();
      const shown = await page
        .locator("table.findings tbody tr")
        .evaluateAll((trs) => trs.map((tr) => tr.querySelectorAll("td")[3]?.textContent));
      expect(shown.length).toBeGreaterThan(0);
      expect(new Set(shown)).toEqual(new Set(["team-a"]));
      // Asking for another team's findings in the URL is refused, and said so.
      await page.goto(`${server.url}/findings?team=team-b`);
      await expect(page.getByRole("alert").textContent()).resolves.toContain("may not read");
      await page.close();
    });

    it("a revoked or unknown token in the tab sends the user back to sign in", async () => {
      const page = await newPage(browser);
      await page.goto(`${server.url}/findings`);
      await page.evaluate(`sessionStorage.setItem("palisade.token", "pal_revoked")`);
      await page.goto(`${server.url}/findings?severity=low`);
      await page.waitForURL(/\/login\?/);
      await expect(page.getByRole("alert").textContent()).resolves.toContain("sign in again");
      await page.locator("#token").fill(ADMIN);
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.waitForURL(/\/findings\?severity=low$/);
      await page.close();
    });
  },
);
