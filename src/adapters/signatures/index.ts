/**
 * Image signatures verified offline with the sigstore JS libraries. The signatures come from up to two places:
 *
 * - a directory of Sigstore bundles, one per image digest (`<algorithm>-<hex>.sigstore.json`, as
 *   `cosign sign --bundle` or `sigstore` write them);
 * - the image's registry, as cosign stores them (adapters/image `fetchSignatureMaterial`): the `sha256-<hex>.sig`
 *   tag's simple-signing layers (signature, certificate, chain and Rekor bundle in annotations, turned here into a
 *   Sigstore bundle with a message signature over the payload), and Sigstore bundles attached as OCI 1.1 artifacts;
 *   or, when the requirement names a signature repository (cosign's `COSIGN_REPOSITORY`), that repository instead.
 *
 * Whatever the source, the payload must name the admitted digest (cosign's simple signing
 * `critical.image.docker-manifest-digest`, or an in-toto statement's subject). A signature made with a key is
 * verified against the public keys the policy names, with no transparency log or timestamp required (thresholds 0):
 * the trust is exactly those keys. A signature carrying a certificate (keyless) is verified against the
 * requirement's TrustedRoot with sigstore's default thresholds: the certificate chains to one of its certificate
 * authorities at the time a transparency log entry (its signed entry timestamp, and inclusion proof when present,
 * checked against the root's logs) says the signature was made, carries an SCT from one of the root's CT logs, and
 * its OIDC issuer and subject are an identity the policy names. Nothing is fetched from Rekor, Fulcio or a TUF
 * repository: the registry is read for the signatures themselves, never for trust.
 *
 * Results are cached by image (registry, repository, digest) and requirement in a bounded LRU with a TTL; a
 * registry fetch that failed is cached for a shorter time (an unreachable registry answers at once, by the failure
 * policy, instead of once per review after a timeout); concurrent lookups of one image share one fetch, which is
 * bounded by its own time budget and finishes into the cache even when the review that started it was answered
 * first.
 */
import { createHash, createPublicKey } from "node:crypto";
import { join } from "node:path";
import { type KeylessIdentity, keylessIdentityMismatch } from "../../core/admission/index.js";
import { PalisadeError } from "../../core/errors/index.js";
import { isRecord } from "../../core/util/index.js";
import { readRegularText } from "../fs/index.js";
import {
  type CosignSignatureLayer,
  digestTag,
  fetchSignatureMaterial,
  type RegistryOptions,
  type SignatureMaterial,
} from "../image/index.js";
import { parseTrustedRoot } from "./trusted-root.js";

export { parseTrustedRoot } from "./trusted-root.js";

export interface SignatureCheck {
  verified: boolean;
  /** Which key or identity verified it, or why nothing did. */
  reason: string;
}

/** Where a requirement's signatures are looked for: the bundles directory, the image's registry, or both. */
export type SignatureSource = "dir" | "registry" | "both";

/** What a policy's signature requirement asks for (as `SignatureRequirement` in core/admission). */
export interface SignatureWanted {
  /** Key names, as the policy writes them. */
  keys: readonly string[];
  keyless: readonly KeylessIdentity[];
  /** The trusted root's name, as the policy writes it. */
  trustedRoot?: string | undefined;
  /** Default "both": every source this verifier has. */
  from?: SignatureSource | undefined;
  /**
   * `registry/repository` holding the signatures instead of the image's own repository (cosign's
   * `COSIGN_REPOSITORY`): its `.sig` tag and referrers of the digest are read there.
   */
  repository?: string | undefined;
}

/** `registry/path/to/repo` -> its registry (up to the first slash) and repository. */
function locationOf(repository: string): ImageLocation {
  const slash = repository.indexOf("/");
  return { registry: repository.slice(0, slash), repository: repository.slice(slash + 1) };
}

/** Where the image lives: needed to look in its registry. */
export interface ImageLocation {
  registry: string;
  repository: string;
}

export interface SignatureStats {
  /** Lookups answered from the cache (a cached fetch failure included). */
  hits: number;
  misses: number;
  /** Registry fetches started, and those that failed. */
  fetches: number;
  fetchErrors: number;
  /** Lookups whose caller gave up (its deadline) while the registry fetch was still running. */
  pastDeadline: number;
}

