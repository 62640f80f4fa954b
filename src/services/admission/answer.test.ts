import { describe, expect, it } from "vitest";
import {
  type AdmissionPolicy,
  DEFAULT_ADMISSION_POLICY,
  decide,
  type ImageFacts,
  parseAdmissionReview,
} from "../../core/admission/index.js";
import { type AdmissionFactSources, answerAdmissionReview } from "./answer.js";

const LABELS = { "pod-security.kubernetes.io/enforce": "restricted" };
const POLICY: AdmissionPolicy = { ...DEFAULT_ADMISSION_POLICY, failurePolicy: "Ignore" };
const BODY = {
  apiVersion: "admission.k8s.io/v1",
  kind: "AdmissionReview",
  request: {
    uid: "u-1",
    kind: { group: "", version: "v1", kind: "Pod" },
    resource: { group: "", version: "v1", resource: "pods" },
    name: "web",
    namespace: "apps",
    operation: "CREATE",
    userInfo: { username: "alice" },
    object: {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "web", namespace: "apps" },
      spec: { containers: [{ name: "app", image: "nginx:1.27", securityContext: { privileged: true } }] },
    },
  },
};
const parsed = parseAdmissionReview(BODY);
if (!parsed.ok) throw new Error(parsed.error);
const EXPECTED = decide(parsed.request, POLICY, { namespaceLabels: LABELS, images: new Map() });

/** A deadline that counts its calls and settles only when told. */
function deadline() {
  let calls = 0;
  let fire: (reason: string) => void = () => {};
  const make = () => {
    calls++;
    return new Promise<string>((resolve) => {
      fire = resolve;
    });
  };
  return { make, calls: () => calls, fire: (reason: string) => fire(reason) };
}

describe("answerAdmissionReview", () => {
  it("decides at once, without a deadline, when both fact sources answer synchronously", () => {
    const d = deadline();
    const sources: AdmissionFactSources = {
      namespaceLabels: () => LABELS,
      imageFacts: () => new Map(),
    };
    const answer = answerAdmissionReview(BODY, { policy: POLICY, sources, deadline: d.make });
    expect(answer).not.toBeInstanceOf(Promise);
    expect(answer).toMatchObject({ httpStatus: 200, decision: EXPECTED });
    expect(d.calls()).toBe(0);
  });

  it("gives the same decision when a source answers later, the deadline set once", async () => {
    const d = deadline();
    const sources: AdmissionFactSources = {
      namespaceLabels: async () => LABELS,
      imageFacts: () => new Map(),
    };
    const answer = answerAdmissionReview(BODY, { policy: POLICY, sources, deadline: d.make });
    expect(answer).toBeInstanceOf(Promise);
    expect(await answer).toMatchObject({ httpStatus: 200, decision: EXPECTED });
    expect(d.calls()).toBe(1);
  });

  it("answers by the failure policy at the deadline, and aborts the lookup that still runs", async () => {
    const d = deadline();
    let signal: AbortSignal | undefined;
    const sources: AdmissionFactSources = {
      namespaceLabels: () => LABELS,
      // Test double for a registry fetch that never ends (a real one cannot be made to hang on cue).
      imageFacts: (_images, opts) => {
        signal = opts?.signal;
        return new Promise<ReadonlyMap<string, ImageFacts>>(() => {});
      },
    };
    const answer = answerAdmissionReview(BODY, { policy: POLICY, sources, deadline: d.make });
    expect(signal?.aborted).toBe(false);
    d.fire("no decision within 5 ms");
    const a = await answer;
    expect(a.httpStatus === 200 && a.decision).toMatchObject({
      allowed: true,
      evaluated: "failure",
      auditAnnotations: { "evaluation-failure": "no decision within 5 ms" },
    });
    expect(signal?.aborted).toBe(true);
  });

  it("answers by the failure policy when a source throws, synchronously or not", async () => {
    const failing = (how: "throws" | "rejects"): AdmissionFactSources => ({
      namespaceLabels: () => LABELS,
      imageFacts: () => {
        if (how === "throws") throw new Error("store closed");
        return Promise.reject(new Error("store closed"));
      },
    });
    for (const how of ["throws", "rejects"] as const) {
      const a = await answerAdmissionReview(BODY, {
        policy: POLICY,
        sources: failing(how),
        deadline: deadline().make,
      });
      expect(a.httpStatus === 200 && a.decision.auditAnnotations).toEqual({
        "evaluation-failure": "fact lookup failed: store closed",
      });
    }
  });

  it("refuses a malformed review with 400 and the reason", () => {
    const sources: AdmissionFactSources = { namespaceLabels: () => LABELS, imageFacts: () => new Map() };
    expect(
      answerAdmissionReview(
        { ...BODY, apiVersion: "v1" },
        { policy: POLICY, sources, deadline: deadline().make },
      ),
    ).toEqual({ httpStatus: 400, body: { error: 'apiVersion: expected "admission.k8s.io/v1", got "v1"' } });
  });
});
