import { generateKeyPairSync, sign } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  COSIGN_SIMPLE_SIGNING,
  makeCertificateAuthority,
  SigstoreInstance,
  simpleSigningPayload,
} from "../../../test/support/sigstore-pki.js";
import { createSignatureVerifier, type SignatureWanted } from "./index.js";

// A Fulcio-like CA, a CT log and a Rekor-style log made here (real ECDSA, real X.509, real SCTs and inclusion
// proofs); the verifier sees only the TrustedRoot JSON and the bundles, as in production.
const dir = mkdtempSync(join(tmpdir(), "palisade-keyless-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const D = (c: string) => `sha256:${c.repeat(64)}`;
const REF = "registry.acme.internal/api";
const ISSUER = "https://issuer.acme.example";
const SUBJECT = "release@acme.example";
const ISSUED = new Date("2026-03-01T10:00:00Z");
const sigstore = new SigstoreInstance(new Date("2026-01-01T00:00:00Z"));
const put = (digest: string, text: string) =>
  writeFileSync(join(dir, `${digest.replace(":", "-")}.sigstore.json`), text);
const email = { email: SUBJECT };

put(D("1"), sigstore.signImage(REF, D("1"), { subject: email, issuer: ISSUER, issuedAt: ISSUED }));
put(
  D("2"),
  sigstore.signImage(REF, D("2"), {
    subject: { email: "mallory@acme.example" },
    issuer: ISSUER,
    issuedAt: ISSUED,
  }),
);
put(
  D("3"),
  sigstore.signImage(REF, D("3"), { subject: email, issuer: "https://evil.example", issuedAt: ISSUED }),
);
put(
  D("4"),
  sigstore.signImage(REF, D("4"), {
    subject: email,
    issuer: ISSUER,
    issuedAt: ISSUED,
    ca: makeCertificateAuthority("another", new Date("2026-01-01T00:00:00Z")),
  }),
);
put(
  D("5"),
  sigstore.signImage(REF, D("5"), {
    subject: email,
    issuer: ISSUER,
    issuedAt: ISSUED,
    // Logged twenty minutes after issuance: the ten-minute certificate had expired when it signed.
    loggedAt: new Date(ISSUED.getTime() + 20 * 60_000),
  }),
);
put(
  D("6"),
  sigstore.signImage(REF, D("6"), {
    subject: email,
    issuer: ISSUER,
    issuedAt: ISSUED,
    tamper: () => simpleSigningPayload("registry.acme.internal/evil", D("6")),
  }),
);
put(
  D("7"),
  sigstore.signImage(REF, D("7"), {
    subject: { uri: "https://github.com/acme/api/.github/workflows/release.yaml@refs/heads/main" },
    issuer: "https://token.actions.githubusercontent.com",
    legacyOnly: true,
    issuedAt: ISSUED,
  }),
);
put(
  D("8"),
  sigstore.signImage(REF, D("8"), {
    subject: { email: "release@acme.example.evil.com" },
    issuer: ISSUER,
    issuedAt: ISSUED,
  }),
);
put(D("a"), sigstore.signImage(REF, D("9"), { subject: email, issuer: ISSUER, issuedAt: ISSUED }));
{
  // A key-signed bundle (no certificate) for a keyless-only requirement.
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const payload = simpleSigningPayload(REF, D("b"));
  const pae = Buffer.concat([
    Buffer.from(`DSSEv1 ${COSIGN_SIMPLE_SIGNING.length} ${COSIGN_SIMPLE_SIGNING} ${payload.length} `),
    payload,
  ]);
  put(
    D("b"),
    JSON.stringify({
      mediaType: "application/vnd.dev.sigstore.bundle.v0.3+json",
      verificationMaterial: { publicKey: { hint: "k" }, tlogEntries: [] },
      dsseEnvelope: {
        payload: payload.toString("base64"),
        payloadType: COSIGN_SIMPLE_SIGNING,
        signatures: [{ sig: sign("sha256", pae, privateKey).toString("base64"), keyid: "" }],
      },
    }),
  );
}

const ROOT = "sigstore/trusted_root.json";
const wanted = (...keyless: SignatureWanted["keyless"]): SignatureWanted => ({
  keys: [],
  keyless,
  trustedRoot: ROOT,
});
const exact = wanted({ issuer: ISSUER, subject: SUBJECT });
const verifier = () =>
  createSignatureVerifier({ bundlesDir: dir, keys: {}, trustedRoots: { [ROOT]: sigstore.trustedRoot() } });
const who = (subject: string, issuer = ISSUER) =>
  `signed by ${JSON.stringify(subject)} (issuer ${JSON.stringify(issuer)})`;
const failed = (why: string) => `keyless signature does not verify against ${ROOT}: ${why}`;

describe("keyless signatures (a Fulcio-like CA, CT log and transparency log made here)", () => {
  it("admits the identity the policy names, exact or by regexp, with the v2 or the legacy issuer extension", async () => {
    const v = await verifier();
    expect(await v.verify(D("1"), exact)).toEqual({ verified: true, reason: who(SUBJECT) });
    expect(
      await v.verify(
        D("7"),
        wanted({
          issuerRegExp: "https://token\\.actions\\.githubusercontent\\.com",
          subjectRegExp: "https://github\\.com/acme/[^/]+/\\.github/workflows/.+@refs/heads/main",
        }),
      ),
    ).toEqual({
      verified: true,
      reason: who(
        "https://github.com/acme/api/.github/workflows/release.yaml@refs/heads/main",
        "https://token.actions.githubusercontent.com",
      ),
    });
    // Any of several identities.
    expect(
      (
        await v.verify(
          D("1"),
          wanted({ issuer: ISSUER, subject: "other@acme.example" }, { issuer: ISSUER, subject: SUBJECT }),
        )
      ).verified,
    ).toBe(true);
  });

  it("denies each bad signature with its own reason", async () => {
    const v = await verifier();
    const results = {
      wrongSubject: await v.verify(D("2"), exact),
      wrongIssuer: await v.verify(D("3"), exact),
      anotherCa: await v.verify(D("4"), exact),
      expiredAtSigning: await v.verify(D("5"), exact),
      tamperedPayload: await v.verify(D("6"), exact),
      regexpIsWholeValue: await v.verify(
        D("8"),
        wanted({ issuer: ISSUER, subjectRegExp: "release@acme\\.example" }),
      ),
      forAnotherImage: await v.verify(D("a"), exact),
      keySignedOnly: await v.verify(D("b"), exact),
      unsigned: await v.verify(D("c"), exact),
    };
    expect(results).toEqual({
      wrongSubject: {
        verified: false,
        reason: `${who("mallory@acme.example")}, not a trusted identity: certificate subject "mallory@acme.example" is not "${SUBJECT}"`,
      },
      wrongIssuer: {
        verified: false,
        reason: `${who(SUBJECT, "https://evil.example")}, not a trusted identity: certificate issuer "https://evil.example" is not "${ISSUER}"`,
      },
      anotherCa: {
        verified: false,
        reason: failed(
          "CERTIFICATE_ERROR: Failed to verify certificate chain: no valid certificate path found",
        ),
      },
      expiredAtSigning: {
        verified: false,
        reason: failed(
          "CERTIFICATE_ERROR: Failed to verify certificate chain: certificate is not valid or expired at the specified date",
        ),
      },
      tamperedPayload: { verified: false, reason: failed("TLOG_BODY_ERROR: DSSE payload hash mismatch") },
      regexpIsWholeValue: {
        verified: false,
        reason: `${who("release@acme.example.evil.com")}, not a trusted identity: certificate subject "release@acme.example.evil.com" does not match /release@acme\\.example/`,
      },
      forAnotherImage: { verified: false, reason: `the signature is for another image, not ${D("a")}` },
      keySignedOnly: {
        verified: false,
        reason: "the bundle is signed with a key and the policy names only keyless identities",
      },
      unsigned: { verified: false, reason: `no signature bundle for ${D("c")}` },
    });
  });

  it("a bundle whose signature does not match its transparency log entry is denied", async () => {
    const bundle = JSON.parse(
      sigstore.signImage(REF, D("d"), { subject: email, issuer: ISSUER, issuedAt: ISSUED }),
    );
    // Another signature over the same payload by another key: the log entry names the first one.
    const other = JSON.parse(
      sigstore.signImage(REF, D("d"), { subject: email, issuer: ISSUER, issuedAt: ISSUED }),
    );
    bundle.dsseEnvelope.signatures = other.dsseEnvelope.signatures;
    put(D("d"), JSON.stringify(bundle));
    expect(await (await verifier()).verify(D("d"), exact)).toEqual({
      verified: false,
      reason: failed("TLOG_BODY_ERROR: tlog entry signature mismatch"),
    });
  });

  it("a trusted root from another instance verifies nothing this one signed", async () => {
    const other = new SigstoreInstance(new Date("2026-01-01T00:00:00Z"));
    const v = await createSignatureVerifier({
      bundlesDir: dir,
      keys: {},
      trustedRoots: { [ROOT]: other.trustedRoot() },
    });
    expect(await v.verify(D("1"), exact)).toEqual({
      verified: false,
      reason: failed(
        "CERTIFICATE_ERROR: Failed to verify certificate chain: no valid certificate path found",
      ),
    });
  });

  it("the SCT and the transparency log entry are checked against the root's CT log and log keys", async () => {
    const root = JSON.parse(sigstore.trustedRoot());
    const other = JSON.parse(new SigstoreInstance(new Date("2026-01-01T00:00:00Z")).trustedRoot());
    const check = async (changed: unknown) =>
      (
        await (
          await createSignatureVerifier({
            bundlesDir: dir,
            keys: {},
            trustedRoots: { [ROOT]: JSON.stringify(changed) },
          })
        ).verify(D("1"), exact)
      ).reason;
    expect({
      otherCtLog: await check({ ...root, ctlogs: other.ctlogs }),
      otherTlog: await check({ ...root, tlogs: other.tlogs }),
    }).toEqual({
      otherCtLog: failed("CERTIFICATE_ERROR: SCT verification failed"),
      otherTlog: failed("TLOG_INCLUSION_PROMISE_ERROR: inclusion promise could not be verified"),
    });
  });

  it("caches by digest and requirement", async () => {
    const v = await verifier();
    await v.verify(D("1"), exact);
    await v.verify(D("1"), exact);
    await v.verify(D("1"), wanted({ issuer: ISSUER, subjectRegExp: ".+" }));
    expect(v.stats).toEqual({ hits: 1, misses: 2, fetches: 0, fetchErrors: 0, pastDeadline: 0 });
  });

  it("refuses a trusted root that does not parse at start, naming the file and field", async () => {
    const root = JSON.parse(sigstore.trustedRoot());
    root.ctlogs[0].publicKey.rawBytes = "not base64!";
    await expect(
      createSignatureVerifier({ bundlesDir: dir, keys: {}, trustedRoots: { [ROOT]: JSON.stringify(root) } }),
    ).rejects.toMatchObject({
      code: "INPUT",
      message: "trusted root ctlogs[0].publicKey.rawBytes: expected base64 bytes",
      context: { file: ROOT },
    });
    await expect(
      createSignatureVerifier({ bundlesDir: dir, keys: {}, trustedRoots: { [ROOT]: "{}" } }),
    ).rejects.toThrow(/trusted root mediaType: expected application\/vnd\.dev\.sigstore\.trustedroot\+json/);
    const noCa = { ...root, ctlogs: [], certificateAuthorities: [] };
    await expect(
      createSignatureVerifier({ bundlesDir: dir, keys: {}, trustedRoots: { [ROOT]: JSON.stringify(noCa) } }),
    ).rejects.toThrow(/keyless needs at least one/);
  });
});
