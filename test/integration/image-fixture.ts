import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

/** Tools the image integration tests need (installed by .ci/run). */
export const IMAGE_TOOLS = ["/usr/bin/umoci", "/usr/bin/skopeo", "/usr/bin/docker-registry", "/usr/bin/zip"];

const run = (cmd: string, args: string[], cwd?: string) =>
  execFileSync(cmd, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });

function write(root: string, rel: string, body: string | Buffer, mode?: number): void {
  const p = join(root, rel);
  mkdirSync(dirname(p), { recursive: true });
  writeFileSync(p, body, mode === undefined ? {} : { mode });
}

const status = (pkgs: [string, string, string?][]) =>
  pkgs
    .map(
      ([n, v, src]) =>
        `Package: ${n}\nStatus: install ok installed\nArchitecture: amd64\n${src ? `Source: ${src}\n` : ""}Version: ${v}\n`,
    )
    .join("\n");

/**
 * Build a three-layer test image with umoci:
 *   layer 0: os-release (Debian 12), dpkg status {base-files, libssl3 (Source: openssl), bash}, distroless-style
 *            status.d/zlib1g, apk db, a Python dist-info, node_modules (2 packages), a package-lock.json, a jar;
 *   layer 1: dpkg status gains curl;
 *   layer 2: status.d/zlib1g and node_modules/left-pad removed (umoci writes whiteouts), python dist-info removed.
 * Returns the layout dir (tag "t") and the final rootfs (for the dir: source).
 */
export function buildTestImage(work: string): { layout: string; rootfs: string } {
  const layout = join(work, "layout");
  run("umoci", ["init", "--layout", layout]);
  run("umoci", ["new", "--image", `${layout}:t`]);
  run("umoci", [
    "config",
    "--image",
    `${layout}:t`,
    "--config.label",
    "org.example.team=payments",
    "--os",
    "linux",
    "--architecture",
    "amd64",
  ]);
  const bundle = (n: number) => join(work, `b${n}`);
  run("umoci", ["unpack", "--rootless", "--image", `${layout}:t`, bundle(0)]);
  let root = join(bundle(0), "rootfs");
  write(
    root,
    "etc/os-release",
    'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n',
  );
  write(
    root,
    "var/lib/dpkg/status",
    status([
      ["base-files", "12.4+deb12u5"],
      ["libssl3", "3.0.11-1~deb12u2", "openssl"],
      ["bash", "5.2.15-2+b2"],
    ]),
  );
  write(root, "var/lib/dpkg/status.d/zlib1g", status([["zlib1g", "1:1.2.13.dfsg-1", "zlib"]]));
  write(root, "lib/apk/db/installed", "P:musl\nV:1.2.4-r2\nA:x86_64\no:musl\n\n");
  write(
    root,
    "usr/lib/python3/dist-packages/requests-2.31.0.dist-info/METADATA",
    "Metadata-Version: 2.1\nName: requests\nVersion: 2.31.0\n\nbody\n",
  );
  write(
    root,
    "srv/app/node_modules/express/package.json",
    JSON.stringify({ name: "express", version: "4.18.2" }),
  );
  write(
    root,
    "srv/app/node_modules/left-pad/package.json",
    JSON.stringify({ name: "left-pad", version: "1.3.0" }),
  );
  write(
    root,
    "srv/app/package-lock.json",
    JSON.stringify({
      lockfileVersion: 3,
      packages: { "": {}, "node_modules/express": { version: "4.18.2" } },
    }),
  );
  const jarDir = join(work, "jar");
  write(jarDir, "META-INF/MANIFEST.MF", "Manifest-Version: 1.0\n\n");
  write(
    jarDir,
    "META-INF/maven/org.apache.commons/commons-text/pom.properties",
    "groupId=org.apache.commons\nartifactId=commons-text\nversion=1.9\n",
  );
  mkdirSync(join(root, "opt/app"), { recursive: true });
  run("zip", ["-q", "-r", join(root, "opt/app/app.jar"), "META-INF"], jarDir);
  run("umoci", ["repack", "--image", `${layout}:t`, bundle(0)]);

  run("umoci", ["unpack", "--rootless", "--image", `${layout}:t`, bundle(1)]);
  root = join(bundle(1), "rootfs");
  write(
    root,
    "var/lib/dpkg/status",
    status([
      ["base-files", "12.4+deb12u5"],
      ["libssl3", "3.0.11-1~deb12u2", "openssl"],
      ["bash", "5.2.15-2+b2"],
      ["curl", "7.88.1-10+deb12u5"],
    ]),
  );
  run("umoci", ["repack", "--image", `${layout}:t`, bundle(1)]);

  run("umoci", ["unpack", "--rootless", "--image", `${layout}:t`, bundle(2)]);
  root = join(bundle(2), "rootfs");
  rmSync(join(root, "var/lib/dpkg/status.d/zlib1g"));
  rmSync(join(root, "srv/app/node_modules/left-pad"), { recursive: true });
  rmSync(join(root, "usr/lib/python3/dist-packages"), { recursive: true });
  run("umoci", ["repack", "--image", `${layout}:t`, bundle(2)]);
  return { layout, rootfs: root };
}

