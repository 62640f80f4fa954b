/**
 * Signature facts for admission: for each image a policy signature requirement matches, the digest (written, or
 * resolved through the store's facts) is verified against the requirement's keys and keyless identities by the
 * caller's verifier (an adapter; cached by digest there) and the result joins the image's facts.
 */
import type { AdmissionPolicy, ImageFacts, SignatureRequirement } from "../../core/admission/index.js";
import { parseImageRef } from "../../core/inventory/index.js";
import { globMatch } from "../../core/util/index.js";

export type VerifySignature = (
  digest: string,
  requirement: SignatureRequirement,
) => Promise<{ verified: boolean; reason: string }>;

/** Wrap an image-facts lookup so that images needing a signature carry the verification result. */
export function withSignatures(
  lookup: (images: readonly string[]) => Promise<ReadonlyMap<string, ImageFacts>>,
  policy: Pick<AdmissionPolicy, "signatures">,
  verify: VerifySignature,
): (images: readonly string[]) => Promise<ReadonlyMap<string, ImageFacts>> {
  const requirements = policy.signatures ?? [];
  if (requirements.length === 0) return lookup;
  return async (images) => {
    const facts = new Map(await lookup(images));
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
            : await verify(digest, req);
        facts.set(image, { ...(known ?? { vulnerabilities: [], analysed: false }), signature });
      }),
    );
    return facts;
  };
}
