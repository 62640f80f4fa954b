import { generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createSignatureVerifier } from "./index.js";

const dir = mkdtempSync(join(tmpdir(), "palisade-signatures-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const D = (c: string) => `sha256:${c.repeat(64)}`;
const keyPair = () => generateKeyPairSync("ec", { namedCurve: "P-256" });
const release = keyPair();
const other = keyPair();
const pem = (k: KeyObject) => k.export({ type: "spki", format: "pem" }).toString();

/** A Sigstore bundle (v0.3) with a DSSE envelope over cosign's simple-signing payload, signed by `key`. */
function bundle(digest: string, key: KeyObject, payloadDigest = digest): string {
  const payloadType = "application/vnd.dev.cosign.simplesigning.v1+json";
  const payload = Buffer.from(
    JSON.stringify({
      critical: {
        identity: { "docker-reference": "registry.acme.internal/api" },
        image: { "docker-manifest-digest": payloadDigest },
        type: "cosign container image signature",
      },
      optional: null,
    }),
  );
  // DSSE pre-authentication encoding.
  const pae = Buffer.concat([
    Buffer.from(`DSSEv1 ${Buffer.byteLength(payloadType)} ${payloadType} ${payload.length} `),
    payload,
  ]);
  const sig = sign("sha256", pae, key);
  return JSON.stringify({
    mediaType: "application/vnd.dev.sigstore.bundle.v0.3+json",
    verificationMaterial: {
      publicKey: { hint: "release" },
      tlogEntries: [],
      timestampVerificationData: { rfc3161Timestamps: [] },
    },
    dsseEnvelope: {
      payload: payload.toString("base64"),
      payloadType,
      signatures: [{ sig: sig.toString("base64"), keyid: "" }],
    },
  });
}
const put = (digest: string, text: string) =>
  writeFileSync(join(dir, `${digest.replace(":", "-")}.sigstore.json`), text);

describe("signature verification (sigstore, offline, keys and bundles made here)", () => {
  put(D("1"), bundle(D("1"), release.privateKey));
  put(D("2"), bundle(D("2"), other.privateKey));
  put(D("3"), bundle(D("3"), release.privateKey, D("9")));
  put(D("4"), "{not json");

  it("verifies a bundle signed by a named key, and says why others fail", async () => {
    const v = await createSignatureVerifier({
      bundlesDir: dir,
      keys: { "keys/release.pub": pem(release.publicKey), "keys/other.pub": pem(other.publicKey) },
    });
    expect(await v.verify(D("1"), { keys: ["keys/release.pub"], keyless: [] })).toEqual({
      verified: true,
      reason: "signed by keys/release.pub",
    });
    const wrongKey = await v.verify(D("2"), { keys: ["keys/release.pub"], keyless: [] });
    expect(wrongKey.verified).toBe(false);
    expect(wrongKey.reason).toMatch(/^signature does not verify with keys\/release\.pub: /);
    expect(await v.verify(D("2"), { keys: ["keys/release.pub", "keys/other.pub"], keyless: [] })).toEqual({
      verified: true,
      reason: "signed by keys/other.pub",
    });
    expect(await v.verify(D("3"), { keys: ["keys/release.pub"], keyless: [] })).toEqual({
      verified: false,
      reason: `the signature is for another image, not ${D("3")}`,
    });
    expect(await v.verify(D("5"), { keys: ["keys/release.pub"], keyless: [] })).toEqual({
      verified: false,
      reason: `no signature bundle for ${D("5")}`,
    });
    expect((await v.verify(D("4"), { keys: ["keys/release.pub"], keyless: [] })).reason).toMatch(
      /^signature bundle for .* is invalid/,
    );
  });

  it("caches by digest", async () => {
    const v = await createSignatureVerifier({ bundlesDir: dir, keys: { k: pem(release.publicKey) } });
    await v.verify(D("1"), { keys: ["k"], keyless: [] });
    await v.verify(D("1"), { keys: ["k"], keyless: [] });
    expect(v.stats).toEqual({ hits: 1, misses: 1, fetches: 0, fetchErrors: 0, pastDeadline: 0 });
  });

  it("refuses a key that is not a public key at start", async () => {
    await expect(
      createSignatureVerifier({ bundlesDir: dir, keys: { "bad.pub": "not a key" } }),
    ).rejects.toThrow(/not a public key/);
  });
});
