import { execFileSync } from "node:child_process";
import { createHash, generateKeyPairSync } from "node:crypto";
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reviewForCreate } from "../../src/services/admission/index.js";
import { type Served, serve } from "../support/admission-serve.js";
import { runCli } from "../support/cli.js";
import { cosignKeySignature, SigstoreInstance } from "../support/sigstore-pki.js";
import { makeTestCerts } from "../support/tls.js";
import {
  buildBaseAndChild,
  freePort,
  HandMadeLayout,
  IMAGE_TOOLS,
  skopeoCopy,
  startRegistry,
  tempDir,
} from "./image-fixture.js";

const haveTools = IMAGE_TOOLS.every((t) => existsSync(t)) && existsSync("/usr/bin/htpasswd");

// CI installs the image tools (.ci/run): there a missing tool is a failure, not a skip.
if (!haveTools && process.env.CI !== undefined)
  it("umoci, skopeo, docker-registry and htpasswd are installed in CI", () => {
    expect([...IMAGE_TOOLS, "/usr/bin/htpasswd"].filter((t) => !existsSync(t))).toEqual([]);
  });

const ISSUER = "https://issuer.acme.example";
const SUBJECT = "release@acme.example";
const ISSUED = new Date("2026-03-01T10:00:00Z");

/**
 * One image each, pushed to a real docker-registry with its signature beside it, as cosign stores it:
 * - keyless / key: the `sha256-<hex>.sig` tag (simple-signing layer, signature/certificate/chain/Rekor bundle
 *   annotations), keyless with a CA and logs made here, key with a key made here;
 * - referrer: a Sigstore bundle attached as an OCI 1.1 artifact, listed by the referrers tag schema (this
 *   registry has no referrers API: it answers 404, as the spec expects of one without);
 * - wrong-subject: a keyless signature by another identity; other-digest: a `.sig` whose payload names another
 *   image's digest; unsigned: nothing;
 * - private: key-signed, in a registry with basic auth (credentials given with --registry-auth);
 * - gone: in a registry that is not running (the failure policy answers);
 * - stored-elsewhere: key-signed, its `.sig` pushed to another repository (cosign's COSIGN_REPOSITORY), which the
 *   policy's rule for it names; beside-not-elsewhere: under the same rule, its `.sig` beside the image only.
 */
const CASES = [
  "keyless",
  "key",
  "referrer",
  "wrong-subject",
  "other-digest",
  "unsigned",
  "private",
  "gone",
  "stored-elsewhere",
  "beside-not-elsewhere",
] as const;
type Case = (typeof CASES)[number];

