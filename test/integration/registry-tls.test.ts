import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { analyzeImage, loadRegistryCaFile, RegistryClient } from "../../src/adapters/image/index.js";
import { VERSION } from "../../src/apps/cli/version.js";
import { isPalisadeError, type PalisadeError } from "../../src/core/errors/index.js";
import { type Sbom, toCycloneDx } from "../../src/core/sbom/index.js";
import { runCli } from "../support/cli.js";
import { makeTestCerts, type TestCerts } from "../support/tls.js";
import {
  buildTestImage,
  EXPECTED_PACKAGES,
  IMAGE_TOOLS,
  skopeoCopy,
  startRegistry,
  tempDir,
} from "./image-fixture.js";

const TOOLS = [...IMAGE_TOOLS, "/usr/bin/openssl"];
const haveTools = TOOLS.every((t) => existsSync(t));

const NOW = new Date("2026-01-10T00:00:00Z");

const pkgLines = (sbom: Pick<Sbom, "packages">) =>
  sbom.packages.map((p) => `${p.type} ${p.name} ${p.version} ${p.layerIndex ?? "-"}`);

/** Node's reason for a leaf certificate signed by a CA it does not trust (OpenSSL X509_V_ERR code 21). */
const UNTRUSTED = "unable to verify the first certificate (UNABLE_TO_VERIFY_LEAF_SIGNATURE)";
const untrustedMessage = (host: string) =>
  `TLS certificate verification failed for ${host}: ${UNTRUSTED}; if the registry uses a private CA, trust it with --registry-ca FILE (the \`ca\` option) or NODE_EXTRA_CA_CERTS`;

// CI installs the tools (.ci/run): there a missing tool is a failure, not a skip.
if (!haveTools && process.env.CI !== undefined)
  it("umoci, skopeo, docker-registry, zip and openssl are installed in CI", () => {
    expect(TOOLS.filter((t) => !existsSync(t))).toEqual([]);
  });

