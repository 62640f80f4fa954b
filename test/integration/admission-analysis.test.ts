import { existsSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openStores } from "../../src/adapters/store/index.js";
import { reviewForCreate } from "../../src/services/admission/index.js";
import { eventually, type Served, serve } from "../support/admission-serve.js";
import { makeTestCerts } from "../support/tls.js";
import { buildBaseAndChild, IMAGE_TOOLS, skopeoCopy, startRegistry, tempDir } from "./image-fixture.js";

const haveTools = IMAGE_TOOLS.every((t) => existsSync(t));

// CI installs the image tools (.ci/run): there a missing tool is a failure, not a skip.
if (!haveTools && process.env.CI !== undefined)
  it("umoci, skopeo, docker-registry and zip are installed in CI", () => {
    expect(IMAGE_TOOLS.filter((t) => !existsSync(t))).toEqual([]);
  });

describe.skipIf(!haveTools)(
  "the webhook analyses the images it queued, from a real docker-registry (skipped without umoci/skopeo/docker-registry)",
  () => {
    const work = tempDir("palisade-admission-analysis-");
    const stops: (() => Promise<void>)[] = [];
    let served: Served | undefined;
    let port = 0;

    beforeAll(async () => {
      const { layout } = buildBaseAndChild(work);
      const registry = await startRegistry(work);
      stops.push(registry.stop);
      port = registry.port;
      const tls = ["--dest-tls-verify=false"];
      skopeoCopy(`oci:${layout}:base`, `docker://127.0.0.1:${port}/test/base:1`, tls);
      skopeoCopy(`oci:${layout}:child`, `docker://127.0.0.1:${port}/test/child:1`, tls);
      await (await openStores(join(work, "palisade.db"))).close();
      writeFileSync(
        join(work, "policy.yaml"),
        "apiVersion: palisade.dev/v1alpha1\nkind: AdmissionPolicy\ndefaultMode: enforce\nvulnerabilities: {unanalysed: deny}\n",
      );
      writeFileSync(join(work, "ns.yaml"), "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n");
      served = await serve(
        [
          "--policy",
          join(work, "policy.yaml"),
          "--namespaces",
          join(work, "ns.yaml"),
          "--db",
          join(work, "palisade.db"),
          "--analyze-unknown",
          "--analysis-concurrency",
          "2",
          "--dangerously-allow-http",
        ],
        makeTestCerts(join(work, "tls")),
      );
    }, 120_000);

    afterAll(async () => {
      served?.proc.kill("SIGTERM");
      for (const s of stops) await s();
      rmSync(work, { recursive: true, force: true });
    });

    const pod = (image: string) => ({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "web", namespace: "shop" },
      spec: { containers: [{ name: "app", image }] },
    });
    const decide = async (image: string, uid: string) =>
      (
        JSON.parse(
          (await served?.call("POST", "/validate", reviewForCreate(pod(image), uid)))?.text ?? "{}",
        ) as {
          response: { allowed: boolean; status?: { message: string } };
        }
      ).response;
    const metric = async (name: string) =>
      Number(
        new RegExp(`^${name} (\\d+)$`, "m").exec((await served?.call("GET", "/metrics"))?.text ?? "")?.[1],
      );

    it("denies an unanalysed image, analyses it in the background, then admits it; a missing image fails and is counted", async () => {
      const base = `127.0.0.1:${port}/test/base:1`;
      const child = `127.0.0.1:${port}/test/child:1`;
      const first = await decide(base, "a1");
      expect(first.allowed).toBe(false);
      expect(first.status?.message).toContain("image/unanalysed");
      await decide(child, "a2");
      await decide(`127.0.0.1:${port}/test/missing:1`, "a3");
      await eventually(
        async () =>
          (await metric("palisade_admission_analysis_analyzed_total")) === 2 &&
          (await metric("palisade_admission_analysis_failed_total")) === 1,
        "the queued images to be analysed",
      );
      // The fact cache reloads after an analysis; the next reviews see the images.
      await eventually(
        async () => (await decide(base, `b-${Date.now()}`)).allowed,
        "the base image to be admitted",
      );
      expect((await decide(child, "c1")).allowed).toBe(true);
      const stores = await openStores(join(work, "palisade.db"));
      try {
        const { images } = await stores.images.listImages();
        expect(images.map((i) => i.image.refs).sort()).toEqual([[base], [child]]);
      } finally {
        await stores.close();
      }
      expect(served?.stderr()).toContain(
        `cannot analyse 127.0.0.1:${port}/test/missing:1 (queued by admission)`,
      );
    }, 120_000);
  },
);