describe.skipIf(!haveTools)(
  "signatures from the registry: cosign .sig tags and attached bundles in a real docker-registry; admission test and the webhook agree (skipped without umoci/skopeo/docker-registry/htpasswd)",
  () => {
    const work = tempDir("palisade-admission-registry-sigs-");
    const stops: (() => Promise<void>)[] = [];
    const images = new Map<Case, string>();
    let served: Served | undefined;
    let hanging: { port: number; close: () => void } | undefined;

    beforeAll(async () => {
      const { layout } = buildBaseAndChild(work);
      const open = await startRegistry(work);
      stops.push(open.stop);
      const htpasswd = join(work, "htpasswd");
      writeFileSync(htpasswd, execFileSync("/usr/bin/htpasswd", ["-nbB", "alice", "s3cret"]));
      const basic = await startRegistry(work, htpasswd);
      stops.push(basic.stop);
      writeFileSync(
        join(work, "auth.json"),
        JSON.stringify({
          auths: { [`127.0.0.1:${basic.port}`]: { auth: Buffer.from("alice:s3cret").toString("base64") } },
        }),
      );
      const repo = `127.0.0.1:${open.port}/test/app`;
      const privateRepo = `127.0.0.1:${basic.port}/test/private`;
      const elsewhereRepo = `127.0.0.1:${open.port}/elsewhere/app`;
      const sigStore = `127.0.0.1:${open.port}/sigs/store`;
      const sigstore = new SigstoreInstance(new Date("2026-01-01T00:00:00Z"));
      const release = generateKeyPairSync("ec", { namedCurve: "P-256" });
      writeFileSync(join(work, "release.pub"), release.publicKey.export({ type: "spki", format: "pem" }));
      const creds = ["--dest-creds", "alice:s3cret"];
      const push = (c: Case, dest: string, extra: string[] = []) => {
        execFileSync("umoci", [
          "config",
          "--image",
          `${layout}:base`,
          "--tag",
          c,
          "--config.label",
          `case=${c}`,
        ]);
        skopeoCopy(`oci:${layout}:${c}`, `docker://${dest}:${c}`, ["--dest-tls-verify=false", ...extra]);
        const raw = execFileSync("skopeo", [
          "inspect",
          "--tls-verify=false",
          ...(extra.length > 0 ? ["--creds", "alice:s3cret"] : []),
          "--raw",
          `docker://${dest}:${c}`,
        ]);
        const digest = `sha256:${createHash("sha256").update(raw).digest("hex")}`;
        return { digest, size: raw.length };
      };
      const hand = new HandMadeLayout(join(work, "artifacts"));
      const config = hand.blob(Buffer.from("{}"));
      /** Push cosign's signature manifest for `digest` to `dest`: one simple-signing layer per signature. */
      const pushSig = (
        dest: string,
        digest: string,
        sigs: { payload: Buffer; annotations: Record<string, string> }[],
        extra: string[] = [],
      ) => {
        const name = `sig-${digest.slice(7, 19)}`;
        hand.manifest(name, {
          schemaVersion: 2,
          mediaType: "application/vnd.oci.image.manifest.v1+json",
          config: { mediaType: "application/vnd.oci.image.config.v1+json", ...config },
          layers: sigs.map((s) => ({
            mediaType: "application/vnd.dev.cosign.simplesigning.v1+json",
            ...hand.blob(s.payload),
            annotations: s.annotations,
          })),
        });
        skopeoCopy(`oci:${hand.dir}:${name}`, `docker://${dest}:${digest.replace(":", "-")}.sig`, [
          "--dest-tls-verify=false",
          "--preserve-digests",
          ...extra,
        ]);
      };
      const signed = { subject: { email: SUBJECT }, issuer: ISSUER, issuedAt: ISSUED };
      for (const c of CASES) {
        if (c === "gone") continue;
        const dest =
          c === "private"
            ? privateRepo
            : c === "stored-elsewhere" || c === "beside-not-elsewhere"
              ? elsewhereRepo
              : repo;
        const image = push(c, dest, c === "private" ? creds : []);
        images.set(c, `${dest}@${image.digest}`);
        if (c === "keyless")
          pushSig(repo, image.digest, [sigstore.cosignSignature(repo, image.digest, signed)]);
        if (c === "key")
          pushSig(repo, image.digest, [cosignKeySignature(release.privateKey, repo, image.digest)]);
        if (c === "private")
          pushSig(
            privateRepo,
            image.digest,
            [cosignKeySignature(release.privateKey, privateRepo, image.digest)],
            creds,
          );
        // cosign signs the image's own repository (its docker-reference) and pushes to COSIGN_REPOSITORY.
        if (c === "stored-elsewhere")
          pushSig(sigStore, image.digest, [
            cosignKeySignature(release.privateKey, elsewhereRepo, image.digest),
          ]);
        if (c === "beside-not-elsewhere")
          pushSig(elsewhereRepo, image.digest, [
            cosignKeySignature(release.privateKey, elsewhereRepo, image.digest),
          ]);
        if (c === "wrong-subject")
          pushSig(repo, image.digest, [
            sigstore.cosignSignature(repo, image.digest, {
              ...signed,
              subject: { email: "mallory@acme.example" },
            }),
          ]);
        if (c === "other-digest") {
          // A genuine signature by the trusted identity, of the keyless image: copied next to this one.
          const other = images.get("keyless")?.split("@")[1] as string;
          pushSig(repo, image.digest, [
            sigstore.cosignSignature(repo, image.digest, { ...signed, payloadDigest: other }),
          ]);
        }
        if (c === "referrer") {
          const bundle = hand.blob(Buffer.from(sigstore.signImage(repo, image.digest, signed)));
          const empty = hand.blob(Buffer.from("{}"));
          const artifact = hand.manifest(`art-${c}`, {
            schemaVersion: 2,
            mediaType: "application/vnd.oci.image.manifest.v1+json",
            artifactType: "application/vnd.dev.sigstore.bundle.v0.3+json",
            config: { mediaType: "application/vnd.oci.empty.v1+json", ...empty },
            layers: [{ mediaType: "application/vnd.dev.sigstore.bundle.v0.3+json", ...bundle }],
            subject: { mediaType: "application/vnd.oci.image.manifest.v1+json", ...image },
          });
          hand.manifest(`refs-${c}`, {
            schemaVersion: 2,
            mediaType: "application/vnd.oci.image.index.v1+json",
            manifests: [{ ...artifact, artifactType: "application/vnd.dev.sigstore.bundle.v0.3+json" }],
          });
          // The referrers tag schema: an index tagged sha256-<hex> (skopeo rewrites it without artifactType).
          skopeoCopy(`oci:${hand.dir}:refs-${c}`, `docker://${repo}:${image.digest.replace(":", "-")}`, [
            "--dest-tls-verify=false",
            "--all",
          ]);
        }
      }
      const gonePort = await freePort();
      images.set("gone", `127.0.0.1:${gonePort}/test/gone@sha256:${"e".repeat(64)}`);
      writeFileSync(join(work, "trusted_root.json"), sigstore.trustedRoot());
      const policy = (failurePolicy: string) => `apiVersion: palisade.dev/v1alpha1
kind: AdmissionPolicy
defaultMode: enforce
failurePolicy: ${failurePolicy}
signaturesFrom: registry
signatures:
  - images: ["127.0.0.1:*/test/*"]
    keys: [release.pub]
    keyless:
      - {issuer: "${ISSUER}", subject: "${SUBJECT}"}
    trustedRoot: trusted_root.json
  - images: ["127.0.0.1:*/elsewhere/*"]
    keys: [release.pub]
    repository: ${sigStore}
`;
      writeFileSync(join(work, "policy.yaml"), policy("Fail"));
      writeFileSync(join(work, "policy-ignore.yaml"), policy("Ignore"));
      const pods = CASES.map(
        (c) =>
          `apiVersion: v1\nkind: Pod\nmetadata: {name: ${c}, namespace: shop}\nspec:\n  containers: [{name: app, image: "${images.get(c)}"}]\n`,
      );
      writeFileSync(
        join(work, "pods.yaml"),
        `apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n---\n${pods.join("---\n")}`,
      );
      writeFileSync(join(work, "ns.yaml"), "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n");
      // TEST DOUBLE — a registry that accepts connections and never answers: no real registry can be made to hang.
      const sockets = new Set<Socket>();
      const server = createServer((s) => {
        sockets.add(s);
        s.on("error", () => {});
      });
      await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
      const addr = server.address();
      hanging = {
        port: typeof addr === "object" && addr ? addr.port : 0,
        close: () => {
          for (const s of sockets) s.destroy();
          server.close();
        },
      };
      served = await serve(
        [
          "--policy",
          join(work, "policy.yaml"),
          "--namespaces",
          join(work, "ns.yaml"),
          "--registry-auth",
          join(work, "auth.json"),
          "--db",
          join(work, "none.db"),
          // A loaded machine must not turn a fetch into a failure-policy answer: this server is about decisions.
          "--deadline",
          "60s",
        ],
        makeTestCerts(join(work, "tls")),
      );
    }, 240_000);

    afterAll(async () => {
      served?.proc.kill("SIGTERM");
      hanging?.close();
      for (const s of stops) await s();
      rmSync(work, { recursive: true, force: true });
    });

    /** Ask the webhook; a review shed while its event loop lags (a loaded machine) is asked again. */
    async function validate(w: Served, name: string, image: string) {
      const review = reviewForCreate(
        {
          apiVersion: "v1",
          kind: "Pod",
          metadata: { name, namespace: "shop" },
          spec: { containers: [{ name: "app", image }] },
        },
        `registry-sigs-${name}`,
      );
      let r:
        | { response: { allowed: boolean; status?: { message: string }; warnings?: string[] } }
        | undefined;
      for (let attempt = 0; attempt < 100; attempt++) {
        r = JSON.parse((await w.call("POST", "/validate", review)).text);
        if (!r?.response.status?.message.includes("(load shed)")) break;
        await new Promise((done) => setTimeout(done, 200));
      }
      if (r === undefined) throw new Error("no answer");
      return { allowed: r.response.allowed, message: r.response.status?.message };
    }

    it("admits what is signed in the registry, denies the rest with the reason, the same from admission test and the webhook", async () => {
      const offline = await runCli([
        "admission",
        "test",
        "-f",
        join(work, "pods.yaml"),
        "--policy",
        join(work, "policy.yaml"),
        "--registry-auth",
        join(work, "auth.json"),
        "-o",
        "json",
      ]);
      expect(offline.code).toBe(1);
      const decisions = (
        JSON.parse(offline.stdout) as {
          decisions: { resource: { name: string }; allowed: boolean; message?: string }[];
        }
      ).decisions;
      const offlineByName = Object.fromEntries(
        decisions.map((d) => [d.resource.name, { allowed: d.allowed, message: d.message }]),
      );
      const online: Record<string, { allowed: boolean; message: string | undefined }> = {};
      for (const c of CASES) online[c] = await validate(served as Served, c, images.get(c) as string);
      expect(online).toEqual(offlineByName);

      const why = Object.fromEntries(
        CASES.map((c) => {
          const m = online[c]?.message;
          const prefix = `image "${images.get(c)}" must be signed: `;
          return [
            c,
            m === undefined ? "allowed" : m.includes(prefix) ? m.slice(m.indexOf(prefix) + prefix.length) : m,
          ];
        }),
      );
      const digest = (c: Case) => images.get(c)?.split("@")[1] as string;
      const gone = images.get("gone")?.split("@")[0] as string;
      expect(why).toEqual({
        keyless: "allowed",
        key: "allowed",
        referrer: "allowed",
        private: "allowed",
        "stored-elsewhere": "allowed",
        "beside-not-elsewhere": `no signature for ${digest("beside-not-elsewhere")}: no ${digest("beside-not-elsewhere").replace(":", "-")}.sig tag and no Sigstore bundle referrer in ${images.get("stored-elsewhere")?.split("@")[0]?.replace("/elsewhere/app", "/sigs/store")} [image/signature]`,
        "wrong-subject": `signed by "mallory@acme.example" (issuer "${ISSUER}"), not a trusted identity: certificate subject "mallory@acme.example" is not "${SUBJECT}" [image/signature]`,
        "other-digest": `the signature is for another image, not ${digest("other-digest")} [image/signature]`,
        unsigned: `no signature for ${digest("unsigned")}: no ${digest("unsigned").replace(":", "-")}.sig tag and no Sigstore bundle referrer in ${images.get("unsigned")?.split("@")[0]} [image/signature]`,
        gone: expect.stringMatching(
          new RegExp(
            `^palisade could not evaluate the request: fact lookup failed: ${gone.replace(/\./g, "\\.")}@sha256:e{64}: signatures: network error fetching`,
          ),
        ),
      });
    }, 240_000);

    it("a registry that is down follows the failure policy: Ignore admits with a warning", async () => {
      const r = await runCli([
        "admission",
        "test",
        "-f",
        join(work, "pods.yaml"),
        "--policy",
        join(work, "policy-ignore.yaml"),
        "--registry-auth",
        join(work, "auth.json"),
        "-o",
        "json",
      ]);
      const d = (
        JSON.parse(r.stdout) as {
          decisions: { resource: { name: string }; allowed: boolean; warnings: string[] }[];
        }
      ).decisions.find((x) => x.resource.name === "gone");
      expect(d?.allowed).toBe(true);
      expect(d?.warnings.join("\n")).toContain("signatures: network error fetching");
    }, 240_000);

    it("a fetch still running at the review's deadline is answered by the failure policy and counted", async () => {
      const image = `127.0.0.1:${hanging?.port}/test/slow@sha256:${"f".repeat(64)}`;
      const w = await serve(
        [
          "--policy",
          join(work, "policy.yaml"),
          "--namespaces",
          join(work, "ns.yaml"),
          "--db",
          join(work, "none.db"),
          // The registry never answers: the deadline comes first however loaded the machine is.
          "--deadline",
          "500ms",
          "--signature-timeout",
          "10m",
        ],
        makeTestCerts(join(work, "tls-slow")),
      );
      try {
        const r = await validate(w, "slow", image);
        expect(r).toEqual({ allowed: false, message: expect.stringMatching(/no decision within 500 ms/) });
        const metrics = (await w.call("GET", "/metrics")).text;
        expect(metrics).toMatch(/^palisade_admission_signature_fetch_past_deadline_total [1-9]/m);
        expect(metrics).toMatch(/^palisade_admission_signature_fetches_total 1$/m);
      } finally {
        w.proc.kill("SIGTERM");
      }
    }, 240_000);
  },
);
