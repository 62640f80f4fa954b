/**
 * Regenerate the dashboard screenshots in docs/dashboard/ from the bundled demo: a real `palisade serve --demo` of
 * the built CLI and dashboard (run `npm run build` first) and Debian's chromium. The demo's manifests
 * (examples/demo/manifests: 22 namespaces, RBAC, NetworkPolicies) are pushed as a second cluster, `staging`, so
 * the RBAC and network pages have paths and edges to draw.
 *
 *   npx tsx scripts/dashboard-screenshots.ts [--out DIR]
 */
import { mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseAllDocuments } from "yaml";
import { DEMO, launchChromium, newPage, ROOT, signIn, startDemo } from "../test/e2e/harness.js";

const outFlag = process.argv.indexOf("--out");
const OUT = outFlag === -1 ? join(ROOT, "docs", "dashboard") : resolve(process.argv[outFlag + 1] ?? "");
mkdirSync(OUT, { recursive: true });

/**
 * Each page: its file name, its URL, the element that shows it has loaded, and the API route it reads (a page whose
 * route this server does not provide yet is skipped and said so, not pictured as an error).
 */
const PAGES: [name: string, path: string, ready: string, api: string][] = [
  ["overview", "/", "table.teams", "/api/v1/findings"],
  ["risk", "/risk", "table.risk", "/api/v1/risk"],
  ["workloads", "/workloads?namespace=checkout", "table.workloads", "/api/v1/workloads"],
  ["images", "/images", "ul.tree", "/api/v1/images"],
  ["findings", "/findings?severity=medium&team=team-a", "table.findings", "/api/v1/findings"],
  [
    "vulnerability",
    "/vulnerabilities/CVE-2099-0001",
    "ul.tree",
    "/api/v1/vulnerabilities/CVE-2099-0001/impact",
  ],
  ["remediation", "/remediations", ".board", "/api/v1/remediations"],
  ["rbac-paths", "/rbac", ".graph canvas", "/api/v1/rbac/paths"],
  ["network", "/netpol", ".graph canvas", "/api/v1/netpol/connectivity"],
  ["exceptions", "/exceptions", "main table, main .state.empty", "/api/v1/exceptions"],
  ["audit", "/audit", "table.audit", "/api/v1/audit"],
];

/** The YAML manifests under `dir` as the `kubectl get -A -o json` List the snapshot route takes. */
function manifestsAsList(dir: string): string {
  const items: unknown[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.ya?ml$/.test(name))
        for (const doc of parseAllDocuments(readFileSync(p, "utf8"))) {
          const o = doc.toJS() as { kind?: unknown } | null;
          if (o?.kind !== undefined) items.push(o);
        }
    }
  };
  walk(dir);
  return JSON.stringify({ apiVersion: "v1", kind: "List", items });
}

const demo = await startDemo();
const pushed = await fetch(`${demo.url}/api/v1/clusters/staging/snapshots`, {
  method: "POST",
  headers: { "content-type": "application/json", authorization: `Bearer ${demo.tokens.admin}` },
  body: manifestsAsList(join(DEMO, "manifests")),
});
if (pushed.status !== 200)
  throw new Error(`pushing the demo manifests: HTTP ${pushed.status} ${await pushed.text()}`);
const browser = await launchChromium();
try {
  const page = await newPage(browser);
  await page.goto(`${demo.url}/login`);
  await page.locator("#token").waitFor();
  await page.screenshot({ path: join(OUT, "sign-in.png") });
  await signIn(page, demo.url, demo.tokens.admin);
  for (const [name, path, ready, api] of PAGES) {
    const probe = await fetch(`${demo.url}${api}`, {
      headers: { authorization: `Bearer ${demo.tokens.admin}` },
    });
    if (probe.status === 404 && /"no route /.test(await probe.text())) {
      process.stdout.write(`skipped ${name}: this server has no ${api} yet\n`);
      continue;
    }
    // The board after the fixed digests rolled out: the critical CVE's record closed, with its time to fix.
    if (name === "remediation") await demo.pushAfter();
    if (name === "exceptions") {
      const made = await fetch(`${demo.url}/api/v1/exceptions`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${demo.tokens.admin}` },
        body: JSON.stringify({
          namespaces: ["monitoring"],
          workloads: ["node-exporter"],
          rules: ["PAL-POD-00*"],
          reason: "Node agents read host metrics by design; reviewed with the platform team.",
          owner: "platform",
          expires: "2099-04-01",
        }),
      });
      if (made.status !== 201)
        throw new Error(`creating an exception: HTTP ${made.status} ${await made.text()}`);
    }
    await page.goto(`${demo.url}${path}`);
    await page.locator(`${ready}, main .state.error`).first().waitFor();
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
}
