/**
 * Image signatures verified offline with the sigstore JS libraries: a Sigstore bundle per image digest in a
 * directory (`<algorithm>-<hex>.sigstore.json`, as `cosign sign --bundle` or `sigstore` write them), a DSSE envelope
 * whose payload names the digest (cosign's simple signing `critical.image.docker-manifest-digest`, or an in-toto
 * statement's subject), verified against the public keys the policy names. No network: no transparency log or
 * timestamp is required (thresholds 0), so the trust is exactly the keys given. Results are cached by digest.
 */
import { createPublicKey } from "node:crypto";
import { join } from "node:path";
import { PalisadeError } from "../../core/errors/index.js";
import { isRecord } from "../../core/util/index.js";
import { readRegularText } from "../fs/index.js";

export interface SignatureCheck {
  verified: boolean;
  /** Which key verified it, or why nothing did. */
  reason: string;
}

export interface SignatureVerifier {
  /** Verify the signature bundle of `digest` against any of the named keys. */
  verify(digest: string, keyNames: readonly string[]): Promise<SignatureCheck>;
  readonly stats: { hits: number; misses: number };
}

const MAX_BUNDLE_BYTES = 1024 * 1024;
const MAX_CACHE = 10_000;

/** The digests a DSSE payload says it signs. */
function signedDigests(payload: Buffer): string[] {
  let doc: unknown;
  try {
    doc = JSON.parse(payload.toString("utf8"));
  } catch {
    return [];
  }
  if (!isRecord(doc)) return [];
  const out: string[] = [];
  const critical = isRecord(doc.critical) ? doc.critical : undefined;
  const image = critical && isRecord(critical.image) ? critical.image : undefined;
  if (typeof image?.["docker-manifest-digest"] === "string") out.push(image["docker-manifest-digest"]);
  if (Array.isArray(doc.subject))
    for (const s of doc.subject)
      if (isRecord(s) && isRecord(s.digest))
        for (const [alg, hex] of Object.entries(s.digest))
          if (typeof hex === "string") out.push(`${alg}:${hex}`);
  return out;
}

/**
 * A verifier over the bundles in `bundlesDir` and the keys (name as the policy writes it -> PEM). A key that is
 * not a public key is refused here, at start-up, not at the first review.
 */
export async function createSignatureVerifier(opts: {
  bundlesDir: string;
  keys: Readonly<Record<string, string>>;
}): Promise<SignatureVerifier> {
  const { bundleFromJSON } = await import("@sigstore/bundle");
  const { toSignedEntity, toTrustMaterial, Verifier } = await import("@sigstore/verify");
  const keys = new Map<string, ReturnType<typeof createPublicKey>>();
  for (const [name, pem] of Object.entries(opts.keys)) {
    try {
      keys.set(name, createPublicKey(pem));
    } catch (e) {
      throw new PalisadeError("INPUT", `not a public key: ${(e as Error).message}`, {
        context: { file: name },
      });
    }
  }
  const emptyRoot = {
    mediaType: "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
    tlogs: [],
    certificateAuthorities: [],
    ctlogs: [],
    timestampAuthorities: [],
  };
  const cache = new Map<string, SignatureCheck>();
  const stats = { hits: 0, misses: 0 };

  async function check(digest: string, keyNames: readonly string[]): Promise<SignatureCheck> {
    if (!/^[a-z0-9]+:[a-f0-9]{32,}$/.test(digest))
      return { verified: false, reason: `not a digest: ${digest}` };
    const file = join(opts.bundlesDir, `${digest.replace(":", "-")}.sigstore.json`);
    let text: string;
    try {
      text = await readRegularText(file, { maxBytes: MAX_BUNDLE_BYTES, what: "signature bundle" });
    } catch {
      return { verified: false, reason: `no signature bundle for ${digest}` };
    }
    let entity: ReturnType<typeof toSignedEntity>;
    let payload: Buffer | undefined;
    try {
      const bundle = bundleFromJSON(JSON.parse(text));
      if (bundle.content.$case === "dsseEnvelope") payload = bundle.content.dsseEnvelope.payload;
      entity = toSignedEntity(bundle);
    } catch (e) {
      return {
        verified: false,
        reason: `signature bundle for ${digest} is invalid: ${(e as Error).message}`,
      };
    }
    if (payload === undefined)
      return { verified: false, reason: "the bundle is not a DSSE envelope naming the image" };
    if (!signedDigests(payload).includes(digest))
      return { verified: false, reason: `the signature is for another image, not ${digest}` };
    const failures: string[] = [];
    for (const name of keyNames) {
      const key = keys.get(name);
      if (key === undefined) {
        failures.push(`${name}: key not loaded`);
        continue;
      }
      const trust = toTrustMaterial(emptyRoot as Parameters<typeof toTrustMaterial>[0], () => ({
        publicKey: key,
        validFor: () => true,
      }));
      try {
        new Verifier(trust, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 }).verify(entity);
        return { verified: true, reason: `signed by ${name}` };
      } catch (e) {
        failures.push(`${name}: ${(e as Error).message}`);
      }
    }
    return { verified: false, reason: `signature does not verify with ${failures.join("; ")}` };
  }

  return {
    stats,
    async verify(digest, keyNames) {
      const k = `${digest}\u0000${keyNames.join("\u0000")}`;
      const hit = cache.get(k);
      if (hit) {
        stats.hits++;
        return hit;
      }
      stats.misses++;
      const r = await check(digest, keyNames);
      if (cache.size >= MAX_CACHE) cache.delete(cache.keys().next().value as string);
      cache.set(k, r);
      return r;
    },
  };
}