export interface SignatureVerifier {
  /**
   * Verify the signatures of `digest` against the requirement's keys and keyless identities. Rejects (a
   * PalisadeError naming registry, repository and digest) when the registry could not be read, and when `signal`
   * aborts first; resolves with `verified: false` and the reason for every signature problem.
   */
  verify(
    digest: string,
    wanted: SignatureWanted,
    at?: { image?: ImageLocation | undefined; signal?: AbortSignal | undefined },
  ): Promise<SignatureCheck>;
  readonly stats: SignatureStats;
}

/** How the verifier reads registries, and how long it keeps what it learnt. */
export interface RegistrySignatureOptions {
  /** Client options (credentials, CA, plain http) for a registry host. */
  options: (registry: string) => RegistryOptions;
  /** The whole fetch of one image's signatures (every request of it), milliseconds. */
  fetchTimeoutMs: number;
  /** How long a failed fetch is remembered (and answered from) before the registry is asked again. */
  errorTtlMs: number;
}

export interface SignatureCacheOptions {
  ttlMs: number;
  maxEntries: number;
  /** Monotonic milliseconds (injected). */
  clock: () => number;
}

const MAX_BUNDLE_BYTES = 1024 * 1024;
const DEFAULT_CACHE: SignatureCacheOptions = {
  ttlMs: 10 * 60_000,
  maxEntries: 10_000,
  clock: () => performance.now(),
};

/** cosign's layer annotations (sigstore/cosign specs/SIGNATURE_SPEC.md). */
const ANNOTATION = {
  signature: "dev.cosignproject.cosign/signature",
  certificate: "dev.sigstore.cosign/certificate",
  chain: "dev.sigstore.cosign/chain",
  bundle: "dev.sigstore.cosign/bundle",
} as const;

/** The digests a payload says it signs. */
export function signedDigests(payload: Buffer): string[] {
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

/** The DER certificates of a PEM text, in order. */
function pemCertificates(text: string): Buffer[] {
  const out: Buffer[] = [];
  const re = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+?)-----END CERTIFICATE-----/g;
  for (let m = re.exec(text); m !== null && out.length < 10; m = re.exec(text))
    out.push(Buffer.from((m[1] ?? "").replace(/\s+/g, ""), "base64"));
  return out;
}

/**
 * A cosign `.sig` layer as a Sigstore bundle (v0.1: a message signature over the payload's SHA-256, its Rekor
 * entry as an inclusion promise): the form @sigstore/verify checks. A layer signed with a key keeps no transparency
 * log entry (the trust is the key, as for key-signed bundles). Returns the reason when the layer is not a signature.
 */
export function cosignLayerBundle(layer: Pick<CosignSignatureLayer, "payload" | "annotations">): unknown {
  const a = layer.annotations;
  const sig = a[ANNOTATION.signature];
  if (sig === undefined || sig === "" || !/^[A-Za-z0-9+/=\s]+$/.test(sig))
    throw new Error(`no ${ANNOTATION.signature} annotation`);
  const certPem = a[ANNOTATION.certificate];
  const messageSignature = {
    messageDigest: {
      algorithm: "SHA2_256",
      digest: createHash("sha256").update(layer.payload).digest("base64"),
    },
    signature: sig.replace(/\s+/g, ""),
  };
  if (certPem === undefined || certPem === "")
    return {
      mediaType: "application/vnd.dev.sigstore.bundle+json;version=0.1",
      verificationMaterial: { publicKey: { hint: "" }, tlogEntries: [] },
      messageSignature,
    };
  const leaf = pemCertificates(certPem);
  if (leaf.length !== 1) throw new Error(`${ANNOTATION.certificate} is not one PEM certificate`);
  const chain = pemCertificates(a[ANNOTATION.chain] ?? "");
  const tlogEntries: unknown[] = [];
  const rekor = a[ANNOTATION.bundle];
  if (rekor !== undefined && rekor !== "") {
    let doc: unknown;
    try {
      doc = JSON.parse(rekor);
    } catch {
      throw new Error(`${ANNOTATION.bundle} is not JSON`);
    }
    const p = isRecord(doc) && isRecord(doc.Payload) ? doc.Payload : undefined;
    const set = isRecord(doc) ? doc.SignedEntryTimestamp : undefined;
    if (
      p === undefined ||
      typeof set !== "string" ||
      typeof p.body !== "string" ||
      typeof p.logID !== "string" ||
      !/^[0-9a-f]{64}$/.test(p.logID) ||
      !Number.isSafeInteger(p.integratedTime) ||
      !Number.isSafeInteger(p.logIndex)
    )
      throw new Error(`${ANNOTATION.bundle} is not a Rekor bundle (SignedEntryTimestamp, Payload)`);
    let body: unknown;
    try {
      body = JSON.parse(Buffer.from(p.body, "base64").toString("utf8"));
    } catch {
      throw new Error(`${ANNOTATION.bundle} Payload.body is not a Rekor entry`);
    }
    if (!isRecord(body) || typeof body.kind !== "string" || typeof body.apiVersion !== "string")
      throw new Error(`${ANNOTATION.bundle} Payload.body has no kind and apiVersion`);
    tlogEntries.push({
      logIndex: String(p.logIndex),
      logId: { keyId: Buffer.from(p.logID, "hex").toString("base64") },
      kindVersion: { kind: body.kind, version: body.apiVersion },
      integratedTime: String(p.integratedTime),
      inclusionPromise: { signedEntryTimestamp: set },
      canonicalizedBody: p.body,
    });
  }
  return {
    mediaType: "application/vnd.dev.sigstore.bundle+json;version=0.1",
    verificationMaterial: {
      x509CertificateChain: {
        certificates: [...leaf, ...chain].map((c) => ({ rawBytes: c.toString("base64") })),
      },
      tlogEntries,
    },
    messageSignature,
  };
}

