import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { IMAGE_TOOLS, skopeoCopy, startRegistry, tempDir } from "./image-fixture.js";
import { addMultiPlatform, attachProvenance, buildChain, CHAIN_TAGS } from "./lineage-chain.js";
import { type RegistryDouble, startTokenAuthDouble } from "./registry-double.js";

const haveTools = IMAGE_TOOLS.every((t) => existsSync(t));
const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";

async function digestOfTag(port: number, repo: string, tag: string): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/v2/${repo}/manifests/${tag}`, {
    method: "HEAD",
    headers: { accept: OCI_MANIFEST },
  });
  const d = res.headers.get("docker-content-digest");
  if (!res.ok || !d) throw new Error(`no digest for ${repo}:${tag} (HTTP ${res.status})`);
  return d;
}

/** OSV advisories: openssl (in the OS base), curl (added by the runtime), express (added by svc-a). */
function writeAdvisories(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const osv = (id: string, ecosystem: string, name: string, fixed: string, score: string) => ({
    schema_version: "1.6.0",
    id,
    modified: "2026-01-01T00:00:00Z",
    aliases: [id.replace(/^DEBIAN-/, "")],
    severity: [{ type: "CVSS_V3", score }],
    affected: [
      {
        package: { ecosystem, name },
        ranges: [{ type: "ECOSYSTEM", events: [{ introduced: "0" }, { fixed }] }],
      },
    ],
  });
  const critical = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";
  const medium = "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:L/I:L/A:N";
  for (const a of [
    osv("DEBIAN-CVE-2099-1001", "Debian:12", "openssl", "3.0.13-1~deb12u1", critical),
    osv("DEBIAN-CVE-2099-1002", "Debian:12", "curl", "7.88.1-10+deb12u6", medium),
    osv("GHSA-0000-0000-1003", "npm", "express", "4.19.2", medium),
  ])
    writeFileSync(join(dir, `${a.id}.json`), JSON.stringify(a));
}

/** Deployments running the service images by digest only (pods report the digest in imageID). */
function snapshotOf(items: { ns: string; name: string; image: string }[]): string {
  const objects = items.flatMap(({ ns, name, image }) => {
    const labels = { app: name };
    return [
      { apiVersion: "v1", kind: "Namespace", metadata: { name: ns } },
      {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { namespace: ns, name, uid: `uid-${name}` },
        spec: {
          replicas: 1,
          selector: { matchLabels: labels },
          template: { metadata: { labels }, spec: { containers: [{ name: "main", image }] } },
        },
      },
      {
        apiVersion: "v1",
        kind: "Pod",
        metadata: {
          namespace: ns,
          name: `${name}-0`,
          labels,
          ownerReferences: [
            { apiVersion: "apps/v1", kind: "Deployment", name, uid: `uid-${name}`, controller: true },
          ],
        },
        spec: { containers: [{ name: "main", image }] },
        status: {
          phase: "Running",
          containerStatuses: [{ name: "main", image, imageID: image, ready: true }],
        },
      },
    ];
  });
  return JSON.stringify({ apiVersion: "v1", kind: "List", items: objects });
}

interface DiscoverJson {
  summary: {
    discovered: number;
    analyzed: number;
    failed: number;
    bases?: {
      mode: string;
      ancestors: number;
      bySource: Record<string, number>;
      releases: number;
      undetermined: number;
    };
  };
  bases?: { ancestors: { ref: string; source: string }[]; releases: { ref: string }[] };
  coverage: { reason: string; subject?: string; message: string }[];
}

interface TreeJson {
  nodes: {
    image: string;
    parent?: string;
    depth: number;
    vulnerabilities: { total: number; fixHere: number };
  }[];
}

if (!haveTools && process.env.CI !== undefined)
  it("umoci, skopeo, docker-registry and zip are installed in CI", () => {
    expect(IMAGE_TOOLS.filter((t) => !existsSync(t))).toEqual([]);
  });

describe.skipIf(!haveTools)(
  "images discover finds the bases of a three-level chain in a real docker-registry (skipped without umoci/skopeo/docker-registry)",
  () => {
    const work = tempDir("palisade-bases-");
    const advisories = join(work, "advisories");
    const full = join(work, "full.json");
    let port = 0;
    let reg = "";
    const digests = new Map<string, string>();
    const stops: (() => Promise<void>)[] = [];
    let dbl: RegistryDouble | undefined;
    const cli = (db: string, argv: string[], now = "2026-02-01T00:00:00Z") =>
      runCli([...argv, "--db", join(work, db)], { env: {}, now: new Date(now), cwd: work });

    beforeAll(async () => {
      const r = await startRegistry(work);
      stops.push(r.stop);
      port = r.port;
      reg = `127.0.0.1:${port}`;
      const { layout } = buildChain(work, reg, true);
      for (const [from, repo, tag] of CHAIN_TAGS) {
        skopeoCopy(`oci:${layout}:${from}`, `docker://${reg}/${repo}:${tag}`, ["--dest-tls-verify=false"]);
        digests.set(`${repo}:${tag}`, await digestOfTag(port, repo, tag));
      }
      // svc-b says where it came from only in its provenance: the runtime, and a builder stage it does not extend.
      await attachProvenance(`http://${reg}`, "svc-b", digests.get("svc-b:1") as string, [
        { uri: `pkg:docker/${reg}/runtime@3.11`, digest: digests.get("runtime:3.11") as string },
        { uri: `pkg:docker/${reg}/builder@1`, digest: digests.get("builder:1") as string },
      ]);
      writeAdvisories(advisories);
      writeFileSync(
        full,
        snapshotOf([
          { ns: "shop", name: "svc-a", image: `${reg}/svc-a@${digests.get("svc-a:1")}` },
          { ns: "blog", name: "svc-b", image: `${reg}/svc-b@${digests.get("svc-b:1")}` },
        ]),
      );
      dbl = await startTokenAuthDouble(`http://${reg}`, { mode: "no-catalog" });
    }, 120_000);

    afterAll(async () => {
      await dbl?.stop();
      for (const s of stops) await s();
      rmSync(work, { recursive: true, force: true });
    });

    /** The tree; service images are named by tag once a registry scan saw the tags that name them. */
    const expectedTree = (tagged = true) => [
      [`${reg}/os:12.1`, 0],
      [`${reg}/runtime:3.11`, 1],
      [tagged ? `${reg}/svc-a:1` : `${reg}/svc-a@${digests.get("svc-a:1")}`, 2],
      [tagged ? `${reg}/svc-b:1` : `${reg}/svc-b@${digests.get("svc-b:1")}`, 2],
      [`${reg}/os:12.2`, 0],
    ];

    it("--bases registry: the catalog, tags, manifests and configs give the whole ancestry and the later release", async () => {
      expect((await cli("registry.db", ["vuln", "db", "import", advisories])).code).toBe(0);
      const r = await cli("registry.db", [
        "images",
        "discover",
        "--snapshot",
        full,
        "--bases",
        "registry",
        "-o",
        "json",
      ]);
      expect([r.code, r.stderr]).toEqual([0, ""]);
      const doc = JSON.parse(r.stdout) as DiscoverJson;
      expect(doc.summary).toMatchObject({
        discovered: 2,
        analyzed: 2,
        failed: 0,
        bases: {
          mode: "registry",
          ancestors: 2,
          bySource: { registry: 2, annotation: 0, provenance: 0, known: 0 },
          releases: 1,
          undetermined: 0,
        },
      });
      expect(doc.bases?.ancestors.map((a) => [a.ref, a.source]).sort()).toEqual([
        [`${reg}/os:12.1`, "registry"],
        [`${reg}/runtime:3.11`, "registry"],
      ]);
      expect(doc.bases?.releases.map((x) => x.ref)).toEqual([`${reg}/os:12.2`]);
      // Nothing else was pulled: the builder and the older release are not known images.
      const listed = JSON.parse((await cli("registry.db", ["images", "list", "-o", "json"])).stdout) as {
        refs: string[];
      }[];
      const refs = listed.flatMap((i) => i.refs.filter((x) => !x.includes("@"))).sort();
      expect(refs).toEqual([
        `${reg}/os:12.1`,
        `${reg}/os:12.2`,
        `${reg}/runtime:3.11`,
        `${reg}/svc-a:1`,
        `${reg}/svc-b:1`,
      ]);
    });

    it("the tree is whole, each vulnerability is fixed where it was introduced, and the advice names the later release", async () => {
      const tree = JSON.parse(
        (await cli("registry.db", ["images", "tree", "-o", "json"])).stdout,
      ) as TreeJson;
      expect(tree.nodes.map((n) => [n.image, n.depth])).toEqual(expectedTree());
      const fixAt = async (id: string) => {
        const r = await cli("registry.db", ["vuln", "impact", id, "--snapshot", full, "-o", "json"]);
        expect(r.code).toBe(0);
        return (JSON.parse(r.stdout) as { fixAt: { image: string }[] }).fixAt.map((f) => f.image);
      };
      expect(await fixAt("CVE-2099-1001")).toEqual([`${reg}/os:12.1`]);
      expect(await fixAt("CVE-2099-1002")).toEqual([`${reg}/runtime:3.11`]);
      expect(await fixAt("GHSA-0000-0000-1003")).toEqual([`${reg}/svc-a:1`]);
      const plan = JSON.parse(
        (await cli("registry.db", ["vuln", "plan", "--snapshot", full, "-o", "json"])).stdout,
      ) as {
        items: { image: string; package: string; rebuild: string[] }[];
        upgrades: { message: string }[];
      };
      expect(plan.items.map((i) => [i.image, i.package, i.rebuild])).toEqual([
        [`${reg}/os:12.1`, "openssl", [`${reg}/runtime:3.11`, `${reg}/svc-a:1`, `${reg}/svc-b:1`]],
        [`${reg}/runtime:3.11`, "curl", [`${reg}/svc-a:1`, `${reg}/svc-b:1`]],
        [`${reg}/svc-a:1`, "express", []],
      ]);
      expect(plan.upgrades.map((u) => u.message)).toEqual([
        `move FROM ${reg}/os:12.1 to ${reg}/os:12.2: clears 1 of 1 vulnerability in 4 images / 2 workloads / 1 team`,
      ]);
    });

    it("a partial snapshot does not close a record; observing every place again without the digest does", async () => {
      type Status = { records: { key: string; state: string }[]; transitions: { key: string; to: string }[] };
      const status = async (snap: string, at: string): Promise<Status> => {
        const r = await cli("registry.db", ["vuln", "status", "--snapshot", snap, "--at", at, "-o", "json"]);
        expect(r.code).toBe(0);
        return JSON.parse(r.stdout) as Status;
      };
      // The services replaced by a workload on the fixed OS release (a kind is observed only when some object of
      // it is in the snapshot: an inventory with no Deployment says nothing about Deployments).
      const fixedIn = (namespaces: string[]) =>
        snapshotOf(
          namespaces.map((ns) => ({ ns, name: `fixed-${ns}`, image: `${reg}/os@${digests.get("os:12.2")}` })),
        );
      const openssl = (s: Status) => s.records.find((r) => r.key.startsWith("CVE-2099-1001|"))?.state;
      const first = await status(full, "2026-02-01T01:00:00Z");
      // One record per (vulnerability, family where it is fixed); the OS has a later release without it.
      expect(first.records.map((r) => [r.key, r.state])).toEqual([
        [`CVE-2099-1001|${reg}/os`, "patched-image"],
        [`CVE-2099-1002|${reg}/runtime`, "fix-available"],
        [`GHSA-0000-0000-1003|${reg}/svc-a`, "fix-available"],
      ]);
      expect(openssl(first)).not.toBe("closed");
      // One namespace observed, its workload gone: svc-b in "blog" was not observed, so the OS record stays.
      const shopOnly = join(work, "shop-only.json");
      writeFileSync(shopOnly, fixedIn(["shop"]));
      const partial = await status(shopOnly, "2026-02-01T02:00:00Z");
      expect(openssl(partial)).toBe(openssl(first));
      // Only the record whose every workload lived in the observed namespace closes.
      expect(partial.transitions.filter((t) => t.to === "closed").map((t) => t.key)).toEqual([
        `GHSA-0000-0000-1003|${reg}/svc-a`,
      ]);
      // Both namespaces observed without the vulnerable digest: the record closes.
      const both = join(work, "both-empty.json");
      writeFileSync(both, fixedIn(["blog", "shop"]));
      expect(openssl(await status(both, "2026-02-01T03:00:00Z"))).toBe("closed");
    });

    it("--bases all (the default): claims first, then the registry; attestation tags are not taken for images", async () => {
      const r = await cli("all.db", ["images", "discover", "--snapshot", full]);
      expect([r.code, r.stderr]).toEqual([0, ""]);
      expect(r.stdout.split("\n").filter((l) => l.startsWith("bases"))).toEqual([
        "bases (all): 2 ancestors (2 by annotation), 1 later release, 9 manifests read, 3 images analyzed; 0 running images without a known base",
      ]);
    });

    it("--bases annotations: base annotations and cosign provenance alone give the same tree", async () => {
      const r = await cli("claims.db", [
        "images",
        "discover",
        "--snapshot",
        full,
        "--bases",
        "annotations",
        "-o",
        "json",
      ]);
      expect([r.code, r.stderr]).toEqual([0, ""]);
      const doc = JSON.parse(r.stdout) as DiscoverJson;
      expect(doc.bases?.ancestors.map((a) => [a.ref, a.source]).sort()).toEqual([
        [`${reg}/os:12.1`, "annotation"],
        [`${reg}/runtime:3.11`, "annotation"],
      ]);
      expect(doc.bases?.releases.map((x) => x.ref)).toEqual([`${reg}/os:12.2`]);
      const tree = JSON.parse((await cli("claims.db", ["images", "tree", "-o", "json"])).stdout) as TreeJson;
      expect(tree.nodes.map((n) => [n.image, n.depth])).toEqual(expectedTree(false));
    });

    it("provenance alone: the material the image extends is its base, the builder stage is not", async () => {
      const only = join(work, "only-b.json");
      writeFileSync(
        only,
        snapshotOf([{ ns: "blog", name: "svc-b", image: `${reg}/svc-b@${digests.get("svc-b:1")}` }]),
      );
      const r = await cli("prov.db", [
        "images",
        "discover",
        "--snapshot",
        only,
        "--bases",
        "annotations",
        "-o",
        "json",
      ]);
      expect([r.code, r.stderr]).toEqual([0, ""]);
      const doc = JSON.parse(r.stdout) as DiscoverJson;
      expect(doc.bases?.ancestors.map((a) => [a.ref, a.source]).sort()).toEqual([
        [`${reg}/os:12.1`, "annotation"],
        [`${reg}/runtime:3.11`, "provenance"],
      ]);
    });

    it("a registry that does not list repositories is said, and --base-repos names them (TEST DOUBLE refusing /v2/_catalog in front of the real registry)", async () => {
      const front = `127.0.0.1:${dbl?.port}`;
      const snap = join(work, "front.json");
      writeFileSync(
        snap,
        snapshotOf([{ ns: "shop", name: "svc-a", image: `${front}/svc-a@${digests.get("svc-a:1")}` }]),
      );
      const r = await cli("front.db", [
        "images",
        "discover",
        "--snapshot",
        snap,
        "--bases",
        "registry",
        "-o",
        "json",
      ]);
      expect(r.code).toBe(0);
      const doc = JSON.parse(r.stdout) as DiscoverJson;
      expect(doc.summary.bases).toMatchObject({ ancestors: 0, undetermined: 1 });
      expect(doc.coverage.filter((c) => c.message.startsWith("no base found"))).toEqual([
        {
          reason: "missing",
          subject: `${front}/svc-a@${digests.get("svc-a:1")}`,
          message: `no base found for ${front}/svc-a@${digests.get("svc-a:1")}: the registry does not list repositories (${front}: ${front}: access to  denied (HTTP 403)); name them with --base-repos`,
        },
      ]);
      const named = await cli("front.db", [
        "images",
        "discover",
        "--snapshot",
        snap,
        "--bases",
        "registry",
        "--base-repos",
        `${front}/os,${front}/runtime`,
        "-o",
        "json",
      ]);
      expect([named.code, named.stderr]).toEqual([0, ""]);
      const d2 = JSON.parse(named.stdout) as DiscoverJson;
      expect(d2.summary.bases).toMatchObject({ ancestors: 2, undetermined: 0, releases: 1 });
    });

    it("a base tag that moved is recorded with its history", async () => {
      const before = digests.get("os:12.1") as string;
      // os:12.1 rebuilt: the tag now names the image os:12.2 names.
      skopeoCopy(`oci:${join(work, "chain-layout")}:os-12.2`, `docker://${reg}/os:12.1`, [
        "--dest-tls-verify=false",
      ]);
      const after = await digestOfTag(port, "os", "12.1");
      expect(after).toBe(digests.get("os:12.2"));
      const r = await cli(
        "registry.db",
        ["images", "discover", "--snapshot", full, "--bases", "registry", "-o", "json"],
        "2026-02-02T00:00:00Z",
      );
      expect([r.code, r.stderr]).toEqual([0, ""]);
      const h = await cli("registry.db", ["images", "history", `${reg}/os:12.1`, "-o", "json"]);
      expect(JSON.parse(h.stdout)).toEqual([
        { ref: `${reg}/os:12.1`, platform: "linux/amd64", digest: before, at: "2026-02-01T00:00:00.000Z" },
        { ref: `${reg}/os:12.1`, platform: "linux/amd64", digest: after, at: "2026-02-02T00:00:00.000Z" },
      ]);
      const text = await cli("registry.db", ["images", "history", `${reg}/os:12.1`]);
      expect(text.stdout).toBe(
        `         ${reg}/os:12.1 linux/amd64 ${before} since 2026-02-01T00:00:00.000Z\n` +
          `moved to ${reg}/os:12.1 linux/amd64 ${after} since 2026-02-02T00:00:00.000Z\n`,
      );
      // The runtime is still built on the image the tag named before: the tree keeps that edge.
      const tree = JSON.parse(
        (await cli("registry.db", ["images", "tree", "-o", "json"])).stdout,
      ) as TreeJson;
      expect(tree.nodes.map((n) => [n.image, n.depth])).toEqual([
        [`${reg}/os:12.1`, 0],
        [`${reg}/os@${before}`, 0],
        [`${reg}/runtime:3.11`, 1],
        [`${reg}/svc-a:1`, 2],
        [`${reg}/svc-b:1`, 2],
      ]);
    });

    it("an index digest running on amd64 and arm64 nodes is analyzed for both platforms", async () => {
      addMultiPlatform(work, join(work, "chain-layout"));
      skopeoCopy(`oci:${join(work, "chain-layout")}:svc-multi`, `docker://${reg}/svc-multi:1`, [
        "--dest-tls-verify=false",
        "--all",
      ]);
      const res = await fetch(`http://${reg}/v2/svc-multi/manifests/1`, {
        method: "HEAD",
        headers: { accept: "application/vnd.oci.image.index.v1+json" },
      });
      const index = res.headers.get("docker-content-digest") as string;
      const node = (name: string, arch: string) => ({
        apiVersion: "v1",
        kind: "Node",
        metadata: { name },
        status: { nodeInfo: { operatingSystem: "linux", architecture: arch } },
      });
      const doc = JSON.parse(
        snapshotOf([{ ns: "shop", name: "multi", image: `${reg}/svc-multi@${index}` }]),
      ) as {
        items: Record<string, unknown>[];
      };
      const pod = doc.items.find((o) => o.kind === "Pod") as {
        metadata: { name: string };
        spec: Record<string, unknown>;
      };
      const arm = structuredClone(pod);
      arm.metadata.name = "multi-1";
      arm.spec.nodeName = "n-arm";
      pod.spec.nodeName = "n-amd";
      doc.items.push(arm, node("n-amd", "amd64"), node("n-arm", "arm64"));
      const snap = join(work, "multi.json");
      writeFileSync(snap, JSON.stringify(doc));
      const r = await cli("multi.db", [
        "images",
        "discover",
        "--snapshot",
        snap,
        "--bases",
        "none",
        "-o",
        "json",
      ]);
      expect([r.code, r.stderr]).toEqual([0, ""]);
      const out = JSON.parse(r.stdout) as {
        summary: { discovered: number; analyzed: number };
        images: { key: string; status: string; platform?: string; digest?: string }[];
      };
      expect(out.summary).toMatchObject({ discovered: 1, analyzed: 2 });
      expect(out.images.map((i) => [i.key, i.status, i.platform])).toEqual([
        [index, "analyzed", "linux/amd64"],
        [index, "analyzed", "linux/arm64"],
      ]);
      expect(out.images[0]?.digest).toBe(digests.get("svc-b:1"));
      // Run again: both platforms are known, nothing is pulled.
      const again = JSON.parse(
        (await cli("multi.db", ["images", "discover", "--snapshot", snap, "--bases", "none", "-o", "json"]))
          .stdout,
      ) as { summary: { alreadyKnown: number; analyzed: number } };
      expect(again.summary).toMatchObject({ alreadyKnown: 2, analyzed: 0 });
    });
  },
);
