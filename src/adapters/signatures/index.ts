/**
 * Image signatures verified offline with the sigstore JS libraries: a Sigstore bundle per image digest in a
 * directory (`<algorithm>-<hex>.sigstore.json`, as `cosign sign --bundle` or `sigstore` write them), a DSSE envelope
 * whose payload names the digest (cosign's simple signing `critical.image.docker-manifest-digest`, or an in-toto
 * statement's subject). A bundle signed with a key is verified against the public keys the policy names, with no
 * transparency log or timestamp required (thresholds 0): the trust is exactly those keys. A bundle carrying a
 * certificate (keyless) is verified against the requirement's TrustedRoot with sigstore's default thresholds: the
 * certificate chains to one of its certificate authorities at the time a transparency log entry (its signed entry
 * timestamp and inclusion proof checked against the root's logs) says the signature was made, carries an SCT from
 * one of the root's CT logs, and its OIDC issuer and subject are an identity the policy names. No network. Results
 * are cached by digest and requirement.
 */
import { createPublicKey } from "node:crypto";
import { join } from "node:path";
import { type KeylessIdentity, keylessIdentityMismatch } from "../../core/admission/index.js";
import { PalisadeError } from "../../core/errors/index.js";
import { isRecord } from "../../core/util/index.js";
import { readRegularText } from "../fs/index.js";
import { parseTrustedRoot } from "./trusted-root.js";

export { parseTrustedRoot } from "./trusted-root.js";

export interface SignatureCheck {
  verified: boolean;
  /** Which key or identity verified it, or why nothing did. */
  reason: string;
}

/** What a policy's signature requirement asks for (as `SignatureRequirement` in core/admission). */
export interface SignatureWanted {
  /** Key names, as the policy writes them. */
  keys: readonly string[];
  keyless: readonly KeylessIdentity[];
  /** The trusted root's name, as the policy writes it. */
  trustedRoot?: string | undefined;
}

export interface SignatureVerifier {
  /** Verify the signature bundle of `digest` against the requirement's keys and keyless identities. */
  verify(digest: string, wanted: SignatureWanted): Promise<SignatureCheck>;
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

/** A sigstore verification error as one line: its code, message and the cause's message (which says why). */
function describeFailure(e: unknown): string {
  const err = e as { code?: unknown; message?: unknown; cause?: { message?: unknown } };
  const code = typeof err.code === "string" ? `${err.code}: ` : "";
  const cause = typeof err.cause?.message === "string" ? `: ${err.cause.message}` : "";
  return `${code}${String(err.message)}${cause}`;
}

/**
 * A verifier over the bundles in `bundlesDir`, the keys (name as the policy writes it -> PEM) and the trusted roots
 * (name as the policy writes it -> TrustedRoot JSON text). A key that is not a public key, or a trusted root that
 * does not parse, is refused here, at start-up, not at the first review.
 */
export async function createSignatureVerifier(opts: {
  bundlesDir: string;
  keys: Readonly<Record<string, string>>;
  trustedRoots?: Readonly<Record<string, string>>;
}): Promise<SignatureVerifier> {
  const { bundleFromJSON } = await import("@sigstore/bundle");
  const { toSignedEntity, toTrustMaterial, Verifier } = await import("@sigstore/verify");
  type TrustedRootArg = Parameters<typeof toTrustMaterial>[0];
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
  const noKey = () => {
    throw new Error("a keyless trust root has no public keys");
  };
  const roots = new Map<string, InstanceType<typeof Verifier>>();
  for (const [name, text] of Object.entries(opts.trustedRoots ?? {})) {
    const parsed = parseTrustedRoot(text, name);
    if (parsed.certificateAuthorities.length === 0)
      throw new PalisadeError("INPUT", "trusted root certificateAuthorities: keyless needs at least one", {
        context: { file: name },
      });
    try {
      // sigstore's defaults, stated: one transparency log entry (its SET or inclusion proof verified; it is also
      // the signing time), one SCT, one verified timestamp. Nothing here lowers them.
      const trust = toTrustMaterial(parsed as unknown as TrustedRootArg, noKey);
      roots.set(name, new Verifier(trust, { tlogThreshold: 1, ctlogThreshold: 1, timestampThreshold: 1 }));
    } catch (e) {
      throw new PalisadeError("INPUT", `trusted root is not usable: ${(e as Error).message}`, {
        context: { file: name },
        cause: e,
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

  function withKeys(entity: ReturnType<typeof toSignedEntity>, keyNames: readonly string[]): SignatureCheck {
    const failures: string[] = [];
    for (const name of keyNames) {
      const key = keys.get(name);
      if (key === undefined) {
        failures.push(`${name}: key not loaded`);
        continue;
      }
      const trust = toTrustMaterial(emptyRoot as TrustedRootArg, () => ({
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

  function keyless(entity: ReturnType<typeof toSignedEntity>, wanted: SignatureWanted): SignatureCheck {
    const rootName = wanted.trustedRoot ?? "";
    const verifier = roots.get(rootName);
    if (verifier === undefined) return { verified: false, reason: `trusted root ${rootName} not loaded` };
    let signer: ReturnType<InstanceType<typeof Verifier>["verify"]>;
    try {
      signer = verifier.verify(entity);
    } catch (e) {
      return {
        verified: false,
        reason: `keyless signature does not verify against ${rootName}: ${describeFailure(e)}`,
      };
    }
    const got = {
      issuer: signer.identity?.extensions?.issuer,
      subject: signer.identity?.subjectAlternativeName,
    };
    const who = `${JSON.stringify(got.subject ?? null)} (issuer ${JSON.stringify(got.issuer ?? null)})`;
    const mismatches: string[] = [];
    for (const id of wanted.keyless) {
      const m = keylessIdentityMismatch(id, got);
      if (m === undefined) return { verified: true, reason: `signed by ${who}` };
      mismatches.push(m);
    }
    return { verified: false, reason: `signed by ${who}, not a trusted identity: ${mismatches.join("; ")}` };
  }

  async function check(digest: string, wanted: SignatureWanted): Promise<SignatureCheck> {
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
    if (entity.key.$case === "certificate") {
      if (wanted.keyless.length === 0)
        return {
          verified: false,
          reason: "the bundle carries a certificate (keyless) and the policy names only keys",
        };
      return keyless(entity, wanted);
    }
    if (wanted.keys.length === 0)
      return {
        verified: false,
        reason: "the bundle is signed with a key and the policy names only keyless identities",
      };
    return withKeys(entity, wanted.keys);
  }

  return {
    stats,
    async verify(digest, wanted) {
      const k = JSON.stringify([digest, wanted.keys, wanted.keyless, wanted.trustedRoot ?? null]);
      const hit = cache.get(k);
      if (hit) {
        stats.hits++;
        return hit;
      }
      stats.misses++;
      const r = await check(digest, wanted);
      if (cache.size >= MAX_CACHE) cache.delete(cache.keys().next().value as string);
      cache.set(k, r);
      return r;
    },
  };
}