/** One signature found for an image, ready to verify. */
type Candidate =
  | { origin: string; kind: "bundle"; json: unknown }
  | { origin: string; kind: "invalid"; reason: string }
  | { origin: string; kind: "cosign"; layer: CosignSignatureLayer };

type CacheEntry<T> = { at: number; ttl: number } & ({ value: T } | { error: unknown });

/** A bounded LRU whose entries expire (each with its own TTL) on the injected clock. */
class TtlCache<T> {
  readonly #map = new Map<string, CacheEntry<T>>();
  constructor(private readonly opts: SignatureCacheOptions) {}
  get(k: string): CacheEntry<T> | undefined {
    const hit = this.#map.get(k);
    if (hit === undefined) return undefined;
    this.#map.delete(k);
    if (this.opts.clock() - hit.at >= hit.ttl) return undefined;
    this.#map.set(k, hit);
    return hit;
  }
  set(k: string, e: { value: T } | { error: unknown }, ttl: number): void {
    this.#map.delete(k);
    this.#map.set(k, { ...e, at: this.opts.clock(), ttl });
    while (this.#map.size > this.opts.maxEntries) {
      const oldest = this.#map.keys().next().value;
      if (oldest === undefined) break;
      this.#map.delete(oldest);
    }
  }
  get size(): number {
    return this.#map.size;
  }
}

/**
 * A verifier over the keys (name as the policy writes it -> PEM), the trusted roots (name as the policy writes it ->
 * TrustedRoot JSON text), the bundles in `bundlesDir` (when given) and the registries (when `registry` is given).
 * A key that is not a public key, or a trusted root that does not parse, is refused here, at start-up, not at the
 * first review.
 */
