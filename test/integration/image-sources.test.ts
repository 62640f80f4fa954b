import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  analyzeImage,
  IMAGE_SOURCES,
  type ImageTransport,
  openImageSource,
  RegistrySource,
} from "../../src/adapters/image/index.js";
import { buildTestImage, IMAGE_TOOLS, skopeoCopy, startRegistry, tempDir } from "./image-fixture.js";
import { describeImageSourceContract } from "./image-source.contract.js";
import { type DoubleMode, type RegistryDouble, startTokenAuthDouble } from "./registry-double.js";

const haveTools = IMAGE_TOOLS.every((t) => existsSync(t));
const haveHtpasswd = existsSync("/usr/bin/htpasswd");

/** What the contract cases open: the shared test image in each form. */
interface ContractFixture {
  layout: string;
  archive: string;
  rootfs: string;
  anonPort: number;
}
interface ContractCase {
  title: string;
  spec: (f: ContractFixture) => string;
  layered: boolean;
}

/**
 * One contract case per registered image source (IMAGE_SOURCES), opened through its spec. A source registered
 * without a case here does not compile, and the registration test below fails.
 */
const CONTRACT_CASES: { readonly [T in ImageTransport]: ContractCase } = {
  oci: { title: "oci layout", spec: (f) => `oci:${f.layout}:t`, layered: true },
  "docker-archive": {
    title: "docker-archive (skopeo)",
    spec: (f) => `docker-archive:${f.archive}`,
    layered: true,
  },
  registry: {
    title: "registry, anonymous",
    spec: (f) => `registry:127.0.0.1:${f.anonPort}/test/img:t`,
    layered: true,
  },
  dir: { title: "plain directory (final rootfs)", spec: (f) => `dir:${f.rootfs}`, layered: false },
};

describe("image source registration", () => {
  it("every registered source runs the contract suite, and every contract case is a registered source", () => {
    expect(Object.keys(CONTRACT_CASES).sort()).toEqual(IMAGE_SOURCES.map((s) => s.transport).sort());
  });
});

