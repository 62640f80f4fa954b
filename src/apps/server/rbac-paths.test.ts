import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { runCli } from "../../../test/support/cli.js";
import { bundledDemoDir, DEMO_CLUSTER } from "./demo.js";
import { startServe } from "./serve.js";

const tmp = mkdtempSync(join(tmpdir(), "palisade-rbac-paths-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const now = () => new Date("2025-03-01T09:00:00.000Z");
const DEMO = bundledDemoDir();

/** The YAML manifests under `dir` as the `kubectl get -A -o json` List a snapshot push carries. */
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

/** The CLI's JSON output (its exit code says whether there were findings or paths, not checked here). */
async function cliJson<T>(argv: string[]): Promise<T> {
  const r = await runCli([...argv, "-o", "json"], { now: now() });
  expect(r.stderr).not.toMatch(/error/i);
  return JSON.parse(r.stdout) as T;
}

const cliPaths = async (argv: string[]) =>
  (await cliJson<{ paths: unknown[] }>(["rbac", "paths", ...argv])).paths;

interface Finding {
  id: string;
  ruleId: string;
  suppressed?: unknown;
}
const rbacIds = (fs: readonly Finding[]) =>
  fs
    .filter((f) => f.ruleId.startsWith("PAL-RBAC-") && f.suppressed === undefined)
    .map((f) => f.id)
    .sort();

describe("the server's RBAC answers on the demo equal the CLI's for the same snapshot", () => {
  it("GET /api/v1/rbac/paths and the RBAC findings of a push assume the bootstrap policy as `palisade rbac paths` and `scan` do", async () => {
    const s = await startServe({ listen: "127.0.0.1:0", db: "memory:", demo: DEMO, now, logger: false });
    try {
      const admin = s.demo?.tokens.find((t) => t.role === "admin")?.token;
      const auth = { authorization: `Bearer ${admin}` };
      const list = manifestsAsList(join(DEMO, "manifests"));
      const listFile = join(tmp, "manifests.json");
      writeFileSync(listFile, list);
      const pushed = await fetch(`${s.url}/api/v1/clusters/staging/snapshots`, {
        method: "POST",
        headers: { ...auth, "content-type": "application/json" },
        body: list,
      });
      expect(pushed.status, await pushed.clone().text()).toBe(200);

      const served = async (cluster: string) => {
        const r = await fetch(`${s.url}/api/v1/rbac/paths?cluster=${cluster}&limit=1000`, { headers: auth });
        expect(r.status).toBe(200);
        const page = (await r.json()) as { items: { cluster: string }[]; next?: string };
        expect(page.next).toBeUndefined();
        return page.items.map(({ cluster: c, ...p }) => {
          expect(c).toBe(cluster);
          return p;
        });
      };

      // The pushed manifests: the paths of `rbac paths` over the same List, and over the manifests themselves.
      const staging = await cliPaths(["--snapshot", listFile]);
      expect(staging.length).toBeGreaterThan(
        (await cliPaths(["--snapshot", listFile, "--no-default-roles"])).length,
      );
      expect(await served("staging")).toEqual(staging);
      expect(await cliPaths(["-f", join(DEMO, "manifests")])).toEqual(staging);
      // The demo's own snapshot (no RBAC objects of its own: every path is through the bootstrap policy).
      const before = await cliPaths(["--snapshot", join(DEMO, "snapshots", "before.json")]);
      expect(before.length).toBeGreaterThan(0);
      expect(await served(DEMO_CLUSTER)).toEqual(before);

      // The RBAC findings recorded by the push are those `palisade scan` reports for the same List.
      const recorded: Finding[] = [];
      let after: string | undefined;
      do {
        const q = `cluster=staging&limit=1000${after === undefined ? "" : `&after=${encodeURIComponent(after)}`}`;
        const r = await fetch(`${s.url}/api/v1/findings?${q}`, { headers: auth });
        expect(r.status).toBe(200);
        const page = (await r.json()) as { items: { finding: Finding }[]; next?: string };
        for (const i of page.items) recorded.push(i.finding);
        after = page.next;
      } while (after !== undefined);
      const scanned = await cliJson<{ findings: Finding[] }>(["scan", "--snapshot", listFile]);
      const expected = rbacIds(scanned.findings);
      expect(expected.length).toBeGreaterThan(0);
      expect(rbacIds(recorded)).toEqual(expected);
    } finally {
      await s.close();
    }
  }, 60_000);
});