describe.skipIf(!haveTools)(
  "registry client against a real docker-registry serving TLS from a private CA (skipped without umoci/skopeo/docker-registry/zip/openssl)",
  () => {
    const work = tempDir("palisade-regtls-");
    const certDir = join(work, "tls");
    let certs: TestCerts;
    let layout = "";
    let port = 0;
    let host = "";
    let ref = "";
    let stop: (() => Promise<void>) | undefined;

    beforeAll(async () => {
      certs = makeTestCerts(certDir);
      ({ layout } = buildTestImage(work));
      const reg = await startRegistry(work, undefined, { certificate: certs.cert, key: certs.key });
      stop = reg.stop;
      port = reg.port;
      host = `127.0.0.1:${port}`;
      ref = `${host}/test/img:t`;
      // skopeo verifies the registry too: its cert dir holds the CA (containers-certs.d: *.crt are CAs).
      const skopeoCerts = join(work, "skopeo-certs");
      mkdirSync(skopeoCerts);
      writeFileSync(join(skopeoCerts, "ca.crt"), readFileSync(certs.ca));
      skopeoCopy(`oci:${layout}:t`, `docker://${ref}`, ["--dest-cert-dir", skopeoCerts]);
    });

    afterAll(async () => {
      await stop?.();
      rmSync(work, { recursive: true, force: true });
    });

    it("the registry speaks only TLS: a plain http request is answered 400", async () => {
      const res = await fetch(`http://${host}/v2/`);
      await res.body?.cancel();
      expect(res.status).toBe(400);
    });

    it("with the CA: the image is analyzed over https (loopback needs no http flag) with its packages", async () => {
      const { sbom, coverage } = await analyzeImage(ref, { ca: readFileSync(certs.ca) });
      expect(pkgLines(sbom)).toEqual(EXPECTED_PACKAGES);
      expect(sbom.subject.name).toBe(ref);
      expect(coverage).toEqual([]);
    });

    it("the CA given as a bundle file (comments, the wrong CA, then the right one) is read whole", async () => {
      const bundle = join(work, "bundle.pem");
      writeFileSync(
        bundle,
        `# a CA bundle\n${readFileSync(certs.wrongCa, "utf8")}\n# ours\n${readFileSync(certs.ca, "utf8")}`,
      );
      const ca = await loadRegistryCaFile(bundle);
      expect(ca).toHaveLength(2);
      const { sbom } = await analyzeImage(ref, { ca });
      expect(pkgLines(sbom)).toEqual(EXPECTED_PACKAGES);
    });

    it("the client chose https for the loopback registry and keeps it", async () => {
      const client = new RegistryClient(host, "test/img", { ca: readFileSync(certs.ca, "utf8") });
      try {
        expect((await client.manifest("t")).digest).toMatch(/^sha256:[0-9a-f]{64}$/);
        expect(client.base).toBe(`https://${host}`);
      } finally {
        client.close();
      }
    });

    describe("pathological cases", () => {
      const failure = async (p: Promise<unknown>): Promise<PalisadeError> => {
        const e = await p.then(
          () => undefined,
          (err: unknown) => err,
        );
        if (!isPalisadeError(e)) throw new Error(`expected a PalisadeError, got ${String(e)}`);
        return e;
      };

      it("without the CA: an IO error naming certificate verification and the host, no fallback to http", async () => {
        const e = await failure(analyzeImage(ref));
        expect({ code: e.code, message: e.message, context: e.context }).toEqual({
          code: "IO",
          message: untrustedMessage(host),
          context: { url: `https://${host}` },
        });
      });

      it("with a wrong CA: the same error (Node's default roots are still there, ours is not)", async () => {
        const e = await failure(analyzeImage(ref, { ca: readFileSync(certs.wrongCa) }));
        expect({ code: e.code, message: e.message }).toEqual({ code: "IO", message: untrustedMessage(host) });
      });

      it("a CA option that holds no certificate is refused before any connection", async () => {
        const e = await failure(analyzeImage(ref, { ca: "not a certificate" }));
        expect({ code: e.code, message: e.message }).toEqual({
          code: "INPUT",
          message: 'registry CA: no PEM certificate ("-----BEGIN CERTIFICATE-----") found',
        });
      });

      it("forcing plain http to a TLS registry is a clear REMOTE error, not a crash", async () => {
        const client = new RegistryClient(host, "test/img", { plainHttp: true });
        const e = await failure(client.manifest("t"));
        client.close();
        expect({ code: e.code, message: e.message }).toEqual({
          code: "REMOTE",
          message: `${host}: HTTP 400 for /v2/test/img/manifests/t`,
        });
      });
    });

    it("NODE_EXTRA_CA_CERTS keeps working next to an explicit (wrong) CA option", async () => {
      // Node reads NODE_EXTRA_CA_CERTS at startup: a child process is the only honest way to set it.
      const script = `
        import { readFileSync } from "node:fs";
        import { analyzeImage } from "./src/adapters/image/index.ts";
        const { sbom } = await analyzeImage(${JSON.stringify(ref)}, { ca: readFileSync(${JSON.stringify(certs.wrongCa)}) });
        process.stdout.write(String(sbom.packages.length));
      `;
      const out = await new Promise<string>((ok, fail) =>
        execFile(
          resolve("node_modules/.bin/tsx"),
          ["--input-type=module", "-e", script],
          { cwd: resolve("."), env: { ...process.env, NODE_EXTRA_CA_CERTS: certs.ca }, timeout: 60_000 },
          (err, stdout, stderr) => (err ? fail(new Error(`${err.message}\n${stderr}`)) : ok(stdout)),
        ),
      );
      expect(out).toBe(String(EXPECTED_PACKAGES.length));
    });

    describe("CLI", () => {
      const cli = (argv: string[]) => runCli(argv, { env: {}, cwd: certDir, now: NOW });

      it("palisade sbom REF --registry-ca ca.crt -o cyclonedx (relative to the cwd, no --dangerously-allow-http)", async () => {
        const r = await cli(["sbom", ref, "--registry-ca", "ca.crt", "-o", "cyclonedx"]);
        expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" });
        // The CLI's document is exactly the library's SBOM of the same image (whose packages are checked above).
        const { sbom } = await analyzeImage(ref, { ca: readFileSync(certs.ca) });
        expect(pkgLines(sbom)).toEqual(EXPECTED_PACKAGES);
        expect(JSON.parse(r.stdout)).toEqual(toCycloneDx(sbom, { now: NOW, toolVersion: VERSION }));
      });

      it("palisade sbom without --registry-ca fails with exit 2 and names the host and the verification", async () => {
        const r = await cli(["sbom", ref, "-o", "json"]);
        expect(r).toEqual({ code: 2, stdout: "", stderr: `palisade: ${untrustedMessage(host)}\n` });
      });

      it("palisade vuln scan over TLS reports what the same image gives from its OCI layout", async () => {
        const db = join(work, "vuln.db");
        // One advisory that the image's curl (7.88.1-10+deb12u5, layer 1) is affected by.
        const osv = join(work, "osv");
        mkdirSync(osv);
        writeFileSync(
          join(osv, "DSA-TEST-1.json"),
          JSON.stringify({
            schema_version: "1.6.0",
            id: "DSA-TEST-1",
            modified: "2026-01-01T00:00:00Z",
            summary: "curl - security update",
            affected: [
              {
                package: { ecosystem: "Debian:12", name: "curl" },
                ranges: [
                  { type: "ECOSYSTEM", events: [{ introduced: "0" }, { fixed: "7.88.1-10+deb12u6" }] },
                ],
              },
            ],
          }),
        );
        const imp = await cli(["vuln", "db", "import", osv, "--db", db]);
        expect(imp.code).toBe(0);
        const viaTls = await cli(["vuln", "scan", ref, "--registry-ca", "ca.crt", "--db", db, "-o", "json"]);
        const local = await cli(["vuln", "scan", `oci:${layout}:t`, "--db", db, "-o", "json"]);
        expect(viaTls.code).toBe(0);
        expect(local.code).toBe(0);
        const ids = (out: string) =>
          (
            JSON.parse(out) as {
              findings: { vulnerabilityId: string; package: { name: string }; installed: string }[];
            }
          ).findings.map((f) => `${f.vulnerabilityId} ${f.package.name} ${f.installed}`);
        expect(ids(viaTls.stdout)).toEqual(["DSA-TEST-1 curl 7.88.1-10+deb12u5"]);
        expect(ids(local.stdout)).toEqual(ids(viaTls.stdout));
      });

      it("palisade images add and images discover with --registry-ca", async () => {
        const db = join(work, "images.db");
        const add = await cli(["images", "add", ref, "--registry-ca", "ca.crt", "--db", db]);
        expect({ code: add.code, stderr: add.stderr }).toEqual({ code: 0, stderr: "" });
        expect(add.stdout).toMatch(
          new RegExp(
            `^added ${ref.replace(/[.]/g, "\\.")} sha256:[0-9a-f]{64} linux/amd64 3 layers, 8 packages\n$`,
          ),
        );

        const manifest = join(work, "deploy.yaml");
        writeFileSync(
          manifest,
          `apiVersion: apps/v1\nkind: Deployment\nmetadata: {namespace: apps, name: web}\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: main, image: "${host}/test/img:t"}]}\n`,
        );
        const fresh = join(work, "discover.db");
        const ok = await cli([
          "images",
          "discover",
          "-f",
          manifest,
          "--registry-ca",
          "ca.crt",
          "--db",
          fresh,
          "-o",
          "json",
        ]);
        expect(ok.code).toBe(0);
        const found = JSON.parse(ok.stdout) as { summary: unknown; coverage: { message: string }[] };
        expect(found.summary).toMatchObject({
          discovered: 1,
          alreadyKnown: 0,
          analyzed: 1,
          failed: 0,
          // Base finding read the catalog through the same CA: no base, and nothing unreadable.
          bases: { mode: "all", ancestors: 0, undetermined: 1 },
        });
        expect(
          found.coverage.map((c) => c.message.startsWith(`no base found for ${host}/test/img:t: `)),
        ).toEqual([true]);
        const without = await cli([
          "images",
          "discover",
          "-f",
          manifest,
          "--db",
          join(work, "d2.db"),
          "-o",
          "json",
        ]);
        const doc = JSON.parse(without.stdout) as {
          summary: { failed: number };
          images: { error?: { code: string; message: string } }[];
        };
        expect(doc.summary.failed).toBe(1);
        expect(doc.images[0]?.error).toMatchObject({ code: "IO", message: untrustedMessage(host) });
      });

      describe("pathological cases", () => {
        it("--registry-ca naming a missing file, a key, a directory or a corrupt certificate: exit 2 naming the file", async () => {
          writeFileSync(
            join(certDir, "corrupt.crt"),
            "-----BEGIN CERTIFICATE-----\nTUlJQm9ndXM=\n-----END CERTIFICATE-----\n",
          );
          const cases: [string, string][] = [
            ["missing.crt", "cannot read CA file: ENOENT"],
            ["srv.key", 'no PEM certificate ("-----BEGIN CERTIFICATE-----") found'],
            [".", "not a file"],
            ["corrupt.crt", "certificate 1 is not a valid X.509 certificate"],
          ];
          for (const [file, why] of cases) {
            const r = await cli(["sbom", ref, "--registry-ca", file, "-o", "json"]);
            expect(r).toEqual({ code: 2, stdout: "", stderr: `palisade: ${join(certDir, file)}: ${why}\n` });
          }
        });

        it("--registry-ca over the size cap is refused before it is read", async () => {
          const big = join(certDir, "big.pem");
          writeFileSync(big, Buffer.alloc(1024 * 1024 + 1, 0x41));
          const r = await cli(["sbom", ref, "--registry-ca", "big.pem", "-o", "json"]);
          expect(r).toEqual({ code: 2, stdout: "", stderr: `palisade: ${big}: larger than 1048576 bytes\n` });
        });
      });
    });
  },
);
