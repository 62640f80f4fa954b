import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { cosignKeySignature } from "../../../test/support/sigstore-pki.js";
import { PalisadeError } from "../../core/errors/index.js";
import type { SignatureMaterial } from "../image/index.js";
import { createSignatureVerifier, type SignatureWanted } from "./index.js";

const D = (c: string) => `sha256:${c.repeat(64)}`;
const IMAGE = { registry: "registry.acme.internal", repository: "shop/api" };
const release = generateKeyPairSync("ec", { namedCurve: "P-256" });
const other = generateKeyPairSync("ec", { namedCurve: "P-256" });
const PEM = release.publicKey.export({ type: "spki", format: "pem" }).toString();
const wanted: SignatureWanted = { keys: ["release.pub"], keyless: [], from: "registry" };
const layer = (key: typeof release, digest: string, signs = digest) => ({
  origin: `${IMAGE.registry}/${IMAGE.repository}:${digest.replace(":", "-")}.sig layer 0`,
  ...cosignKeySignature(key.privateKey, `${IMAGE.registry}/${IMAGE.repository}`, signs),
});

/**
 * TEST DOUBLE — the registry fetch is replaced by a function the test answers by hand (deferred promises): what is
 * under test is the verifier's caching, sharing and deadlines around it; the fetch itself runs against a real
 * docker-registry in test/integration/admission-registry-signatures.test.ts.
 */
function fakeRegistry() {
  const calls: {
    at: string;
    digest: string;
    resolve: (m: SignatureMaterial) => void;
    reject: (e: unknown) => void;
  }[] = [];
  return {
    calls,
    fetchMaterial: (registry: string, repository: string, digest: string) =>
      new Promise<SignatureMaterial>((resolve, reject) =>
        calls.push({ at: `${registry}/${repository}`, digest, resolve, reject }),
      ),
  };
}

async function verifier(
  fetchMaterial: ReturnType<typeof fakeRegistry>["fetchMaterial"],
  clock: { t: number },
) {
  return createSignatureVerifier({
    keys: { "release.pub": PEM },
    registry: { options: () => ({}), fetchTimeoutMs: 60_000, errorTtlMs: 5_000 },
    cache: { ttlMs: 60_000, maxEntries: 2, clock: () => clock.t },
    fetchMaterial,
  });
}
const tick = () => new Promise((r) => setImmediate(r));

