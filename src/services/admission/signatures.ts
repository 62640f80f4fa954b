/**
 * Signature facts for admission: for each image a policy signature requirement matches, the digest (written, or
 * resolved through the store's facts) is verified against the requirement's keys and keyless identities by the
 * caller's verifier (an adapter: the bundles directory and the image's registry, cached by image there) and the
 * result joins the image's facts. A verifier that cannot answer (the registry unreachable, the review's time up)
 * rejects, and the review is answered by the policy's failurePolicy.
 */
import type { AdmissionPolicy, ImageFacts, SignatureRequirement } from "../../core/admission/index.js";
import { parseImageRef } from "../../core/inventory/index.js";
import { globMatch } from "../../core/util/index.js";

/** Where an image lives (its registry and repository, as the reference names them) and the review's signal. */
export interface SignatureLookup {
  image?: { registry: string; repository: string } | undefined;
  /** Aborts when the review's deadline has answered it: the verifier may stop waiting. */
  signal?: AbortSignal | undefined;
}

export type VerifySignature = (
  digest: string,
  requirement: SignatureRequirement,
  at: SignatureLookup,
) => Promise<{ verified: boolean; reason: string }>;

/** An image-facts lookup, told when the review no longer waits for it; synchronous when it has the answer at hand. */
export type ImageFactsLookup = (
  images: readonly string[],
  opts?: { signal?: AbortSignal | undefined },
) => ReadonlyMap<string, ImageFacts> | Promise<ReadonlyMap<string, ImageFacts>>;

/** Wrap an image-facts lookup so that images needing a signature carry the verification result. */
export function withSignatures(
  lookup: ImageFactsLookup,
  policy: Pick<AdmissionPolicy, "signatures">,
  verify: VerifySignature,
): ImageFactsLookup {
  const requirements = policy.signatures ?? [];
  if (requirements.length === 0) return lookup;
  return async (images, opts) => {
    const facts = new Map(await lookup(images, opts));
    await Promise.all(
      images.map(async (image) => {
        const parsed = parseImageRef(image);
        const name = parsed.ok ? parsed.ref.name : image;
        const req = requirements.find((r) => r.images.some((g) => globMatch(g, image) || globMatch(g, name)));
        if (req === undefined) return;
        const known = facts.get(image);
        const digest = (parsed.ok ? parsed.ref.digest : undefined) ?? known?.digest;
        const signature =
          digest === undefined
            ? {
                verified: false,
                reason: "its digest is unknown (reference it by digest, or analyse the image)",
              }
            : await verify(digest, req, {
                image: parsed.ok
                  ? { registry: parsed.ref.registry, repository: parsed.ref.repository }
                  : undefined,
                signal: opts?.signal,
              });
        facts.set(image, { ...(known ?? { vulnerabilities: [], analysed: false }), signature });
      }),
    );
    return facts;
  };
}
