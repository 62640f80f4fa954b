import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });

function write(root: string, rel: string, body: string): void {
  const p = join(root, rel);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, body);
}

type Pkg = [name: string, version: string, source?: string];

const dpkgStatus = (pkgs: Pkg[]) =>
  pkgs
    .map(
      ([n, v, src]) =>
        `Package: ${n}\nStatus: install ok installed\nArchitecture: amd64\n${src ? `Source: ${src}\n` : ""}Version: ${v}\n`,
    )
    .join("\n");

const OS_RELEASE =
  'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n';

/** The packages of each level: an OS base, a language runtime on it, services on the runtime. */
export const OS_OLD: Pkg[] = [
  ["base-files", "12.4+deb12u5"],
  ["libssl3", "3.0.11-1~deb12u2", "openssl"],
];
export const OS_NEW: Pkg[] = [
  ["base-files", "12.4+deb12u6"],
  ["libssl3", "3.0.13-1~deb12u1", "openssl"],
];
export const RUNTIME_EXTRA: Pkg[] = [["curl", "7.88.1-10+deb12u5"]];

/**
 * A three-level chain in one OCI layout, built with umoci (each child unpacked from its parent and repacked, so
 * it keeps the parent's layers and adds one):
 *   os:12.1        Debian 12, libssl3 3.0.11 (openssl, vulnerable)
 *   os:12.2        a later release of os (its own single layer): openssl fixed
 *   os:11.9        an earlier release (never advised)
 *   runtime:3.11   os:12.1 + curl 7.88.1-10+deb12u5 (vulnerable)
 *   svc-a:1        runtime:3.11 + express 4.18.2 (vulnerable)
 *   svc-b:1        runtime:3.11 + a file
 *   builder:1      an unrelated single-layer image (a build stage, never anyone's base)
 * `annotate` writes the base annotations the image tools write (runtime names os:12.1 in a config label,
 * svc-a names runtime:3.11 in its manifest annotations).
 */
export function buildChain(work: string, registry: string, annotate: boolean): { layout: string } {
  const layout = join(work, "chain-layout");
  run("umoci", ["init", "--layout", layout]);
  let n = 0;
  const bundle = () => join(work, `chain-b${n++}`);
  const fresh = (tag: string, files: Record<string, string>) => {
    run("umoci", ["new", "--image", `${layout}:${tag}`]);
    run("umoci", ["config", "--image", `${layout}:${tag}`, "--os", "linux", "--architecture", "amd64"]);
    const b = bundle();
    run("umoci", ["unpack", "--rootless", "--image", `${layout}:${tag}`, b]);
    for (const [p, body] of Object.entries(files)) write(join(b, "rootfs"), p, body);
    run("umoci", ["repack", "--image", `${layout}:${tag}`, b]);
  };
  const on = (parent: string, tag: string, files: Record<string, string>, config: string[] = []) => {
    const b = bundle();
    run("umoci", ["unpack", "--rootless", "--image", `${layout}:${parent}`, b]);
    for (const [p, body] of Object.entries(files)) write(join(b, "rootfs"), p, body);
    run("umoci", ["repack", "--image", `${layout}:${tag}`, b]);
    if (config.length > 0) run("umoci", ["config", "--image", `${layout}:${tag}`, ...config]);
  };
  fresh("os-12.1", { "etc/os-release": OS_RELEASE, "var/lib/dpkg/status": dpkgStatus(OS_OLD) });
  fresh("os-12.2", { "etc/os-release": OS_RELEASE, "var/lib/dpkg/status": dpkgStatus(OS_NEW) });
  fresh("os-11.9", {
    "etc/os-release": OS_RELEASE,
    "var/lib/dpkg/status": dpkgStatus([["base-files", "11.1"]]),
  });
  fresh("builder-1", { "usr/bin/builder": "#!/bin/sh\n" });
  on(
    "os-12.1",
    "runtime-3.11",
    { "var/lib/dpkg/status": dpkgStatus([...OS_OLD, ...RUNTIME_EXTRA]) },
    annotate ? ["--config.label", `org.opencontainers.image.base.name=${registry}/os:12.1`] : [],
  );
  on(
    "runtime-3.11",
    "svc-a-1",
    { "srv/app/node_modules/express/package.json": JSON.stringify({ name: "express", version: "4.18.2" }) },
    annotate ? ["--manifest.annotation", `org.opencontainers.image.base.name=${registry}/runtime:3.11`] : [],
  );
  on("runtime-3.11", "svc-b-1", { "srv/app/main.sh": "#!/bin/sh\necho b\n" });
  return { layout };
}

/** Where each layout tag goes in the registry. */
export const CHAIN_TAGS: [layoutTag: string, repository: string, tag: string][] = [
  ["os-11.9", "os", "11.9"],
  ["os-12.1", "os", "12.1"],
  ["os-12.2", "os", "12.2"],
  ["builder-1", "builder", "1"],
  ["runtime-3.11", "runtime", "3.11"],
  ["svc-a-1", "svc-a", "1"],
  ["svc-b-1", "svc-b", "1"],
];

