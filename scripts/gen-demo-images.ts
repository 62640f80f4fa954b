/**
 * Generates examples/demo/images (OCI image layouts), examples/demo/snapshots/{before,after}.json and
 * examples/demo/advisories for the image-lineage part of the demo. Deterministic: layers are uncompressed tars
 * with fixed metadata built from the dpkg status contents below, so digests never change between runs.
 * Run: npx tsx scripts/gen-demo-images.ts  (the output is committed).
 *
 * The tree: debian:12 -> company/base-runtime:1.4 -> team-a/checkout:2.0, team-b/search:1.0
 *                     -> company/base-runtime:1.5 (openssl fixed) -> team-a/checkout:2.1, team-b/search:1.1
 * The advisories are fictional (CVE-2099-*), shaped like Debian OSV records.
 */
import { createHash } from "node:crypto";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const DEMO = join(import.meta.dirname, "..", "examples", "demo");
const sha = (b: Uint8Array): string => `sha256:${createHash("sha256").update(b).digest("hex")}`;

/** A POSIX ustar archive of regular files with fixed owner, mode and mtime (0). */
function tar(files: Record<string, string>): Buffer {
  const blocks: Buffer[] = [];
  for (const [name, text] of Object.entries(files)) {
    const data = Buffer.from(text, "utf8");
    const h = Buffer.alloc(512);
    h.write(name, 0, 100, "utf8");
    h.write("0000644\0", 100);
    h.write("0000000\0", 108);
    h.write("0000000\0", 116);
    h.write(`${data.length.toString(8).padStart(11, "0")}\0`, 124);
    h.write("00000000000\0", 136);
    h.write("        ", 148);
    h.write("0", 156);
    h.write("ustar\0", 257);
    h.write("00", 263);
    let sum = 0;
    for (const b of h) sum += b;
    h.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148);
    blocks.push(h, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

type Pkg = [name: string, version: string, source?: string];
const dpkg = (pkgs: Pkg[]): string =>
  pkgs
    .map(([name, version, source]) =>
      [
        `Package: ${name}`,
        "Status: install ok installed",
        "Architecture: amd64",
        ...(source ? [`Source: ${source}`] : []),
        `Version: ${version}`,
        `Description: ${name} (Palisade demo)`,
        "",
      ].join("\n"),
    )
    .join("\n");

const OS_RELEASE =
  'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\nID=debian\n';
const DEBIAN: Pkg[] = [
  ["base-files", "12.4+deb12u5"],
  ["libc6", "2.36-9+deb12u4", "glibc"],
  ["zlib1g", "1:1.2.13.dfsg-1", "zlib"],
];
const RUNTIME_14: Pkg[] = [
  ...DEBIAN,
  ["ca-certificates", "20230311"],
  ["libssl3", "3.0.11-1~deb12u1", "openssl"],
  ["openssl", "3.0.11-1~deb12u1"],
];
const RUNTIME_15: Pkg[] = [
  ...DEBIAN,
  ["ca-certificates", "20230311"],
  ["libssl3", "3.0.15-1~deb12u1", "openssl"],
  ["openssl", "3.0.15-1~deb12u1"],
];
const CURL: Pkg[] = [
  ["curl", "7.88.1-10+deb12u4"],
  ["libcurl4", "7.88.1-10+deb12u4", "curl"],
];

const LAYERS = {
  debian: tar({ "etc/os-release": OS_RELEASE, "var/lib/dpkg/status": dpkg(DEBIAN) }),
  runtime14: tar({ "var/lib/dpkg/status": dpkg(RUNTIME_14), "etc/company-runtime": "1.4\n" }),
  runtime15: tar({ "var/lib/dpkg/status": dpkg(RUNTIME_15), "etc/company-runtime": "1.5\n" }),
  checkout: tar({ "var/lib/dpkg/status": dpkg([...RUNTIME_14, ...CURL]), "srv/checkout/VERSION": "2.0\n" }),
  checkout21: tar({ "var/lib/dpkg/status": dpkg([...RUNTIME_15, ...CURL]), "srv/checkout/VERSION": "2.1\n" }),
  search: tar({ "srv/search/VERSION": "1.0\n" }),
  search11: tar({ "srv/search/VERSION": "1.1\n" }),
};

interface DemoImage {
  dir: string;
  ref: string;
  layers: (keyof typeof LAYERS)[];
  base?: string;
}
const IMAGES: DemoImage[] = [
  { dir: "debian-12", ref: "docker.io/library/debian:12", layers: ["debian"] },
  {
    dir: "base-runtime-1.4",
    ref: "registry.example/company/base-runtime:1.4",
    layers: ["debian", "runtime14"],
    base: "docker.io/library/debian:12",
  },
  {
    dir: "base-runtime-1.5",
    ref: "registry.example/company/base-runtime:1.5",
    layers: ["debian", "runtime15"],
    base: "docker.io/library/debian:12",
  },
  {
    dir: "checkout-2.0",
    ref: "registry.example/team-a/checkout:2.0",
    layers: ["debian", "runtime14", "checkout"],
    base: "registry.example/company/base-runtime:1.4",
  },
  {
    dir: "checkout-2.1",
    ref: "registry.example/team-a/checkout:2.1",
    layers: ["debian", "runtime15", "checkout21"],
    base: "registry.example/company/base-runtime:1.5",
  },
  {
    dir: "search-1.0",
    ref: "registry.example/team-b/search:1.0",
    layers: ["debian", "runtime14", "search"],
    base: "registry.example/company/base-runtime:1.4",
  },
  {
    dir: "search-1.1",
    ref: "registry.example/team-b/search:1.1",
    layers: ["debian", "runtime15", "search11"],
    base: "registry.example/company/base-runtime:1.5",
  },
];

/** Write one OCI image layout; returns the manifest digest. */
function writeLayout(img: DemoImage, manifestDigests: Map<string, string>): string {
  const dir = join(DEMO, "images", img.dir);
  mkdirSync(join(dir, "blobs", "sha256"), { recursive: true });
  const blob = (b: Buffer): { digest: string; size: number } => {
    const digest = sha(b);
    writeFileSync(join(dir, "blobs", "sha256", digest.slice(7)), b);
    return { digest, size: b.length };
  };
  const layers = img.layers.map((l) => ({
    mediaType: "application/vnd.oci.image.layer.v1.tar",
    ...blob(LAYERS[l]),
  }));
  const config = Buffer.from(
    JSON.stringify({
      architecture: "amd64",
      os: "linux",
      config: { Labels: { "org.opencontainers.image.title": img.ref } },
      rootfs: { type: "layers", diff_ids: layers.map((l) => l.digest) },
      history: img.layers.map((l) => ({ created_by: `palisade demo layer ${l}` })),
    }),
  );
  const annotations: Record<string, string> = {};
  if (img.base) {
    annotations["org.opencontainers.image.base.name"] = img.base;
    const d = manifestDigests.get(img.base);
    if (d) annotations["org.opencontainers.image.base.digest"] = d;
  }
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: { mediaType: "application/vnd.oci.image.config.v1+json", ...blob(config) },
      layers,
      ...(Object.keys(annotations).length ? { annotations } : {}),
    }),
  );
  const m = blob(manifest);
  const tag = img.ref.slice(img.ref.lastIndexOf(":") + 1);
  writeFileSync(join(dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  writeFileSync(
    join(dir, "index.json"),
    JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.index.v1+json",
      manifests: [
        {
          mediaType: "application/vnd.oci.image.manifest.v1+json",
          ...m,
          platform: { architecture: "amd64", os: "linux" },
          annotations: { "org.opencontainers.image.ref.name": tag },
        },
      ],
    }),
  );
  return m.digest;
}

