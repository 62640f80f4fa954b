/**
 * Use case: answer one AdmissionReview. Validate the body, look up the facts the decision needs (namespace labels,
 * image facts) from the caller's sources, decide (core/admission) and build the response, or, when the caller's
 * deadline fires first or a source fails, answer by the policy's failurePolicy. Never throws for bad input: a
 * malformed review is an HTTP 400 answer with the reason.
 */

export {
  AnalysisQueue,
  type AnalysisQueueOptions,
  type AnalysisQueueStats,
  analysisTarget,
} from "./analysis-queue.js";
export {
  type AdmissionAnswer,
  type AdmissionFactSources,
  type AnswerOptions,
  answerAdmissionReview,
} from "./answer.js";
export { expandDecisionDetails, STORED_DETAILS_FORMAT, storedDecisionDetails } from "./decision-details.js";
export {
  CachedImageFacts,
  type CachedImageFactsOptions,
  type ImageFactsIndex,
  type ImageFactsSource,
  imageFactsIndex,
  loadImageFactsIndex,
  resolveDigest,
} from "./facts.js";
export { admissionTest, type OfflineDecision, type OfflineReport, reviewForCreate } from "./offline.js";
export { type LoadedAdmissionPolicy, loadAdmissionPolicy, relativeToPolicy } from "./policy.js";
export {
  DecisionRecorder,
  type DecisionRecorderOptions,
  type DecisionRecorderStats,
  decisionRecord,
  type PreparingDecisionStore,
} from "./recorder.js";
export { PolicyReloader, type PolicyReloaderOptions, type PolicyReloadStatus } from "./reload.js";
export {
  type ImageFactsLookup,
  type SignatureLookup,
  type VerifySignature,
  withSignatures,
} from "./signatures.js";
export { warmDecisions } from "./warm.js";
