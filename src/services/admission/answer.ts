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
  /**
   * Settles with a reason when the caller's time is up; the answer then follows the failure policy. A function is
   * called only when a fact source answers later (returns a promise): a review whose facts are at hand (the usual
   * case: namespace labels and image facts from caches) is decided at once, and no timer is set for it.
   */
  deadline: Promise<string> | (() => Promise<string>);
  /** The clock, for exception expiry. */
  now?: (() => Date) | undefined;
}

const isPromise = <T>(v: T | Promise<T>): v is Promise<T> =>
  typeof (v as { then?: unknown } | undefined)?.then === "function";

/**
 * Answer a parsed JSON body (the caller has capped its size and parsed it). Synchronous when both fact sources
 * answer synchronously (no promise, no timer, no abort signal made); otherwise a promise raced with the deadline.
 */
export function answerAdmissionReview(
  body: unknown,
  opts: AnswerOptions,
): AdmissionAnswer | Promise<AdmissionAnswer> {
  const parsed = parseAdmissionReview(body);
  if (!parsed.ok) return { httpStatus: 400, body: { error: parsed.error } };
  const req = parsed.request;
  const answered = (decision: AdmissionDecision): AdmissionAnswer => ({
    httpStatus: 200,
    body: admissionReviewResponse(decision),
    decision,
    request: req,
  });
  const lookupFailed = (e: unknown) =>
    failureDecision(req, opts.policy, `fact lookup failed: ${e instanceof Error ? e.message : String(e)}`);
  // Made only when a lookup reads it: a synchronous source never does.
  let gaveUp: AbortController | undefined;
  const lookup = {
    get signal(): AbortSignal {
      gaveUp ??= new AbortController();
      return gaveUp.signal;
    },
  };
  const named = requestImages(req);
  let labels: ReturnType<AdmissionFactSources["namespaceLabels"]>;
  let images: ReturnType<AdmissionFactSources["imageFacts"]>;
  try {
    labels = req.namespace === "" ? {} : opts.sources.namespaceLabels(req.namespace);
    images = opts.sources.imageFacts(named, lookup);
  } catch (e) {
    return answered(lookupFailed(e));
  }
  const evaluate = (namespaceLabels: Labels | undefined, found: ReadonlyMap<string, ImageFacts>) => {
    const facts: AdmissionFacts = { namespaceLabels, images: found, now: opts.now?.() };
    if (opts.sources.queueForAnalysis) {
      const unknown = named.filter((i) => {
        const f = found.get(i);
        return f === undefined || f.analysed === false;
      });
      if (unknown.length > 0) opts.sources.queueForAnalysis(unknown);
    }
    return decide(req, opts.policy, facts);
  };
  if (!isPromise(labels) && !isPromise(images)) {
    try {
      return answered(evaluate(labels, images));
    } catch (e) {
      return answered(lookupFailed(e));
    }
  }
  const evaluation = Promise.all([labels, images]).then(([l, i]) => evaluate(l, i));
  // Answered by the deadline: the evaluation's outcome no longer matters (and must not be an unhandled rejection).
  evaluation.catch(() => {});
  const deadline = typeof opts.deadline === "function" ? opts.deadline() : opts.deadline;
  return Promise.race([
    evaluation,
    deadline.then((reason) => {
      gaveUp?.abort();
      return failureDecision(req, opts.policy, reason);
    }),
  ]).then(answered, (e: unknown) => answered(lookupFailed(e)));
}
