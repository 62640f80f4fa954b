import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../../../../test/support/cli.js";
import { makeTestCerts } from "../../../../test/support/tls.js";
import { openStores } from "../../../adapters/store/index.js";
import { bundledDemoDir } from "../../server/demo.js";
import { startServe } from "../../server/serve.js";

const dir = mkdtempSync(join(tmpdir(), "palisade-push-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const ADMIN = "admin-token-for-push-tests-0123456789";
const now = () => new Date("2026-03-01T00:00:00.000Z");

describe("palisade push", () => {
  it("pushes a snapshot and an image over real HTTPS (private CA), and the server stores both", async () => {
    const certs = makeTestCerts(join(dir, "tls"));
    const db = join(dir, "push.db");
    const s = await startServe({
      listen: "127.0.0.1:0",
      db,
      tlsCert: certs.cert,
      tlsKey: certs.key,
      adminToken: ADMIN,
      now,
    });
    const demo = bundledDemoDir();
    try {
      const snap = await runCli(
        [
          "push",
          "--server",
          s.url,
          "--cluster",
          "demo",
          "--snapshot",
          join(demo, "snapshots", "before.json"),
          "--ca",
          certs.ca,
        ],
        { env: { PALISADE_TOKEN: ADMIN } },
      );
      expect(snap.code, snap.stderr).toBe(0);
      expect(snap.stdout).toMatch(/^pushed demo: \d+ objects, \d+ findings \(\d+ new, 0 resolved\)/);
      const img = await runCli([
        "push",
        "--server",
        s.url,
        "--image",
        `oci:${join(demo, "images", "checkout-2.1")}`,
        "--ref",
        "registry.example/team-a/checkout:2.1",
        "--token",
        ADMIN,
        "--ca",
        certs.ca,
      ]);
      expect(img.code, img.stderr).toBe(0);
      expect(img.stdout).toMatch(/^pushed registry\.example\/team-a\/checkout:2\.1 sha256:90589fc8/);
      // Without the private CA the server is not trusted: nothing is sent.
      const untrusted = await runCli(
        ["push", "--server", s.url, "--cluster", "demo", "--snapshot", join(demo, "snapshots", "after.json")],
        { env: { PALISADE_TOKEN: ADMIN } },
      );
      expect(untrusted.code).not.toBe(0);
      expect(untrusted.stderr).toMatch(/cannot reach/);
      const denied = await runCli(
        [
          "push",
          "--server",
          s.url,
          "--cluster",
          "demo",
          "--snapshot",
          join(demo, "snapshots", "after.json"),
          "--ca",
          certs.ca,
        ],
        { env: { PALISADE_TOKEN: "pal_wrong" } },
      );
      expect(denied.code).not.toBe(0);
      expect(denied.stderr).toMatch(/refused the snapshot \(401\)/);
    } finally {
      await s.close();
    }
    const stores = await openStores(db);
    try {
      expect(await stores.snapshots.clusters()).toEqual([{ cluster: "demo", latest: now().toISOString() }]);
      expect((await stores.images.listImages()).images.map((i) => i.image.refs)).toEqual([
        ["registry.example/team-a/checkout:2.1"],
      ]);
    } finally {
      await stores.close();
    }
  }, 60_000);

  it("refuses usage errors before sending anything: no token, plain http off loopback, both or neither input", async () => {
    const run = (args: string[], env: Record<string, string> = { PALISADE_TOKEN: "t" }) =>
      runCli(["push", ...args], { env });
    expect(
      (await run(["--server", "https://x.example", "--cluster", "c", "--snapshot", "f"], {})).stderr,
    ).toMatch(/no token/);
    expect((await run(["--server", "http://x.example", "--cluster", "c", "--snapshot", "f"])).stderr).toMatch(
      /plain http/,
    );
    expect((await run(["--server", "https://x.example"])).stderr).toMatch(/one of --snapshot/);
    expect((await run(["--server", "https://x.example", "--snapshot", "f"])).stderr).toMatch(/--cluster/);
  });
});
