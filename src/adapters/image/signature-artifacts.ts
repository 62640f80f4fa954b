/**
 * The signature material a registry holds next to an image, as cosign stores it (sigstore/cosign
 * specs/SIGNATURE_SPEC.md and specs/BUNDLE_SPEC.md), fetched through {@link RegistryClient} (auth, TLS, redirects,
 * digests verified) and not yet verified:
 *
 * - the signature tag `sha256-<hex>.sig`: an image manifest whose layers are simple-signing payloads
 *   (`application/vnd.dev.cosign.simplesigning.v1+json`) with the signature, certificate, chain and Rekor bundle in
 *   the layer's annotations;
 * - Sigstore bundles attached as OCI 1.1 artifacts (`artifactType` `application/vnd.dev.sigstore.bundle.v0.3+json`,
 *   `subject` the image), listed by the referrers API (`GET /v2/<name>/referrers/<digest>`) or, where the registry
 *   has none (it answers 404), by the referrers tag schema (an index tagged `sha256-<hex>`).
 *
 * Everything is bounded: documents by size (a manifest 4 MiB, a payload or bundle 1 MiB), counts (layers and
 * referrers read), every request by the client's time limit, and the whole fetch by the caller's signal. "Nothing
 * there" (404) is an empty answer; every other failure is an error naming the registry, repository and digest.
 */
import { PalisadeError } from "../../core/errors/index.js";
import { isValidDigest } from "./digest.js";
import {
  type Descriptor,
  MAX_MANIFEST_BYTES,
  MEDIA,
  parseImageManifest,
  parseIndex,
  parseJsonDocument,
} from "./manifest.js";
import { RegistryClient, type RegistryOptions, readBody } from "./registry.js";

export const COSIGN_SIMPLE_SIGNING_MEDIA = "application/vnd.dev.cosign.simplesigning.v1+json";
export const SIGSTORE_BUNDLE_MEDIA = "application/vnd.dev.sigstore.bundle.v0.3+json";
/** The older bundle media types (`application/vnd.dev.sigstore.bundle+json;version=0.x`) are accepted too. */
const isBundleMedia = (t: string | undefined): boolean =>
  t !== undefined &&
  (t === SIGSTORE_BUNDLE_MEDIA || /^application\/vnd\.dev\.sigstore\.bundle(?:\.v0\.\d+)?\+json/.test(t));

/** Caps on what one image's signature material may cost. */
export const SIGNATURE_FETCH_LIMITS = {
  /** One simple-signing payload or one Sigstore bundle. */
  maxDocumentBytes: 1024 * 1024,
  /** Signature layers read from the `.sig` manifest (cosign appends one per `cosign sign`). */
  maxSignatures: 32,
  /** Bundle artifacts read from the referrers list. */
  maxReferrers: 32,
} as const;

/** One layer of cosign's `.sig` manifest: the signed payload and the layer's annotations. */
export interface CosignSignatureLayer {
  /** Where it came from, for messages: `registry/repository:sha256-<hex>.sig layer N`. */
  origin: string;
  payload: Buffer;
  annotations: Readonly<Record<string, string>>;
}

/** A Sigstore bundle attached to the image, parsed JSON (not yet interpreted). */
export interface AttachedBundle {
  /** `registry/repository@<manifest digest>`. */
  origin: string;
  json: unknown;
}

export interface SignatureMaterial {
  cosign: CosignSignatureLayer[];
  bundles: AttachedBundle[];
  /** What was found but not read (over a count cap, another media type), for the denial's reason. */
  skipped: string[];
}

/** `sha256:<hex>` -> `sha256-<hex>`, the tag form cosign and the referrers tag schema use. */
export const digestTag = (digest: string): string => digest.replace(":", "-");

/** The client's 404 (the only INPUT error a bare GET or manifest fetch raises; documents are parsed after it). */
const notFound = (e: unknown): boolean => e instanceof PalisadeError && e.code === "INPUT";

/**
 * Fetch the signature material of `registry/repository@digest`. Errors (network, TLS, auth refused, a hostile
 * document, the caller's signal) are a PalisadeError whose message starts with `registry/repository@digest:`.
 */