/** The packages the test image holds, as `type name version layerIndex`. */
export const EXPECTED_PACKAGES = [
  "apk musl 1.2.4-r2 0",
  "deb base-files 12.4+deb12u5 0",
  "deb bash 5.2.15-2+b2 0",
  "deb curl 7.88.1-10+deb12u5 1",
  "deb libssl3 3.0.11-1~deb12u2 0",
  "maven commons-text 1.9 0",
  "npm express 4.18.2 0",
  "npm express 4.18.2 0",
];

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      const port = typeof a === "object" && a ? a.port : 0;
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

/**
 * A real `docker-registry` (Debian's distribution 2.x) on 127.0.0.1, optionally with htpasswd basic auth, and
 * optionally serving TLS with the given PEM certificate and key files (`http.tls` in its config).
 */
export async function startRegistry(
  work: string,
  htpasswd?: string,
  tls?: { certificate: string; key: string },
): Promise<{ port: number; stop: () => Promise<void> }> {
  const port = await freePort();
  const dir = mkdtempSync(join(work, "registry-"));
  const auth = htpasswd ? `auth:\n  htpasswd:\n    realm: test\n    path: ${htpasswd}\n` : "";
  const tlsCfg = tls ? `  tls:\n    certificate: ${tls.certificate}\n    key: ${tls.key}\n` : "";
  const cfg = `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${join(dir, "data")}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:${port}\n${tlsCfg}${auth}`;
  writeFileSync(join(dir, "config.yml"), cfg);
  const child: ChildProcess = spawn("/usr/bin/docker-registry", ["serve", join(dir, "config.yml")], {
    stdio: "ignore",
  });
  for (let i = 0; i < 100; i++) {
    // Any HTTP answer means it listens (a TLS registry answers plain http with 400).
    const ok = await fetch(`http://127.0.0.1:${port}/v2/`).then(
      () => true,
      () => false,
    );
    if (ok) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    port,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

export function skopeoCopy(src: string, dest: string, extra: string[] = []): void {
  run("skopeo", ["copy", "--insecure-policy", ...extra, src, dest]);
}

/**
 * Two images in one OCI layout, built with umoci: "base" (one layer: Debian os-release and a dpkg status with
 * base-files and libssl3) and "child" (base's layer unchanged, plus one layer adding curl to the dpkg status).
 * The child's layer chain extends the base's: the base is its parent in the image tree.
 */
export function buildBaseAndChild(work: string): { layout: string } {
  const layout = join(work, "lineage-layout");
  run("umoci", ["init", "--layout", layout]);
  run("umoci", ["new", "--image", `${layout}:base`]);
  run("umoci", ["config", "--image", `${layout}:base`, "--os", "linux", "--architecture", "amd64"]);
  const b0 = join(work, "lineage-b0");
  run("umoci", ["unpack", "--rootless", "--image", `${layout}:base`, b0]);
  const base: [string, string, string?][] = [
    ["base-files", "12.4+deb12u5"],
    ["libssl3", "3.0.11-1~deb12u2", "openssl"],
  ];
  write(
    join(b0, "rootfs"),
    "etc/os-release",
    'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n',
  );
  write(join(b0, "rootfs"), "var/lib/dpkg/status", status(base));
  run("umoci", ["repack", "--image", `${layout}:base`, b0]);
  // Unpacked from base, repacked under another tag: umoci keeps base's layers and adds the diff as one layer.
  const b1 = join(work, "lineage-b1");
  run("umoci", ["unpack", "--rootless", "--image", `${layout}:base`, b1]);
  write(join(b1, "rootfs"), "var/lib/dpkg/status", status([...base, ["curl", "7.88.1-10+deb12u5"]]));
  run("umoci", ["repack", "--image", `${layout}:child`, b1]);
  return { layout };
}

/**
 * An OCI layout written by hand, for artifacts umoci does not make (cosign's `.sig` manifests, Sigstore bundle
 * artifacts, referrers indexes): blobs by digest and named manifests, pushed with skopeo like any image.
 */
export class HandMadeLayout {
  private readonly refs: { mediaType: string; digest: string; size: number; name: string }[] = [];
  constructor(readonly dir: string) {
    mkdirSync(join(dir, "blobs", "sha256"), { recursive: true });
    writeFileSync(join(dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  }

  /** Store a blob; its descriptor (without media type). */
  blob(bytes: Buffer): { digest: string; size: number } {
    const hex = createHash("sha256").update(bytes).digest("hex");
    writeFileSync(join(this.dir, "blobs", "sha256", hex), bytes);
    return { digest: `sha256:${hex}`, size: bytes.length };
  }

  /** Store a manifest or index under `name` (the layout's ref name); its descriptor. */
  manifest(name: string, doc: Record<string, unknown>): { mediaType: string; digest: string; size: number } {
    const mediaType = String(doc.mediaType);
    const d = { mediaType, ...this.blob(Buffer.from(JSON.stringify(doc))) };
    this.refs.push({ ...d, name });
    writeFileSync(
      join(this.dir, "index.json"),
      JSON.stringify({
        schemaVersion: 2,
        manifests: this.refs.map((r) => ({
          mediaType: r.mediaType,
          digest: r.digest,
          size: r.size,
          annotations: { "org.opencontainers.image.ref.name": r.name },
        })),
      }),
    );
    return d;
  }
}