export async function createSignatureVerifier(opts: {
  bundlesDir?: string | undefined;
  keys: Readonly<Record<string, string>>;
  trustedRoots?: Readonly<Record<string, string>>;
  registry?: RegistrySignatureOptions | undefined;
  cache?: SignatureCacheOptions | undefined;
  /** Fetch the material of one image (default: from its registry, adapters/image); replaceable for tests. */
  fetchMaterial?: typeof fetchSignatureMaterial;
  /** Counters to add to (shared by the verifiers a reloaded policy replaces); default a new set. */
  stats?: SignatureStats | undefined;
}): Promise<SignatureVerifier> {
  const { bundleFromJSON } = await import("@sigstore/bundle");
  const { toSignedEntity, toTrustMaterial, Verifier } = await import("@sigstore/verify");
  type TrustedRootArg = Parameters<typeof toTrustMaterial>[0];
  type Entity = ReturnType<typeof toSignedEntity>;
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
  const cacheOpts = opts.cache ?? DEFAULT_CACHE;
  const cache = new TtlCache<SignatureCheck>(cacheOpts);
  const materials = new TtlCache<SignatureMaterial>(cacheOpts);
  const flights = new Map<string, Promise<SignatureMaterial>>();
  const stats: SignatureStats = opts.stats ?? {
    hits: 0,
    misses: 0,
    fetches: 0,
    fetchErrors: 0,
    pastDeadline: 0,
  };
  const fetchMaterial = opts.fetchMaterial ?? fetchSignatureMaterial;

  function withKeys(entity: Entity, keyNames: readonly string[]): SignatureCheck {
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

  function keyless(entity: Entity, wanted: SignatureWanted): SignatureCheck {
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

  /** Verify one signature found for `digest`: the payload must name it, then the key or the certificate. */
  function checkCandidate(digest: string, c: Candidate, wanted: SignatureWanted): SignatureCheck {
    let entity: Entity;
    let payload: Buffer | undefined;
    const what = c.kind === "cosign" ? "cosign signature" : "signature bundle";
    if (c.kind === "invalid")
      return { verified: false, reason: `${what} for ${digest} is invalid: ${c.reason}` };
    try {
      if (c.kind === "bundle") {
        const bundle = bundleFromJSON(c.json);
        if (bundle.content.$case === "dsseEnvelope") payload = bundle.content.dsseEnvelope.payload;
        entity = toSignedEntity(bundle);
      } else {
        payload = c.layer.payload;
        entity = toSignedEntity(bundleFromJSON(cosignLayerBundle(c.layer)), payload);
      }
    } catch (e) {
      return { verified: false, reason: `${what} for ${digest} is invalid: ${(e as Error).message}` };
    }
    if (payload === undefined)
      return { verified: false, reason: "the bundle is not a DSSE envelope naming the image" };
    if (!signedDigests(payload).includes(digest))
      return { verified: false, reason: `the signature is for another image, not ${digest}` };
    const noun = c.kind === "cosign" ? "cosign signature" : "bundle";
    if (entity.key.$case === "certificate") {
      if (wanted.keyless.length === 0)
        return {
          verified: false,
          reason: `the ${noun} carries a certificate (keyless) and the policy names only keys`,
        };
      return keyless(entity, wanted);
    }
    if (wanted.keys.length === 0)
      return {
        verified: false,
        reason: `the ${noun} is signed with a key and the policy names only keyless identities`,
      };
    return withKeys(entity, wanted.keys);
  }

  async function fromDir(digest: string): Promise<Candidate[]> {
    if (opts.bundlesDir === undefined) return [];
    const file = join(opts.bundlesDir, `${digestTag(digest)}.sigstore.json`);
    let text: string;
    try {
      text = await readRegularText(file, { maxBytes: MAX_BUNDLE_BYTES, what: "signature bundle" });
    } catch {
      return [];
    }
    try {
      return [{ origin: file, kind: "bundle", json: JSON.parse(text) }];
    } catch (e) {
      // Unparsable: a candidate that fails with the parse error, so the denial says so.
      return [{ origin: file, kind: "invalid", reason: (e as Error).message }];
    }
  }

  /**
   * The registry's material for one image: from the cache (a failure too, for `errorTtlMs`), else one fetch at a
   * time per image, bounded by its own budget, that lands in the cache whoever is still waiting for it.
   */
  function registryMaterial(image: ImageLocation, digest: string): Promise<SignatureMaterial> {
    const reg = opts.registry as RegistrySignatureOptions;
    const k = `${image.registry}/${image.repository}@${digest}`;
    const hit = materials.get(k);
    if (hit !== undefined) return "error" in hit ? Promise.reject(hit.error) : Promise.resolve(hit.value);
    const running = flights.get(k);
    if (running) return running;
    stats.fetches++;
    // Docker Hub's API host is not the name references use.
    const host = image.registry === "docker.io" ? "registry-1.docker.io" : image.registry;
    const p = fetchMaterial(host, image.repository, digest, {
      ...reg.options(image.registry),
      signal: AbortSignal.timeout(reg.fetchTimeoutMs),
    })
      .then(
        (value) => {
          materials.set(k, { value }, cacheOpts.ttlMs);
          return value;
        },
        (error: unknown) => {
          stats.fetchErrors++;
          materials.set(k, { error }, reg.errorTtlMs);
          throw error;
        },
      )
      .finally(() => flights.delete(k));
    // The caller may stop waiting (its deadline): the outcome is in the cache, never an unhandled rejection.
    p.catch(() => {});
    flights.set(k, p);
    return p;
  }

  /** Wait for `p`, or reject when `signal` aborts first (counted: the fetch goes on into the cache). */
  function untilAborted<T>(p: Promise<T>, signal: AbortSignal | undefined, what: string): Promise<T> {
    if (signal === undefined) return p;
    if (signal.aborted) {
      stats.pastDeadline++;
      return Promise.reject(
        new PalisadeError("IO", `${what}: still fetching when the review's time ran out`),
      );
    }
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => {
        stats.pastDeadline++;
        reject(new PalisadeError("IO", `${what}: still fetching when the review's time ran out`));
      };
      signal.addEventListener("abort", onAbort, { once: true });
      p.then(
        (v) => {
          signal.removeEventListener("abort", onAbort);
          resolve(v);
        },
        (e: unknown) => {
          signal.removeEventListener("abort", onAbort);
          reject(e);
        },
      );
    });
  }

  /** The answer from every signature checked: the first that verified, else why none did. */
  function summarise(
    digest: string,
    results: { origin: string; check: SignatureCheck }[],
    looked: { dir: boolean; registry?: string | undefined },
  ): SignatureCheck {
    const ok = results.find((r) => r.check.verified);
    if (ok) return ok.check;
    if (results.length === 0) {
      if (looked.registry === undefined && !looked.dir)
        return {
          verified: false,
          reason: `no signature for ${digest}: the rule's source has nothing to read (no signatures directory, or an image reference without a registry)`,
        };
      if (looked.registry === undefined)
        return { verified: false, reason: `no signature bundle for ${digest}` };
      const where = `${looked.dir ? "no bundle in the signatures directory, " : ""}no ${digestTag(digest)}.sig tag and no Sigstore bundle referrer in ${looked.registry}`;
      return { verified: false, reason: `no signature for ${digest}: ${where}` };
    }
    if (results.length === 1) return (results[0] as { check: SignatureCheck }).check;
    return {
      verified: false,
      reason: `${results.length} signatures, none verifies: ${results.map((r) => `${r.origin}: ${r.check.reason}`).join("; ")}`,
    };
  }

  async function check(
    digest: string,
    wanted: SignatureWanted,
    image: ImageLocation | undefined,
    signal: AbortSignal | undefined,
  ): Promise<SignatureCheck> {
    if (!/^[a-z0-9]+:[a-f0-9]{32,}$/.test(digest))
      return { verified: false, reason: `not a digest: ${digest}` };
    const from = wanted.from ?? "both";
    const results: { origin: string; check: SignatureCheck }[] = [];
    const looked: { dir: boolean; registry?: string | undefined } = { dir: false };
    if (from !== "registry" && opts.bundlesDir !== undefined) {
      looked.dir = true;
      for (const c of await fromDir(digest))
        results.push({ origin: c.origin, check: checkCandidate(digest, c, wanted) });
      if (results.some((r) => r.check.verified)) return summarise(digest, results, looked);
    }
    // Signatures stored in another repository (COSIGN_REPOSITORY) are read there, for any image reference.
    const at = wanted.repository !== undefined ? locationOf(wanted.repository) : image;
    if (from !== "dir" && opts.registry !== undefined && at !== undefined) {
      const where = `${at.registry}/${at.repository}`;
      looked.registry = where;
      const material = await untilAborted(
        registryMaterial(at, digest),
        signal,
        `${where}@${digest}: signatures`,
      );
      const candidates: Candidate[] = [
        ...material.cosign.map((layer): Candidate => ({ origin: layer.origin, kind: "cosign", layer })),
        ...material.bundles.map((b): Candidate => ({ origin: b.origin, kind: "bundle", json: b.json })),
      ];
      for (const c of candidates) {
        const r = checkCandidate(digest, c, wanted);
        results.push({ origin: c.origin, check: r });
        if (r.verified) break;
      }
    }
    return summarise(digest, results, looked);
  }

  return {
    stats,
    async verify(digest, wanted, at) {
      const image = at?.image;
      const k = JSON.stringify([
        image?.registry ?? null,
        image?.repository ?? null,
        digest,
        wanted.from ?? "both",
        wanted.keys,
        wanted.keyless,
        wanted.trustedRoot ?? null,
        wanted.repository ?? null,
      ]);
      const hit = cache.get(k);
      if (hit !== undefined && "value" in hit) {
        stats.hits++;
        return hit.value;
      }
      stats.misses++;
      // A registry failure is not a result: it is thrown (the review follows the failure policy) and remembered
      // with the material, not here.
      const value = await check(digest, wanted, image, at?.signal);
      cache.set(k, { value }, cacheOpts.ttlMs);
      return value;
    },
  };
}