export async function fetchSignatureMaterial(
  registry: string,
  repository: string,
  digest: string,
  opts: RegistryOptions,
): Promise<SignatureMaterial> {
  const where = `${registry}/${repository}@${digest}`;
  if (!isValidDigest(digest))
    throw new PalisadeError("INPUT", `${where}: not a digest`, { context: { digest } });
  const client = new RegistryClient(registry, repository, opts);
  const out: SignatureMaterial = { cosign: [], bundles: [], skipped: [] };
  const max = SIGNATURE_FETCH_LIMITS.maxDocumentBytes;
  try {
    // cosign's signature tag.
    const sigTag = `${digestTag(digest)}.sig`;
    const sig = await client.manifest(sigTag).catch((e: unknown) => {
      if (notFound(e)) return undefined;
      throw e;
    });
    if (sig !== undefined) {
      const what = `${registry}/${repository}:${sigTag}`;
      const m = parseImageManifest(parseJsonDocument(sig.bytes, what), what);
      const layers = m.layers.filter((l) => l.mediaType === COSIGN_SIMPLE_SIGNING_MEDIA);
      if (layers.length > SIGNATURE_FETCH_LIMITS.maxSignatures)
        out.skipped.push(
          `${what}: ${layers.length - SIGNATURE_FETCH_LIMITS.maxSignatures} signatures over the ${SIGNATURE_FETCH_LIMITS.maxSignatures} read`,
        );
      for (const [i, l] of layers.slice(0, SIGNATURE_FETCH_LIMITS.maxSignatures).entries()) {
        const payload = await client.readDescriptor(l, max, `${what} layer ${i}`);
        out.cosign.push({ origin: `${what} layer ${i}`, payload, annotations: l.annotations ?? {} });
      }
    }

    // OCI 1.1 referrers, else the referrers tag schema.
    let referrers: Descriptor[] | undefined;
    const listed = await client
      .get(`/v2/${repository}/referrers/${digest}`, MEDIA.OCI_INDEX, opts.timeoutMs ?? 30_000)
      .catch((e: unknown) => {
        if (notFound(e)) return undefined;
        throw e;
      });
    if (listed !== undefined) {
      const bytes = await readBody(listed, MAX_MANIFEST_BYTES, `${where}: referrers`);
      referrers = parseIndex(parseJsonDocument(bytes, "referrers"), "referrers").manifests;
    }
    if (referrers === undefined) {
      const idx = await client.manifest(digestTag(digest)).catch((e: unknown) => {
        if (notFound(e)) return undefined;
        throw e;
      });
      if (idx !== undefined)
        referrers = parseIndex(
          parseJsonDocument(idx.bytes, `${registry}/${repository}:${digestTag(digest)}`),
          `${registry}/${repository}:${digestTag(digest)}`,
        ).manifests;
    }
    // A descriptor without artifactType (tools that rewrite the tag schema's index drop it) is read to see.
    const bundles = (referrers ?? []).filter((d) =>
      d.artifactType === undefined
        ? d.mediaType === MEDIA.OCI_MANIFEST || d.mediaType === ""
        : isBundleMedia(d.artifactType),
    );
    if (bundles.length > SIGNATURE_FETCH_LIMITS.maxReferrers)
      out.skipped.push(
        `${where}: ${bundles.length - SIGNATURE_FETCH_LIMITS.maxReferrers} bundles over the ${SIGNATURE_FETCH_LIMITS.maxReferrers} read`,
      );
    for (const d of bundles.slice(0, SIGNATURE_FETCH_LIMITS.maxReferrers)) {
      const what = `${registry}/${repository}@${d.digest}`;
      const manifestBytes = await client.readDescriptor(
        { ...d, mediaType: d.mediaType || MEDIA.OCI_MANIFEST },
        MAX_MANIFEST_BYTES,
        what,
      );
      const m = parseImageManifest(parseJsonDocument(manifestBytes, what), what);
      const layer = m.layers.find((l) => isBundleMedia(l.mediaType));
      if (d.artifactType === undefined && !isBundleMedia(m.artifactType)) continue; // another kind of referrer
      if (layer === undefined) {
        out.skipped.push(`${what}: no Sigstore bundle layer`);
        continue;
      }
      const blob = await client.readDescriptor(layer, max, `${what} bundle`);
      out.bundles.push({ origin: what, json: parseJsonDocument(blob, `${what} bundle`) });
    }
    return out;
  } catch (e) {
    const err = e instanceof PalisadeError ? e : undefined;
    const reason = opts.signal?.aborted
      ? "fetch stopped (time budget spent)"
      : e instanceof Error
        ? e.message
        : String(e);
    throw new PalisadeError(err?.code ?? "IO", `${where}: signatures: ${reason}`, {
      cause: e,
      context: { digest, url: err?.context.url ?? `https://${registry}` },
    });
  } finally {
    client.close();
  }
}
