import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { JsonValue } from "../../adapters/store/ports.js";
import {
  type AdmissionDecision,
  type AdmissionViolation,
  admissionPolicyFromFile,
  decide,
  parseAdmissionPolicyFile,
  parseAdmissionReview,
} from "../../core/admission/index.js";
import { expandDecisionDetails, STORED_DETAILS_FORMAT, storedDecisionDetails } from "./index.js";
import { reviewForCreate } from "./offline.js";

/** The details as the API showed them before the compact form: what expanding the stored form must give back. */
const shown = (d: AdmissionDecision) => ({
  message: d.status?.message ?? null,
  warnings: d.warnings,
  dryRun: d.dryRun,
  exemption: d.exemption ?? null,
  violations: d.violations.map((v) => ({
    rule: v.rule,
    mode: v.mode,
    fieldPath: v.fieldPath,
    message: v.message,
    exception: v.exception ? { id: v.exception.id, reason: v.exception.reason } : null,
  })),
});

/** Through JSON, as the store keeps it. */
const roundTrip = (d: AdmissionDecision): JsonValue =>
  expandDecisionDetails(JSON.parse(JSON.stringify(storedDecisionDetails(d))) as JsonValue);

const decision = (over: Partial<AdmissionDecision>): AdmissionDecision => ({
  uid: "u",
  allowed: true,
  warnings: [],
  auditAnnotations: {},
  violations: [],
  evaluated: "pod",
  dryRun: false,
  ...over,
});

const v = (rule: string, fieldPath: string, message: string, mode: AdmissionViolation["mode"] = "warn") => ({
  rule,
  mode,
  fieldPath,
  message,
});