function deployment(
  ns: string,
  name: string,
  team: string,
  image: string,
  digest: string,
  replicas: number,
): object[] {
  const labels = { app: name };
  const uid = `demo-${ns}-${name}`;
  return [
    {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name, namespace: ns, uid, labels: { team } },
      spec: {
        replicas,
        selector: { matchLabels: labels },
        template: { metadata: { labels }, spec: { containers: [{ name, image }] } },
      },
    },
    ...Array.from({ length: replicas }, (_, i) => ({
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        name: `${name}-${i}`,
        namespace: ns,
        labels,
        ownerReferences: [{ apiVersion: "apps/v1", kind: "Deployment", name, uid, controller: true }],
      },
      spec: { containers: [{ name, image }] },
      status: {
        phase: "Running",
        containerStatuses: [{ name, image, imageID: `${image.slice(0, image.lastIndexOf(":"))}@${digest}` }],
      },
    })),
  ];
}

function snapshot(checkout: string, search: string, digests: Map<string, string>): string {
  const items = [
    { apiVersion: "v1", kind: "Namespace", metadata: { name: "checkout", labels: { team: "team-a" } } },
    { apiVersion: "v1", kind: "Namespace", metadata: { name: "search", labels: { team: "team-b" } } },
    ...deployment("checkout", "checkout", "team-a", checkout, digests.get(checkout) as string, 3),
    ...deployment("search", "search", "team-b", search, digests.get(search) as string, 2),
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "checkout", namespace: "checkout" },
      spec: { type: "LoadBalancer", selector: { app: "checkout" }, ports: [{ port: 443 }] },
    },
  ];
  return `${JSON.stringify({ apiVersion: "v1", kind: "List", items }, null, 2)}\n`;
}

