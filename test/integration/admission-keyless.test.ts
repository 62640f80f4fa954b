import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reviewForCreate } from "../../src/services/admission/index.js";
import { type Served, serve } from "../support/admission-serve.js";
import { runCli } from "../support/cli.js";
import { makeCertificateAuthority, SigstoreInstance, simpleSigningPayload } from "../support/sigstore-pki.js";
import { makeTestCerts } from "../support/tls.js";
import { buildBaseAndChild, IMAGE_TOOLS, skopeoCopy, startRegistry, tempDir } from "./image-fixture.js";

const haveTools = IMAGE_TOOLS.every((t) => existsSync(t));

// CI installs the image tools (.ci/run): there a missing tool is a failure, not a skip.
if (!haveTools && process.env.CI !== undefined)
  it("umoci, skopeo, docker-registry and zip are installed in CI", () => {
    expect(IMAGE_TOOLS.filter((t) => !existsSync(t))).toEqual([]);
  });

const ISSUER = "https://issuer.acme.example";
const SUBJECT = "release@acme.example";
const ISSUED = new Date("2026-03-01T10:00:00Z");

/** How each image is signed (or not): one image each, pushed to a real registry, referenced by its digest. */
const CASES = [
  "good",
  "wrong-subject",
  "wrong-issuer",
  "another-ca",
  "expired",
  "tampered",
  "unsigned",
] as const;
type Case = (typeof CASES)[number];

