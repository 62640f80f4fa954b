import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliResult, runCli } from "../support/cli.js";
import {
  buildBaseAndChild,
  freePort,
  IMAGE_TOOLS,
  skopeoCopy,
  startRegistry,
  tempDir,
} from "./image-fixture.js";
import { type RegistryDouble, startTokenAuthDouble } from "./registry-double.js";

const haveTools = IMAGE_TOOLS.every((t) => existsSync(t));
const haveHtpasswd = existsSync("/usr/bin/htpasswd");

const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";

/** The manifest digest the registry serves for a tag (what a kubelet's `imageID` names after a pull). */
async function digestOfTag(port: number, repo: string, tag: string): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/v2/${repo}/manifests/${tag}`, {
    method: "HEAD",
    headers: { accept: OCI_MANIFEST },
  });
  const d = res.headers.get("docker-content-digest");
  if (!res.ok || !d) throw new Error(`no digest for ${repo}:${tag} (HTTP ${res.status})`);
  return d;
}

/**
 * Add to an OCI layout an image index tagged `tag` that lists only `ofTag`'s manifest, declared as linux/arm64:
 * a multi-platform image with no linux/amd64 entry.
 */
function addArmOnlyIndex(layout: string, ofTag: string, tag: string): void {
  const indexFile = join(layout, "index.json");
  const top = JSON.parse(readFileSync(indexFile, "utf8")) as {
    manifests: { mediaType: string; digest: string; size: number; annotations?: Record<string, string> }[];
  };
  const m = top.manifests.find((d) => d.annotations?.["org.opencontainers.image.ref.name"] === ofTag);
  if (!m) throw new Error(`no ${ofTag} in ${layout}`);
  const index = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.index.v1+json",
      manifests: [
        {
          mediaType: m.mediaType,
          digest: m.digest,
          size: m.size,
          platform: { os: "linux", architecture: "arm64" },
        },
      ],
    }),
  );
  const hex = createHash("sha256").update(index).digest("hex");
  writeFileSync(join(layout, "blobs/sha256", hex), index);
  top.manifests.push({
    mediaType: "application/vnd.oci.image.index.v1+json",
    digest: `sha256:${hex}`,
    size: index.length,
    annotations: { "org.opencontainers.image.ref.name": tag },
  });
  writeFileSync(indexFile, JSON.stringify(top));
}

/** A Deployment with one container, and (when `imageID` is given) one running pod reporting it. */
function deployment(name: string, image: string, imageID?: string): Record<string, unknown>[] {
  const labels = { app: name };
  const meta = { namespace: "apps" };
  const deploy = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { ...meta, name, uid: `uid-${name}` },
    spec: {
      replicas: 1,
      selector: { matchLabels: labels },
      template: { metadata: { labels }, spec: { containers: [{ name: "main", image }] } },
    },
  };
  if (imageID === undefined) return [deploy];
  const pod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      ...meta,
      name: `${name}-0`,
      labels,
      ownerReferences: [
        { apiVersion: "apps/v1", kind: "Deployment", name, uid: `uid-${name}`, controller: true },
      ],
    },
    spec: { containers: [{ name: "main", image }] },
    status: { phase: "Running", containerStatuses: [{ name: "main", image, imageID, ready: true }] },
  };
  return [deploy, pod];
}

interface DiscoverJson {
  summary: { discovered: number; alreadyKnown: number; analyzed: number; failed: number };
  images: {
    key: string;
    status: string;
    refs: string[];
    digest?: string;
    error?: { code: string; reason: string };
  }[];
  coverage: { reason: string; subject?: string; message: string }[];
}

// CI installs the image tools (.ci/run): there a missing tool is a failure, not a skip.
if (!haveTools && process.env.CI !== undefined)
  it("umoci, skopeo, docker-registry and zip are installed in CI", () => {
    expect(IMAGE_TOOLS.filter((t) => !existsSync(t))).toEqual([]);
  });

describe.skipIf(!haveTools)(
  "palisade images discover against a real docker-registry (skipped without umoci/skopeo/docker-registry)",
  () => {
    const work = tempDir("palisade-discover-");
    const db = join(work, "palisade.db");
    const snapshot = join(work, "snapshot.json");
    const stops: (() => Promise<void>)[] = [];
    let dbl: RegistryDouble | undefined;
    let port = 0;
    let deadPort = 0;
    let authPort = 0;
    let tamperPort = 0;
    let baseDigest = "";
    let childDigest = "";
    const cli = (argv: string[], now = "2026-01-10T00:00:00Z") =>
      runCli([...argv, "--db", db], { env: {}, now: new Date(now), cwd: work });

    beforeAll(async () => {
      const { layout } = buildBaseAndChild(work);
      const anon = await startRegistry(work);
      stops.push(anon.stop);
      port = anon.port;
      const tls = ["--dest-tls-verify=false"];
      skopeoCopy(`oci:${layout}:base`, `docker://127.0.0.1:${port}/test/base:1`, tls);
      skopeoCopy(`oci:${layout}:child`, `docker://127.0.0.1:${port}/test/child:1`, tls);
      addArmOnlyIndex(layout, "base", "arm-only");
      skopeoCopy(`oci:${layout}:arm-only`, `docker://127.0.0.1:${port}/test/arm-only:1`, [...tls, "--all"]);
      baseDigest = await digestOfTag(port, "test/base", "1");
      childDigest = await digestOfTag(port, "test/child", "1");
      // A port nothing listens on: taken from the OS, then released.
      deadPort = await freePort();
      // The token-auth double in front of the same registry, tampering with every layer blob it serves.
      dbl = await startTokenAuthDouble(`http://127.0.0.1:${port}`, { mode: "tamper-blob" });
      tamperPort = dbl.port;
      const objects = [
        // Running: the pod reports the digest it runs (containerd form); the spec names the tag.
        ...deployment(
          "base-app",
          `127.0.0.1:${port}/test/base:1`,
          `127.0.0.1:${port}/test/base@${baseDigest}`,
        ),
        // Pinned by digest in the spec, no pod status.
        ...deployment("child-app", `127.0.0.1:${port}/test/child@${childDigest}`),
        // Same digest through dockershim's imageID form: one image, not two.
        ...deployment(
          "child-app-2",
          `127.0.0.1:${port}/test/child@${childDigest}`,
          `docker-pullable://127.0.0.1:${port}/test/child@${childDigest}`,
        ),
        ...deployment("gone", `127.0.0.1:${deadPort}/test/gone:1`),
        ...deployment("typo", `127.0.0.1:${port}/test/base:nope`),
        ...deployment("arm", `127.0.0.1:${port}/test/arm-only:1`),
        ...deployment("tampered", `127.0.0.1:${tamperPort}/test/base:1`),
      ];
      if (haveHtpasswd) {
        const htpasswd = join(work, "htpasswd");
        writeFileSync(htpasswd, execFileSync("/usr/bin/htpasswd", ["-nbB", "alice", "s3cret"]));
        const basic = await startRegistry(work, htpasswd);
        stops.push(basic.stop);
        authPort = basic.port;
        skopeoCopy(`oci:${layout}:child`, `docker://127.0.0.1:${authPort}/private/child:1`, [
          ...tls,
          "--dest-creds",
          "alice:s3cret",
        ]);
        objects.push(...deployment("private", `127.0.0.1:${authPort}/private/child:1`));
      }
      writeFileSync(snapshot, JSON.stringify({ apiVersion: "v1", kind: "List", items: objects }));
    });

    afterAll(async () => {
      await dbl?.stop();
      for (const s of stops) await s();
      rmSync(work, { recursive: true, force: true });
    });

    it("analyzes what is reachable, reports every other image as coverage, and continues", async () => {
      const r = await cli([
        "images",
        "discover",
        "--snapshot",
        snapshot,
        // Base finding has its own test (images-bases.test.ts); here only what the workloads run.
        "--bases",
        "none",
        "--dangerously-allow-http",
        "-o",
        "json",
      ]);
      expect([r.code, r.stderr]).toEqual([0, ""]);
      const doc = JSON.parse(r.stdout) as DiscoverJson;
      const failed = haveHtpasswd ? 5 : 4;
      expect(doc.summary).toEqual({ discovered: 2 + failed, alreadyKnown: 0, analyzed: 2, failed });
      const reg = `127.0.0.1:${port}`;
      const images = doc.images.map(({ key, status, refs, digest, error }) => ({
        key,
        status,
        refs,
        digest,
        code: error?.code,
        reason: error?.reason,
      }));
      expect(images).toEqual(
        [
          ...(haveHtpasswd
            ? [
                {
                  key: `127.0.0.1:${authPort}/private/child:1`,
                  status: "failed",
                  refs: [`127.0.0.1:${authPort}/private/child:1`],
                  digest: undefined,
                  code: "FORBIDDEN",
                  reason: "forbidden",
                },
              ]
            : []),
          {
            key: `127.0.0.1:${deadPort}/test/gone:1`,
            status: "failed",
            refs: [`127.0.0.1:${deadPort}/test/gone:1`],
            digest: undefined,
            code: "IO",
            reason: "unreachable",
          },
          {
            key: `${reg}/test/arm-only:1`,
            status: "failed",
            refs: [`${reg}/test/arm-only:1`],
            digest: undefined,
            code: "UNSUPPORTED",
            reason: "unsupported",
          },
          {
            key: `${reg}/test/base:nope`,
            status: "failed",
            refs: [`${reg}/test/base:nope`],
            digest: undefined,
            code: "INPUT",
            reason: "missing",
          },
          {
            key: `127.0.0.1:${tamperPort}/test/base:1`,
            status: "failed",
            refs: [`127.0.0.1:${tamperPort}/test/base:1`],
            digest: undefined,
            code: "INTEGRITY",
            reason: "invalid",
          },
          {
            key: baseDigest,
            status: "analyzed",
            refs: [`${reg}/test/base:1`, `${reg}/test/base@${baseDigest}`],
            digest: baseDigest,
            code: undefined,
            reason: undefined,
          },
          {
            key: childDigest,
            status: "analyzed",
            refs: [`${reg}/test/child@${childDigest}`],
            digest: childDigest,
            code: undefined,
            reason: undefined,
          },
        ].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)),
      );
      const once = (n: string) => `used by 1 workload, e.g. apps/Deployment/${n}`;
      expect(doc.coverage).toEqual(
        [
          ...(haveHtpasswd
            ? [
                {
                  reason: "forbidden",
                  subject: `127.0.0.1:${authPort}/private/child:1`,
                  message: `cannot analyze 127.0.0.1:${authPort}/private/child:1 (${once("private")}): 127.0.0.1:${authPort}: authentication required`,
                },
              ]
            : []),
          {
            reason: "unreachable",
            subject: `127.0.0.1:${deadPort}/test/gone:1`,
            message: `cannot analyze 127.0.0.1:${deadPort}/test/gone:1 (${once("gone")}): network error fetching https://127.0.0.1:${deadPort}/v2/test/gone/manifests/1`,
          },
          {
            reason: "unsupported",
            subject: `${reg}/test/arm-only:1`,
            message: `cannot analyze ${reg}/test/arm-only:1 (${once("arm")}): no manifest for platform linux/amd64 in index (has: linux/arm64)`,
          },
          {
            reason: "missing",
            subject: `${reg}/test/base:nope`,
            message: `cannot analyze ${reg}/test/base:nope (${once("typo")}): ${reg}/test/base: manifests nope not found`,
          },
          {
            reason: "invalid",
            subject: `127.0.0.1:${tamperPort}/test/base:1`,
            message: expect.stringMatching(
              new RegExp(
                `^cannot analyze 127\\.0\\.0\\.1:${tamperPort}/test/base:1 \\(${once("tampered")}\\): config (sha256:[0-9a-f]{64}): digest mismatch, expected \\1, got sha256:[0-9a-f]{64}$`,
              ),
            ),
          },
        ].sort((a, b) => (a.subject < b.subject ? -1 : 1)),
      );
    });

    it("remembers both images; the tree puts the child under the base by layer chain", async () => {
      const list = await cli(["images", "list", "-o", "json"]);
      const known = (
        JSON.parse(list.stdout) as { digest: string; refs: string[]; layers: string[]; platform: string }[]
      ).map(({ digest, refs, layers, platform }) => ({ digest, refs, layers: layers.length, platform }));
      const reg = `127.0.0.1:${port}`;
      expect(known).toEqual(
        [
          {
            digest: baseDigest,
            refs: [`${reg}/test/base:1`, `${reg}/test/base@${baseDigest}`],
            layers: 1,
            platform: "linux/amd64",
          },
          {
            digest: childDigest,
            refs: [`${reg}/test/child@${childDigest}`],
            layers: 2,
            platform: "linux/amd64",
          },
        ].sort((a, b) => (a.digest < b.digest ? -1 : 1)),
      );
      const tree = await cli(["images", "tree", "-o", "json"]);
      expect(tree.code).toBe(0);
      const doc = JSON.parse(tree.stdout) as {
        nodes: {
          id: string;
          image: string;
          parent?: string;
          parentSource?: string;
          depth: number;
          ownLayers: number;
          children: string[];
        }[];
        roots: string[];
      };
      expect(
        doc.nodes.map(({ id, image, parent, parentSource, depth, ownLayers, children }) => ({
          id,
          image,
          parent,
          parentSource,
          depth,
          ownLayers,
          children,
        })),
      ).toEqual([
        {
          id: baseDigest,
          image: `${reg}/test/base:1`,
          parent: undefined,
          parentSource: undefined,
          depth: 0,
          ownLayers: 1,
          children: [childDigest],
        },
        {
          id: childDigest,
          image: `${reg}/test/child@${childDigest}`,
          parent: baseDigest,
          parentSource: "layers",
          depth: 1,
          ownLayers: 1,
          children: [],
        },
      ]);
      expect(doc.roots).toEqual([baseDigest]);
    });

    it("a second run skips known images; with --registry-auth the private image is analyzed and merges into the child", async () => {
      const argv = ["images", "discover", "--snapshot", snapshot, "--concurrency", "2", "--bases", "none"];
      if (haveHtpasswd) {
        const auth = join(work, "auth.json");
        const basic = Buffer.from("alice:s3cret").toString("base64");
        writeFileSync(auth, JSON.stringify({ auths: { [`127.0.0.1:${authPort}`]: { auth: basic } } }));
        argv.push("--registry-auth", "auth.json");
      }
      // Text output; no --dangerously-allow-http: the registries are on loopback, where http is the default.
      const r = await cli(argv, "2026-01-11T00:00:00Z");
      expect([r.code, r.stderr]).toEqual([0, ""]);
      const lines = r.stdout.trim().split("\n");
      expect(lines.at(-1)).toBe(
        haveHtpasswd
          ? "discovered 7, already known 2, analyzed 1, failed 4"
          : "discovered 6, already known 2, analyzed 0, failed 4",
      );
      expect(lines.filter((l) => l.startsWith("known ")).length).toBe(2);
      expect(lines.filter((l) => l.startsWith("failed ")).map((l) => l.split(": ").slice(0, 2))).toEqual(
        [
          [`failed    127.0.0.1:${deadPort}/test/gone:1`, "unreachable"],
          [`failed    127.0.0.1:${port}/test/arm-only:1`, "unsupported"],
          [`failed    127.0.0.1:${port}/test/base:nope`, "missing"],
          [`failed    127.0.0.1:${tamperPort}/test/base:1`, "invalid"],
        ].sort((a, b) => ((a[0] as string) < (b[0] as string) ? -1 : 1)),
      );
      if (!haveHtpasswd) return;
      const list = JSON.parse((await cli(["images", "list", "-o", "json"])).stdout) as {
        digest: string;
        refs: string[];
      }[];
      // Pulled by tag from the second registry, it is the child by digest: one image, one more ref.
      expect(list.map((i) => [i.digest, i.refs])).toEqual(
        [
          [baseDigest, [`127.0.0.1:${port}/test/base:1`, `127.0.0.1:${port}/test/base@${baseDigest}`]],
          // Refs sort by code unit, so their order depends on the two random ports.
          [
            childDigest,
            [`127.0.0.1:${authPort}/private/child:1`, `127.0.0.1:${port}/test/child@${childDigest}`].sort(),
          ],
        ].sort((a, b) => ((a[0] as string) < (b[0] as string) ? -1 : 1)),
      );
    });

    it("usage errors: a bad --concurrency, --output or a registry-auth file with __proto__ exit 2", async () => {
      expect((await cli(["images", "discover", "--snapshot", snapshot, "--concurrency", "0"])).code).toBe(2);
      expect((await cli(["images", "discover", "--snapshot", snapshot, "-o", "dot"])).code).toBe(2);
      const bad = join(work, "bad-auth.json");
      writeFileSync(bad, '{"auths": {"__proto__": {"auth": "YTpi"}}}');
      const r = await cli(["images", "discover", "--snapshot", snapshot, "--registry-auth", bad]);
      expect([r.code, r.stdout]).toEqual([2, ""]);
      expect(r.stderr).toBe(`palisade: ${bad}: key "__proto__" refused\n`);
      expect((await cli(["images", "discover"])).code).toBe(2);
    });

    it("discovers into PostgreSQL (PALISADE_DB=postgres://...) exactly as into a SQLite file", async () => {
      const base = process.env.PALISADE_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/test";
      const schema = `palisade_test_${process.pid}_${randomBytes(6).toString("hex")}`;
      const url = new URL(base);
      url.searchParams.set("schema", schema);
      const run = (argv: string[], env: NodeJS.ProcessEnv) =>
        runCli(argv, { env, now: new Date("2026-01-12T00:00:00Z"), cwd: work });
      const steps = [
        ["images", "discover", "--snapshot", snapshot, "-o", "json"],
        ["images", "discover", "--snapshot", snapshot],
        ["images", "list", "-o", "json"],
        ["images", "tree"],
      ];
      try {
        const viaSqlite: CliResult[] = [];
        const viaPg: CliResult[] = [];
        for (const argv of steps) viaSqlite.push(await run(argv, { PALISADE_DB: join(work, "compare.db") }));
        for (const argv of steps) viaPg.push(await run(argv, { PALISADE_DB: url.toString() }));
        // Messages name the database: the file, or the URL (printed without its user and password).
        const named = (rs: CliResult[], where: string | RegExp) =>
          rs.map((r) => ({ ...r, stderr: r.stderr.replaceAll(where, "<db>") }));
        expect(viaSqlite[0]?.code).toBe(0);
        expect(named(viaPg, new RegExp(`postgres://[^ ]*schema=${schema}`, "g"))).toEqual(
          named(viaSqlite, join(work, "compare.db")),
        );
      } finally {
        const admin = new pg.Client({ connectionString: base });
        await admin.connect();
        await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        await admin.end();
      }
    });
  },
);