/** Push a blob to a registry (monolithic upload: POST, then PUT with the digest). */
async function pushBlob(base: string, repo: string, body: Buffer): Promise<{ digest: string; size: number }> {
  const digest = `sha256:${createHash("sha256").update(body).digest("hex")}`;
  const start = await fetch(`${base}/v2/${repo}/blobs/uploads/`, { method: "POST" });
  const loc = start.headers.get("location");
  if (start.status !== 202 || !loc) throw new Error(`blob upload start: HTTP ${start.status}`);
  const u = new URL(loc, base);
  u.searchParams.set("digest", digest);
  const put = await fetch(u, {
    method: "PUT",
    body,
    headers: { "content-type": "application/octet-stream" },
  });
  if (put.status !== 201) throw new Error(`blob upload: HTTP ${put.status}`);
  return { digest, size: body.length };
}

/**
 * Attach an SLSA v0.2 provenance attestation to `repo@digest` the way cosign does: a DSSE envelope holding the
 * in-toto statement, as the one layer of a manifest tagged `sha256-<hex>.att`.
 */
export async function attachProvenance(
  base: string,
  repo: string,
  digest: string,
  materials: { uri: string; digest: string }[],
): Promise<void> {
  const statement = {
    _type: "https://in-toto.io/Statement/v0.1",
    predicateType: "https://slsa.dev/provenance/v0.2",
    subject: [{ name: repo, digest: { sha256: digest.slice(7) } }],
    predicate: {
      builder: { id: "https://github.com/example/builder" },
      materials: [
        { uri: "git+https://github.com/example/svc-b@refs/heads/main", digest: { sha1: "0".repeat(40) } },
        ...materials.map((m) => ({ uri: m.uri, digest: { sha256: m.digest.slice(7) } })),
      ],
    },
  };
  const envelope = Buffer.from(
    JSON.stringify({
      payloadType: "application/vnd.in-toto+json",
      payload: Buffer.from(JSON.stringify(statement)).toString("base64"),
      signatures: [],
    }),
  );
  const layer = await pushBlob(base, repo, envelope);
  const config = await pushBlob(base, repo, Buffer.from("{}"));
  const manifest = {
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: { mediaType: "application/vnd.oci.image.config.v1+json", ...config },
    layers: [{ mediaType: "application/vnd.dsse.envelope.v1+json", ...layer }],
  };
  const res = await fetch(`${base}/v2/${repo}/manifests/${digest.replace(":", "-")}.att`, {
    method: "PUT",
    body: JSON.stringify(manifest),
    headers: { "content-type": "application/vnd.oci.image.manifest.v1+json" },
  });
  if (res.status !== 201) throw new Error(`attestation manifest: HTTP ${res.status} ${await res.text()}`);
}

/**
 * Add to the chain layout an arm64 image (one layer) and an image index tagged `svc-multi` listing svc-b-1 as
 * linux/amd64 and that image as linux/arm64: a multi-platform service.
 */
export function addMultiPlatform(work: string, layout: string): void {
  run("umoci", ["new", "--image", `${layout}:svc-arm`]);
  run("umoci", ["config", "--image", `${layout}:svc-arm`, "--os", "linux", "--architecture", "arm64"]);
  const b = join(work, "chain-arm");
  run("umoci", ["unpack", "--rootless", "--image", `${layout}:svc-arm`, b]);
  write(join(b, "rootfs"), "etc/os-release", OS_RELEASE);
  write(join(b, "rootfs"), "var/lib/dpkg/status", dpkgStatus(OS_NEW));
  run("umoci", ["repack", "--image", `${layout}:svc-arm`, b]);
  const indexFile = join(layout, "index.json");
  const top = JSON.parse(readFileSync(indexFile, "utf8")) as {
    manifests: { mediaType: string; digest: string; size: number; annotations?: Record<string, string> }[];
  };
  const byTag = (t: string) => {
    const m = top.manifests.find((d) => d.annotations?.["org.opencontainers.image.ref.name"] === t);
    if (!m) throw new Error(`no ${t} in ${layout}`);
    return { mediaType: m.mediaType, digest: m.digest, size: m.size };
  };
  const index = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: "application/vnd.oci.image.index.v1+json",
      manifests: [
        { ...byTag("svc-b-1"), platform: { os: "linux", architecture: "amd64" } },
        { ...byTag("svc-arm"), platform: { os: "linux", architecture: "arm64" } },
      ],
    }),
  );
  const hex = createHash("sha256").update(index).digest("hex");
  writeFileSync(join(layout, "blobs/sha256", hex), index);
  top.manifests.push({
    mediaType: "application/vnd.oci.image.index.v1+json",
    digest: `sha256:${hex}`,
    size: index.length,
    annotations: { "org.opencontainers.image.ref.name": "svc-multi" },
  });
  writeFileSync(indexFile, JSON.stringify(top));
}