describe.skipIf(!haveTools)("image sources against real umoci/skopeo/docker-registry", () => {
  const work = tempDir("palisade-img-");
  let layout = "";
  let rootfs = "";
  let archive = "";
  let diffIds: string[] = [];
  const stops: (() => Promise<void>)[] = [];
  let anonPort = 0;
  let basicPort = 0;
  let upstream = "";

  beforeAll(async () => {
    ({ layout, rootfs } = buildTestImage(work));
    archive = join(work, "image.tar");
    skopeoCopy(`oci:${layout}:t`, `docker-archive:${archive}:example/test:t`);
    const idx = JSON.parse(readFileSync(join(layout, "index.json"), "utf8")) as {
      manifests: { digest: string }[];
    };
    const manifest = JSON.parse(
      readFileSync(join(layout, "blobs/sha256", idx.manifests[0]?.digest.slice(7) ?? ""), "utf8"),
    );
    const config = JSON.parse(
      readFileSync(join(layout, "blobs/sha256", manifest.config.digest.slice(7)), "utf8"),
    );
    diffIds = config.rootfs.diff_ids;

    const anon = await startRegistry(work);
    stops.push(anon.stop);
    anonPort = anon.port;
    upstream = `http://127.0.0.1:${anonPort}`;
    skopeoCopy(`oci:${layout}:t`, `docker://127.0.0.1:${anonPort}/test/img:t`, ["--dest-tls-verify=false"]);

    if (haveHtpasswd) {
      const htpasswd = join(work, "htpasswd");
      writeFileSync(htpasswd, execFileSync("/usr/bin/htpasswd", ["-nbB", "alice", "s3cret"]));
      const basic = await startRegistry(work, htpasswd);
      stops.push(basic.stop);
      basicPort = basic.port;
      skopeoCopy(`oci:${layout}:t`, `docker://127.0.0.1:${basicPort}/test/img:t`, [
        "--dest-tls-verify=false",
        "--dest-creds",
        "alice:s3cret",
      ]);
    }
  });

  afterAll(async () => {
    for (const s of stops) await s();
    rmSync(work, { recursive: true, force: true });
  });

  const fixture = (): ContractFixture => ({ layout, archive, rootfs, anonPort });
  for (const [transport, c] of Object.entries(CONTRACT_CASES) as [ImageTransport, ContractCase][])
    describeImageSourceContract(c.title, () => openImageSource(c.spec(fixture())), {
      transport,
      layered: c.layered,
      diffIds: () => diffIds,
    });

  describe.skipIf(!haveHtpasswd)("registry with htpasswd basic auth", () => {
    describeImageSourceContract(
      "registry, basic auth",
      async () =>
        new RegistrySource(`127.0.0.1:${basicPort}`, "test/img", "t", {
          auth: { username: "alice", password: "s3cret" },
        }),
      { transport: "registry", layered: true, diffIds: () => diffIds },
    );
    it("without credentials is FORBIDDEN; wrong credentials too", async () => {
      await expect(analyzeImage(`127.0.0.1:${basicPort}/test/img:t`)).rejects.toMatchObject({
        code: "FORBIDDEN",
      });
      await expect(
        analyzeImage(`127.0.0.1:${basicPort}/test/img:t`, { auth: { username: "alice", password: "nope" } }),
      ).rejects.toMatchObject({ code: "FORBIDDEN" });
    });
  });

  describe("registry behind the token-auth test double", () => {
    let dbl: RegistryDouble | undefined;
    const withDouble = async (mode: DoubleMode, creds?: { username: string; password: string }) => {
      dbl = await startTokenAuthDouble(upstream, { mode, ...(creds ? { credentials: creds } : {}) });
      return dbl;
    };
    afterAll(async () => dbl?.stop());

    it("bearer token flow: challenge, token with service and scope, then pull", async () => {
      const d = await withDouble("ok", { username: "bob", password: "pw" });
      const { sbom } = await analyzeImage(`127.0.0.1:${d.port}/test/img:t`, {
        auth: { username: "bob", password: "pw" },
      });
      expect(sbom.packages.length).toBe(8);
      expect(d.tokenRequests()[0]).toBe("?service=registry-double&scope=repository%3Atest%2Fimg%3Apull");
      await d.stop();
      dbl = undefined;
    });

    it("follows blob redirects to another origin without leaking credentials", async () => {
      const d = await withDouble("redirect-blobs");
      const { sbom } = await analyzeImage(`127.0.0.1:${d.port}/test/img:t`);
      expect(sbom.packages.length).toBe(8);
      expect(d.leakedAuth()).toBe(0);
      await d.stop();
      dbl = undefined;
    });

    describe("pathological cases", () => {
      it("digest mismatch from the registry is an INTEGRITY error", async () => {
        const d = await withDouble("tamper-blob");
        await expect(analyzeImage(`127.0.0.1:${d.port}/test/img:t`)).rejects.toMatchObject({
          code: "INTEGRITY",
        });
        await d.stop();
        dbl = undefined;
      });
      it("a manifest over 4 MiB is refused with LIMIT", async () => {
        const d = await withDouble("huge-manifest");
        await expect(analyzeImage(`127.0.0.1:${d.port}/test/img:t`)).rejects.toMatchObject({ code: "LIMIT" });
        await d.stop();
        dbl = undefined;
      });
      it("a malformed JSON manifest is an INPUT error", async () => {
        const d = await withDouble("malformed-manifest");
        await expect(analyzeImage(`127.0.0.1:${d.port}/test/img:t`)).rejects.toMatchObject({ code: "INPUT" });
        await d.stop();
        dbl = undefined;
      });
      it("an unknown tag is an INPUT error naming it", async () => {
        await expect(analyzeImage(`127.0.0.1:${anonPort}/test/img:nope`)).rejects.toMatchObject({
          code: "INPUT",
        });
      });
    });
  });

  describe("pathological cases (files)", () => {
    it("a truncated docker-archive is a clear INPUT error", async () => {
      const buf = readFileSync(archive);
      const cut = join(work, "cut.tar");
      writeFileSync(cut, buf.subarray(0, Math.floor(buf.length / 2)));
      await expect(analyzeImage(`docker-archive:${cut}`)).rejects.toMatchObject({ code: "INPUT" });
    });
    it("a tampered OCI layout blob is an INTEGRITY error", async () => {
      const copy = join(work, "tampered");
      execFileSync("cp", ["-r", layout, copy]);
      const idx = JSON.parse(readFileSync(join(copy, "index.json"), "utf8"));
      const manifest = JSON.parse(
        readFileSync(join(copy, "blobs/sha256", idx.manifests[0].digest.slice(7)), "utf8"),
      );
      const layerFile = join(copy, "blobs/sha256", manifest.layers[0].digest.slice(7));
      const b = readFileSync(layerFile);
      b[b.length - 1] = (b[b.length - 1] as number) ^ 0xff;
      writeFileSync(layerFile, b);
      await expect(analyzeImage(`oci:${copy}:t`)).rejects.toMatchObject({ code: "INTEGRITY" });
    });
  });
});
