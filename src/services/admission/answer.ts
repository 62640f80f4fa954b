import {
  type AdmissionDecision,
  type AdmissionFacts,
  type AdmissionPolicy,
  type AdmissionRequest,
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
  /**
   * Facts for the images named (as written); an image left out is one nothing is known about. `signal` aborts when
   * the review was answered by its deadline: a lookup still fetching may stop waiting (and count it).
   */
  imageFacts(
    images: readonly string[],
    opts?: { signal?: AbortSignal | undefined },
  ): ReadonlyMap<string, ImageFacts> | Promise<ReadonlyMap<string, ImageFacts>>;
  /** Images nothing is known about, to analyse later (the queue must not block the answer). */
  queueForAnalysis?(images: readonly string[]): void;
}

export type AdmissionAnswer =
  | { httpStatus: 200; body: Record<string, unknown>; decision: AdmissionDecision; request: AdmissionRequest }
  | { httpStatus: 400; body: { error: string } };

export interface AnswerOptions {
  policy: AdmissionPolicy;
  sources: AdmissionFactSources;
  /** Settles with a reason when the caller's time is up; the answer then follows the failure policy. */
  deadline: Promise<string>;
  /** The clock, for exception expiry. */
  now?: (() => Date) | undefined;
}

/** Answer a parsed JSON body (the caller has capped its size and parsed it). */
export async function answerAdmissionReview(body: unknown, opts: AnswerOptions): Promise<AdmissionAnswer> {
  const parsed = parseAdmissionReview(body);
  if (!parsed.ok) return { httpStatus: 400, body: { error: parsed.error } };
  const req = parsed.request;
  const gaveUp = new AbortController();
  const evaluate = async (): Promise<AdmissionDecision> => {
    const named = requestImages(req);
    const [namespaceLabels, images] = await Promise.all([
      req.namespace === "" ? {} : opts.sources.namespaceLabels(req.namespace),
      opts.sources.imageFacts(named, { signal: gaveUp.signal }),
    ]);
    const facts: AdmissionFacts = { namespaceLabels, images, now: opts.now?.() };
    if (opts.sources.queueForAnalysis) {
      const unknown = named.filter((i) => {
        const f = images.get(i);
        return f === undefined || f.analysed === false;
      });
      if (unknown.length > 0) opts.sources.queueForAnalysis(unknown);
    }
    return decide(req, opts.policy, facts);
  };
  let decision: AdmissionDecision;
  try {
    const evaluation = evaluate();
    // Answered by the deadline: the evaluation's outcome no longer matters (and must not be an unhandled rejection).
    evaluation.catch(() => {});
    decision = await Promise.race([
      evaluation,
      opts.deadline.then((reason) => {
        gaveUp.abort();
        return failureDecision(req, opts.policy, reason);
      }),
    ]);
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    decision = failureDecision(req, opts.policy, `fact lookup failed: ${reason}`);
  }
  return { httpStatus: 200, body: admissionReviewResponse(decision), decision, request: req };
}