describe("storedDecisionDetails / expandDecisionDetails", () => {
  // Every Pod Security check, every posture rule and the image rules, as bench/admission.ts enables them.
  const { policy: file, issues } = parseAdmissionPolicyFile({
    apiVersion: "palisade.dev/v1alpha1",
    kind: "AdmissionPolicy",
    failurePolicy: "Ignore",
    defaultMode: "warn",
    namespaces: [{ namespaces: ["shop"], mode: "enforce" }],
    podSecurity: [{ namespaces: ["*"], level: "restricted", version: "latest" }],
    posture: { severity: "info" },
    images: { registries: ["registry.acme.internal"], forbiddenTags: ["latest"] },
  });
  const policy = admissionPolicyFromFile(file, []);
  const labels: Record<string, Record<string, string>> = {
    shop: {
      "pod-security.kubernetes.io/enforce": "baseline",
      "pod-security.kubernetes.io/audit": "restricted",
      "pod-security.kubernetes.io/warn": "restricted",
    },
    tools: { "pod-security.kubernetes.io/warn": "baseline" },
  };
  const pod = (ns: string, spec: Record<string, unknown>) => ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: "web", namespace: ns },
    spec,
  });
  const privileged = {
    containers: [
      { name: "app", image: "nginx:latest", securityContext: { privileged: true } },
      { name: "sidecar", image: "registry.acme.internal/proxy:1.4" },
    ],
  };
  const decided = (o: Record<string, unknown>, ns: string) => {
    const parsed = parseAdmissionReview(reviewForCreate(o, "u1"));
    if (!parsed.ok) throw new Error(parsed.error);
    return decide(parsed.request, policy, { namespaceLabels: labels[ns], images: new Map() });
  };

  it("gives back what was answered for real decisions (denied, warned), in well under half the text", () => {
    expect(issues).toEqual([]);
    const denied = decided(pod("shop", privileged), "shop");
    const warned = decided(pod("tools", privileged), "tools");
    expect(denied.allowed).toBe(false);
    expect(denied.violations.length).toBeGreaterThan(20);
    expect(warned.allowed).toBe(true);
    expect(warned.warnings.length).toBeGreaterThan(10);
    for (const d of [denied, warned]) {
      expect(roundTrip(d)).toEqual(shown(d));
      expect(JSON.stringify(storedDecisionDetails(d)).length).toBeLessThan(
        JSON.stringify(shown(d)).length * 0.5,
      );
    }
  });

  it("stores each text as references where it occurs: whole violations, messages alone, the rest literal", () => {
    const vs = [
      v("pss/privileged", "spec", 'privileged (container "app")', "enforce"),
      v("image/registry", "spec.containers[0].image", "not allowed", "enforce"),
      v("posture/PAL-1", "spec.containers[0]", "no probe", "warn"),
    ];
    const d = decision({
      allowed: false,
      violations: vs,
      status: {
        status: "Failure",
        code: 403,
        reason: "Forbidden",
        message:
          'pods "web" is forbidden: violates PodSecurity "baseline:v1.30": privileged (container "app"); palisade policy: spec.containers[0].image: not allowed [image/registry]',
      },
      warnings: ["spec.containers[0]: no probe [posture/PAL-1]", "unrelated"],
    });
    expect(storedDecisionDetails(d)).toEqual({
      format: STORED_DETAILS_FORMAT,
      message: [
        'pods "web" is forbidden: violates PodSecurity "baseline:v1.30": ',
        -1,
        "; palisade policy: ",
        1,
      ],
      warnings: [[2], "unrelated"],
      dryRun: false,
      exemption: null,
      violations: [
        ["pss/privileged", "enforce", "spec", 'privileged (container "app")'],
        ["image/registry", "enforce", "spec.containers[0].image", "not allowed"],
        ["posture/PAL-1", "warn", "spec.containers[0]", "no probe"],
      ],
    });
    expect(roundTrip(d)).toEqual(shown(d));
  });

  it("keeps exceptions, exemptions, dry runs and decisions without a message", () => {
    const d = decision({
      dryRun: true,
      exemption: "namespace",
      violations: [
        { ...v("image/forbidden-tag", "spec.image", "latest"), exception: { id: "e1", reason: "why" } },
      ],
    });
    expect(roundTrip(d)).toEqual(shown(d));
  });

  it("returns details in any other form as stored: earlier rows, other writers, compact details that do not hold together", () => {
    const earlier = {
      message: "denied",
      warnings: ["w"],
      violations: [{ rule: "r", mode: "warn", message: "m" }],
    };
    expect(expandDecisionDetails(earlier)).toBe(earlier);
    for (const x of [null, "text", 3, [1, 2], {}] as JsonValue[]) expect(expandDecisionDetails(x)).toBe(x);
    const bad: JsonValue[] = [
      { format: 2, message: [0], warnings: [], violations: [] },
      { format: 2, message: null, warnings: [[-2]], violations: [["r", "warn", "f", "m"]] },
      { format: 2, message: [1.5], warnings: [], violations: [["r", "warn", "f", "m"]] },
      { format: 2, message: null, warnings: [], violations: [["r", "warn", "f"]] },
      { format: 2, message: null, warnings: [{}], violations: [] },
      { format: 2, warnings: [], violations: [] },
      { format: 2, message: null, violations: [] },
    ];
    for (const x of bad) expect(expandDecisionDetails(x)).toBe(x);
  });

  describe("pathological cases", () => {
    it("empty messages, one message inside another, the same message twice, texts that look like references", () => {
      const vs = [
        v("a", "spec", ""),
        v("b", "spec", "x"),
        v("c", "spec", "x"),
        v("d", "spec.x", "spec: x [b]"),
        v("e", "", "[e]"),
      ];
      const warnings = [
        "spec: x [b]",
        "spec: x [c]; spec: x [b]",
        "spec.x: spec: x [b] [d]",
        ": [e] [e]",
        "spec:  [a]",
        "1",
        "",
      ];
      const d = decision({ violations: vs, warnings });
      expect(roundTrip(d)).toEqual(shown(d));
    });

    it("any text made of violations' texts and anything else comes back exactly (property)", () => {
      const text = fc.string({ maxLength: 12 });
      fc.assert(
        fc.property(
          fc.array(fc.record({ rule: text, fieldPath: text, message: text }), { maxLength: 6 }),
          fc.array(fc.array(fc.tuple(fc.integer({ min: -7, max: 6 }), text), { maxLength: 6 }), {
            maxLength: 4,
          }),
          fc.option(fc.array(fc.tuple(fc.integer({ min: -7, max: 6 }), text), { maxLength: 6 })),
          (raw, warningParts, messageParts) => {
            const vs = raw.map((x) => ({ ...x, mode: "warn" as const }));
            const render = (parts: [number, string][]) =>
              parts
                .map(([i, lit]) => {
                  const x = vs[i >= 0 ? i : -i - 1];
                  if (x === undefined) return lit;
                  return i >= 0 ? `${x.fieldPath}: ${x.message} [${x.rule}]${lit}` : `${x.message}${lit}`;
                })
                .join("");
            const d = decision({
              allowed: messageParts === null,
              violations: vs,
              warnings: warningParts.map(render),
              ...(messageParts === null
                ? {}
                : {
                    status: {
                      status: "Failure" as const,
                      code: 403,
                      reason: "Forbidden" as const,
                      message: render(messageParts),
                    },
                  }),
            });
            expect(roundTrip(d)).toEqual(shown(d));
          },
        ),
      );
    });
  });
});
