/**
 * Use case: answer one AdmissionReview. Validate the body, look up the facts the decision needs (namespace labels,
 * image facts) from the caller's sources, decide (core/admission) and build the response, or, when the caller's
 * deadline fires first or a source fails, answer by the policy's failurePolicy. Never throws for bad input: a
 * malformed review is an HTTP 400 answer with the reason.
 */
import {
  type AdmissionDecision,
  type AdmissionFacts,
  type AdmissionPolicy,
  admissionReviewResponse,
  decide,
  failureDecision,
  type ImageFacts,
  parseAdmissionReview,
  requestImages,
} from "../../core/admission/index.js";
import type { Labels } from "../../core/k8s/index.js";

/** Where the facts come from: a watch-fed cache, manifests, the store. Either may be slow; neither may hang us. */
export interface AdmissionFactSources {
  /** The namespace's labels; undefined when it is not known. */
  namespaceLabels(namespace: string): Labels | undefined | Promise<Labels | undefined>;
  /** Facts for the images named (as written); an image left out is one nothing is known about. */
  imageFacts(
    images: readonly string[],
  ): ReadonlyMap<string, ImageFacts> | Promise<ReadonlyMap<string, ImageFacts>>;
}

export type AdmissionAnswer =
  | { httpStatus: 200; body: Record<string, unknown>; decision: AdmissionDecision }
  | { httpStatus: 400; body: { error: string } };

export interface AnswerOptions {
  policy: AdmissionPolicy;
  sources: AdmissionFactSources;
  /** Settles with a reason when the caller's time is up; the answer then follows the failure policy. */
  deadline: Promise<string>;
}

/** Answer a parsed JSON body (the caller has capped its size and parsed it). */
export async function answerAdmissionReview(body: unknown, opts: AnswerOptions): Promise<AdmissionAnswer> {
  const parsed = parseAdmissionReview(body);
  if (!parsed.ok) return { httpStatus: 400, body: { error: parsed.error } };
  const req = parsed.request;
  const evaluate = async (): Promise<AdmissionDecision> => {
    const [namespaceLabels, images] = await Promise.all([
      req.namespace === "" ? {} : opts.sources.namespaceLabels(req.namespace),
      opts.sources.imageFacts(requestImages(req)),
    ]);
    const facts: AdmissionFacts = { namespaceLabels, images };
    return decide(req, opts.policy, facts);
  };
  let decision: AdmissionDecision;
  try {
    decision = await Promise.race([
      evaluate(),
      opts.deadline.then((reason) => failureDecision(req, opts.policy, reason)),
    ]);
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    decision = failureDecision(req, opts.policy, `fact lookup failed: ${reason}`);
  }
  return { httpStatus: 200, body: admissionReviewResponse(decision), decision };
}

export { type LoadedAdmissionPolicy, loadAdmissionPolicy, relativeToPolicy } from "./policy.js";