function advisory(
  id: string,
  name: string,
  fixed: string | undefined,
  vector: string,
  summary: string,
): string {
  return `${JSON.stringify(
    {
      schema_version: "1.6.0",
      id: `DEBIAN-${id}`,
      modified: "2025-01-01T00:00:00Z",
      aliases: [id],
      summary,
      severity: [{ type: "CVSS_V3", score: vector }],
      affected: [
        {
          package: { ecosystem: "Debian:12", name },
          ranges: [{ type: "ECOSYSTEM", events: [{ introduced: "0" }, ...(fixed ? [{ fixed }] : [])] }],
        },
      ],
    },
    null,
    2,
  )}\n`;
}

rmSync(join(DEMO, "images"), { recursive: true, force: true });
const digests = new Map<string, string>();
for (const img of IMAGES) digests.set(img.ref, writeLayout(img, digests));
mkdirSync(join(DEMO, "snapshots"), { recursive: true });
writeFileSync(
  join(DEMO, "snapshots", "before.json"),
  snapshot("registry.example/team-a/checkout:2.0", "registry.example/team-b/search:1.0", digests),
);
writeFileSync(
  join(DEMO, "snapshots", "after.json"),
  snapshot("registry.example/team-a/checkout:2.1", "registry.example/team-b/search:1.1", digests),
);
mkdirSync(join(DEMO, "advisories"), { recursive: true });
writeFileSync(
  join(DEMO, "advisories", "DEBIAN-CVE-2099-0001.json"),
  advisory(
    "CVE-2099-0001",
    "openssl",
    "3.0.13-1~deb12u1",
    "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
    "Fictional demo: openssl remote code execution",
  ),
);
writeFileSync(
  join(DEMO, "advisories", "DEBIAN-CVE-2099-0002.json"),
  advisory(
    "CVE-2099-0002",
    "curl",
    "7.88.1-10+deb12u5",
    "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N",
    "Fictional demo: curl credential leak",
  ),
);
writeFileSync(
  join(DEMO, "advisories", "DEBIAN-CVE-2099-0003.json"),
  advisory(
    "CVE-2099-0003",
    "zlib",
    undefined,
    "CVSS:3.1/AV:L/AC:H/PR:L/UI:R/S:U/C:L/I:N/A:N",
    "Fictional demo: zlib info leak, no fix yet",
  ),
);
writeFileSync(
  join(DEMO, "images", "refs.txt"),
  `${IMAGES.map((i) => `${i.dir} ${i.ref} ${digests.get(i.ref)}`).join("\n")}\n`,
);
console.log(`wrote ${IMAGES.length} OCI layouts, 2 snapshots, 3 advisories under ${DEMO}`);