describe("signatures from the registry: cosign .sig layers verified, fetches shared, cached and bounded by the review", () => {
  it("verifies a key-signed .sig layer and denies a layer signed by another key or for another digest", async () => {
    const reg = fakeRegistry();
    const v = await verifier(reg.fetchMaterial, { t: 0 });
    const answers = [
      v.verify(D("1"), wanted, { image: IMAGE }),
      v.verify(D("2"), wanted, { image: IMAGE }),
      v.verify(D("3"), wanted, { image: IMAGE }),
      v.verify(D("4"), wanted, { image: IMAGE }),
    ];
    await tick();
    const material = (layers: ReturnType<typeof layer>[]): SignatureMaterial => ({
      cosign: layers,
      bundles: [],
      skipped: [],
    });
    reg.calls[0]?.resolve(material([layer(release, D("1"))]));
    reg.calls[1]?.resolve(material([layer(other, D("2"))]));
    reg.calls[2]?.resolve(material([layer(release, D("3"), D("1"))]));
    reg.calls[3]?.resolve(material([]));
    expect(await Promise.all(answers)).toEqual([
      { verified: true, reason: "signed by release.pub" },
      {
        verified: false,
        reason: "signature does not verify with release.pub: signature verification failed",
      },
      { verified: false, reason: `the signature is for another image, not ${D("3")}` },
      {
        verified: false,
        reason: `no signature for ${D("4")}: no ${D("4").replace(":", "-")}.sig tag and no Sigstore bundle referrer in registry.acme.internal/shop/api`,
      },
    ]);
  });

  it("a rule naming a signature repository (COSIGN_REPOSITORY) reads it there, even without an image location", async () => {
    const reg = fakeRegistry();
    const v = await verifier(reg.fetchMaterial, { t: 0 });
    const elsewhere = { ...wanted, repository: "sigs.acme.internal:5000/store/signatures" };
    const answers = [
      v.verify(D("1"), elsewhere, { image: IMAGE }),
      v.verify(D("2"), elsewhere, {}),
      v.verify(D("1"), wanted, { image: IMAGE }),
    ];
    await tick();
    expect(reg.calls.map((c) => [c.at, c.digest])).toEqual([
      ["sigs.acme.internal:5000/store/signatures", D("1")],
      ["sigs.acme.internal:5000/store/signatures", D("2")],
      ["registry.acme.internal/shop/api", D("1")],
    ]);
    // The signature names the image's repository (cosign's docker-reference), wherever it is stored.
    reg.calls[0]?.resolve({ cosign: [layer(release, D("1"))], bundles: [], skipped: [] });
    reg.calls[1]?.resolve({ cosign: [], bundles: [], skipped: [] });
    reg.calls[2]?.resolve({ cosign: [], bundles: [], skipped: [] });
    expect(await Promise.all(answers)).toEqual([
      { verified: true, reason: "signed by release.pub" },
      {
        verified: false,
        reason: `no signature for ${D("2")}: no ${D("2").replace(":", "-")}.sig tag and no Sigstore bundle referrer in sigs.acme.internal:5000/store/signatures`,
      },
      {
        verified: false,
        reason: `no signature for ${D("1")}: no ${D("1").replace(":", "-")}.sig tag and no Sigstore bundle referrer in registry.acme.internal/shop/api`,
      },
    ]);
  });

  it("one fetch per image for concurrent reviews; the result is cached until its TTL", async () => {
    const reg = fakeRegistry();
    const clock = { t: 0 };
    const v = await verifier(reg.fetchMaterial, clock);
    const a = v.verify(D("1"), wanted, { image: IMAGE });
    const b = v.verify(D("1"), wanted, { image: IMAGE });
    await tick();
    expect(reg.calls).toHaveLength(1);
    reg.calls[0]?.resolve({ cosign: [layer(release, D("1"))], bundles: [], skipped: [] });
    expect((await a).verified).toBe(true);
    expect((await b).verified).toBe(true);
    await v.verify(D("1"), wanted, { image: IMAGE });
    expect(v.stats).toEqual({ hits: 1, misses: 2, fetches: 1, fetchErrors: 0, pastDeadline: 0 });
    clock.t = 60_000;
    const again = v.verify(D("1"), wanted, { image: IMAGE });
    await tick();
    expect(reg.calls).toHaveLength(2);
    reg.calls[1]?.resolve({ cosign: [], bundles: [], skipped: [] });
    expect((await again).verified).toBe(false);
  });

  it("a failed fetch rejects (the failure policy answers) and is remembered for errorTtlMs, then tried again", async () => {
    const reg = fakeRegistry();
    const clock = { t: 0 };
    const v = await verifier(reg.fetchMaterial, clock);
    const down = new PalisadeError(
      "IO",
      `${IMAGE.registry}/${IMAGE.repository}@${D("1")}: signatures: network error`,
    );
    const first = v.verify(D("1"), wanted, { image: IMAGE });
    await tick();
    reg.calls[0]?.reject(down);
    await expect(first).rejects.toBe(down);
    clock.t = 4_999;
    await expect(v.verify(D("1"), wanted, { image: IMAGE })).rejects.toBe(down);
    expect(reg.calls).toHaveLength(1);
    clock.t = 5_000;
    const retry = v.verify(D("1"), wanted, { image: IMAGE });
    await tick();
    expect(reg.calls).toHaveLength(2);
    reg.calls[1]?.resolve({ cosign: [layer(release, D("1"))], bundles: [], skipped: [] });
    expect((await retry).verified).toBe(true);
    expect(v.stats).toMatchObject({ fetches: 2, fetchErrors: 1 });
  });

  it("a review whose deadline fires stops waiting (counted); the fetch lands in the cache for the next review", async () => {
    const reg = fakeRegistry();
    const v = await verifier(reg.fetchMaterial, { t: 0 });
    const deadline = new AbortController();
    const first = v.verify(D("1"), wanted, { image: IMAGE, signal: deadline.signal });
    await tick();
    deadline.abort();
    await expect(first).rejects.toThrow(/still fetching when the review's time ran out/);
    expect(v.stats.pastDeadline).toBe(1);
    reg.calls[0]?.resolve({ cosign: [layer(release, D("1"))], bundles: [], skipped: [] });
    await tick();
    expect(await v.verify(D("1"), wanted, { image: IMAGE })).toEqual({
      verified: true,
      reason: "signed by release.pub",
    });
    expect(reg.calls).toHaveLength(1);
  });

  it("a rule whose source has nothing to read says so (registry only, no image location)", async () => {
    const v = await verifier(fakeRegistry().fetchMaterial, { t: 0 });
    expect(await v.verify(D("1"), wanted)).toEqual({
      verified: false,
      reason: `no signature for ${D("1")}: the rule's source has nothing to read (no signatures directory, or an image reference without a registry)`,
    });
  });

  it("the cache is bounded: the least recently used image is forgotten", async () => {
    const reg = fakeRegistry();
    const v = await verifier(reg.fetchMaterial, { t: 0 });
    for (const c of ["1", "2", "3"]) {
      const p = v.verify(D(c), wanted, { image: IMAGE });
      await tick();
      reg.calls.at(-1)?.resolve({ cosign: [layer(release, D(c))], bundles: [], skipped: [] });
      await p;
    }
    const p = v.verify(D("1"), wanted, { image: IMAGE });
    await tick();
    expect(reg.calls).toHaveLength(4);
    reg.calls[3]?.resolve({ cosign: [layer(release, D("1"))], bundles: [], skipped: [] });
    expect((await p).verified).toBe(true);
  });
});