describe.skipIf(!haveTools)(
  "keyless signatures: images in a real docker-registry, signed by a CA made here; the offline check and the webhook agree (skipped without umoci/skopeo/docker-registry)",
  () => {
    const work = tempDir("palisade-admission-keyless-");
    const stops: (() => Promise<void>)[] = [];
    const digests = new Map<Case, string>();
    let served: Served | undefined;
    let repo = "";

    beforeAll(async () => {
      const { layout } = buildBaseAndChild(work);
      const registry = await startRegistry(work);
      stops.push(registry.stop);
      repo = `127.0.0.1:${registry.port}/test/app`;
      const sigstore = new SigstoreInstance(new Date("2026-01-01T00:00:00Z"));
      const bundles = join(work, "bundles");
      mkdirSync(bundles);
      for (const c of CASES) {
        // One image per case: base's layer, a config label of its own (so a digest of its own).
        execFileSync("umoci", [
          "config",
          "--image",
          `${layout}:base`,
          "--tag",
          c,
          "--config.label",
          `case=${c}`,
        ]);
        skopeoCopy(`oci:${layout}:${c}`, `docker://${repo}:${c}`, ["--dest-tls-verify=false"]);
        const digest = execFileSync("skopeo", [
          "inspect",
          "--tls-verify=false",
          "--format",
          "{{.Digest}}",
          `docker://${repo}:${c}`,
        ])
          .toString()
          .trim();
        digests.set(c, digest);
        const signed = { subject: { email: SUBJECT }, issuer: ISSUER, issuedAt: ISSUED };
        const bundle = {
          good: () => sigstore.signImage(repo, digest, signed),
          "wrong-subject": () =>
            sigstore.signImage(repo, digest, { ...signed, subject: { email: "mallory@acme.example" } }),
          "wrong-issuer": () =>
            sigstore.signImage(repo, digest, { ...signed, issuer: "https://evil.example" }),
          "another-ca": () =>
            sigstore.signImage(repo, digest, { ...signed, ca: makeCertificateAuthority("another", ISSUED) }),
          expired: () =>
            sigstore.signImage(repo, digest, {
              ...signed,
              loggedAt: new Date(ISSUED.getTime() + 20 * 60_000),
            }),
          tampered: () =>
            sigstore.signImage(repo, digest, {
              ...signed,
              tamper: () => simpleSigningPayload(`${repo}-evil`, digest),
            }),
          unsigned: () => undefined,
        }[c]();
        if (bundle !== undefined)
          writeFileSync(join(bundles, `${digest.replace(":", "-")}.sigstore.json`), bundle);
      }
      mkdirSync(join(work, "sigstore"));
      writeFileSync(join(work, "sigstore", "trusted_root.json"), sigstore.trustedRoot());
      writeFileSync(
        join(work, "policy.yaml"),
        `apiVersion: palisade.dev/v1alpha1
kind: AdmissionPolicy
defaultMode: enforce
signatures:
  - images: ["${repo}"]
    keyless:
      - {issuer: "${ISSUER}", subject: "${SUBJECT}"}
    trustedRoot: sigstore/trusted_root.json
`,
      );
      const pods = CASES.map(
        (c) =>
          `apiVersion: v1\nkind: Pod\nmetadata: {name: ${c}, namespace: shop}\nspec:\n  containers: [{name: app, image: "${repo}@${digests.get(c)}"}]\n`,
      );
      writeFileSync(
        join(work, "pods.yaml"),
        `apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n---\n${pods.join("---\n")}`,
      );
      writeFileSync(join(work, "ns.yaml"), "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n");
      served = await serve(
        [
          "--policy",
          join(work, "policy.yaml"),
          "--namespaces",
          join(work, "ns.yaml"),
          "--signatures",
          bundles,
          "--db",
          join(work, "none.db"),
          // A loaded machine must not turn a verification into a failure-policy answer: this test is about the
          // decisions, not the deadline (tested in the webhook's own tests).
          "--deadline",
          "60s",
        ],
        makeTestCerts(join(work, "tls")),
      );
    }, 120_000);

    afterAll(async () => {
      served?.proc.kill("SIGTERM");
      for (const s of stops) await s();
      rmSync(work, { recursive: true, force: true });
    });

    it("admits the image signed by the identity, denies each other with its reason, the same from both", async () => {
      const offline = await runCli([
        "admission",
        "test",
        "-f",
        join(work, "pods.yaml"),
        "--policy",
        join(work, "policy.yaml"),
        "--signatures",
        join(work, "bundles"),
        "-o",
        "json",
      ]);
      expect(offline.code).toBe(1);
      const decisions = (
        JSON.parse(offline.stdout) as {
          decisions: { resource: { name: string }; allowed: boolean; message?: string }[];
        }
      ).decisions;
      const online: Record<string, { allowed: boolean; message: string | undefined }> = {};
      for (const c of CASES) {
        const review = reviewForCreate(
          {
            apiVersion: "v1",
            kind: "Pod",
            metadata: { name: c, namespace: "shop" },
            spec: { containers: [{ name: "app", image: `${repo}@${digests.get(c)}` }] },
          },
          `keyless-${c}`,
        );
        // The webhook sheds a review while its event loop lags (a loaded machine): ask again, the answer to an
        // evaluated review is what is compared. Bounded; a hang guard, not a speed assertion.
        let r: { response: { allowed: boolean; status?: { message: string } } } | undefined;
        for (let attempt = 0; attempt < 100; attempt++) {
          r = JSON.parse((await served?.call("POST", "/validate", review))?.text ?? "{}");
          if (!r?.response.status?.message.includes("(load shed)")) break;
          await new Promise((done) => setTimeout(done, 200));
        }
        if (r === undefined) throw new Error("no answer");
        online[c] = { allowed: r.response.allowed, message: r.response.status?.message };
      }
      const offlineByName = Object.fromEntries(
        decisions.map((d) => [d.resource.name, { allowed: d.allowed, message: d.message }]),
      );
      expect(online).toEqual(offlineByName);

      const why = Object.fromEntries(
        CASES.map((c) => {
          const m = online[c]?.message;
          const prefix = `image "${repo}@${digests.get(c)}" must be signed: `;
          return [c, m === undefined ? "allowed" : m.slice(m.indexOf(prefix) + prefix.length)];
        }),
      );
      const failed = (s: string) =>
        `keyless signature does not verify against sigstore/trusted_root.json: ${s} [image/signature]`;
      expect(why).toEqual({
        good: "allowed",
        "wrong-subject": `signed by "mallory@acme.example" (issuer "${ISSUER}"), not a trusted identity: certificate subject "mallory@acme.example" is not "${SUBJECT}" [image/signature]`,
        "wrong-issuer": `signed by "${SUBJECT}" (issuer "https://evil.example"), not a trusted identity: certificate issuer "https://evil.example" is not "${ISSUER}" [image/signature]`,
        "another-ca": failed(
          "CERTIFICATE_ERROR: Failed to verify certificate chain: no valid certificate path found",
        ),
        expired: failed(
          "CERTIFICATE_ERROR: Failed to verify certificate chain: certificate is not valid or expired at the specified date",
        ),
        tampered: failed("TLOG_BODY_ERROR: DSSE payload hash mismatch"),
        // The policy says nothing of where signatures come from: the directory, then the registry (both).
        unsigned: `no signature for ${digests.get("unsigned")}: no bundle in the signatures directory, no ${digests.get("unsigned")?.replace(":", "-")}.sig tag and no Sigstore bundle referrer in ${repo} [image/signature]`,
      });
    }, 120_000);
  },
);
