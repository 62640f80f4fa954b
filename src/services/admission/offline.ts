/**
 * Use case: the offline admission check (`palisade admission test`). Every Pod and workload in the input is turned
 * into the AdmissionReview the API server would send for its CREATE and answered by the same service the webhook
 * calls ({@link answerAdmissionReview}), so the CI gate and the webhook cannot disagree. Namespaces in the input
 * supply their labels; a namespace that is not in the input is evaluated with no labels and reported as coverage.
 */
import type { AdmissionPolicy, AdmissionViolation, ImageFacts } from "../../core/admission/index.js";
import { type CoverageEntry, cmp, type ResourceRef } from "../../core/findings/index.js";
import {
  isWorkloadKind,
  type Labels,
  parseApiVersion,
  resourceForKind,
  workloadKindOf,
} from "../../core/k8s/index.js";
import { isRecord } from "../../core/util/index.js";
import { answerAdmissionReview } from "./answer.js";

export interface OfflineDecision {
  resource: ResourceRef;
  allowed: boolean;
  /** The API server's message for a denial. */
  message?: string | undefined;
  warnings: string[];
  violations: AdmissionViolation[];
  auditAnnotations: Record<string, string>;
}

export interface OfflineReport {
  decisions: OfflineDecision[];
  coverage: CoverageEntry[];
}

/** The AdmissionReview body the API server sends for creating `object` (as a user named "palisade-offline"). */
export function reviewForCreate(
  object: Record<string, unknown>,
  uid: string,
): Record<string, unknown> | undefined {
  const apiVersion = typeof object.apiVersion === "string" ? object.apiVersion : "";
  const kind = typeof object.kind === "string" ? object.kind : "";
  const gv = parseApiVersion(apiVersion);
  if (gv === undefined || workloadKindOf(apiVersion, kind) === undefined) return undefined;
  const resource = resourceForKind(gv.group, kind)?.resource ?? `${kind.toLowerCase()}s`;
  const meta = isRecord(object.metadata) ? object.metadata : {};
  return {
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: {
      uid,
      kind: { group: gv.group, version: gv.version, kind },
      resource: { group: gv.group, version: gv.version, resource },
      requestKind: { group: gv.group, version: gv.version, kind },
      requestResource: { group: gv.group, version: gv.version, resource },
      name: typeof meta.name === "string" ? meta.name : "",
      namespace: typeof meta.namespace === "string" ? meta.namespace : "default",
      operation: "CREATE",
      userInfo: { username: "palisade-offline", groups: ["system:authenticated"] },
      object,
      oldObject: null,
      dryRun: true,
    },
  };
}

/**
 * Decide every workload among `objects`; `imageFacts` as the webhook's sources give them (the store, or nothing:
 * every image unknown).
 */
export async function admissionTest(
  objects: readonly Record<string, unknown>[],
  policy: AdmissionPolicy,
  imageFacts: (
    images: readonly string[],
  ) => ReadonlyMap<string, ImageFacts> | Promise<ReadonlyMap<string, ImageFacts>> = async () => new Map(),
): Promise<OfflineReport> {
  const coverage: CoverageEntry[] = [];
  const labels = new Map<string, Labels>();
  for (const o of objects) {
    if (o.kind !== "Namespace" || o.apiVersion !== "v1" || !isRecord(o.metadata)) continue;
    const name = o.metadata.name;
    if (typeof name !== "string") continue;
    const l = isRecord(o.metadata.labels) ? o.metadata.labels : {};
    labels.set(
      name,
      Object.fromEntries(Object.entries(l).filter(([, v]) => typeof v === "string")) as Labels,
    );
  }
  const missing = new Set<string>();
  const decisions: OfflineDecision[] = [];
  let n = 0;
  for (const object of objects) {
    const apiVersion = typeof object.apiVersion === "string" ? object.apiVersion : "";
    const kind = typeof object.kind === "string" ? object.kind : "";
    if (!isWorkloadKind(kind)) continue;
    const body = reviewForCreate(object, `offline-${++n}`);
    if (body === undefined) continue;
    const req = body.request as { namespace: string; name: string };
    const answer = await answerAdmissionReview(body, {
      policy,
      sources: {
        namespaceLabels: (ns) => {
          const l = labels.get(ns);
          if (l === undefined) missing.add(ns);
          return l ?? {};
        },
        imageFacts,
      },
      deadline: new Promise<string>(() => {}),
    });
    const resource: ResourceRef = { apiVersion, kind, namespace: req.namespace, name: req.name };
    if (answer.httpStatus === 400) {
      coverage.push({
        reason: "invalid",
        subject: `${kind}/${req.name}`,
        namespace: req.namespace,
        kind,
        message: `${kind} ${req.namespace}/${req.name} cannot be reviewed: ${answer.body.error}`,
      });
      continue;
    }
    const d = answer.decision;
    decisions.push({
      resource,
      allowed: d.allowed,
      ...(d.status ? { message: d.status.message } : {}),
      warnings: d.warnings,
      violations: d.violations,
      auditAnnotations: d.auditAnnotations,
    });
  }
  for (const ns of [...missing].sort(cmp))
    coverage.push({
      reason: "missing",
      subject: ns,
      namespace: ns,
      kind: "Namespace",
      message: `namespace "${ns}" is not in the input: its pod-security labels are unknown, evaluated without labels`,
    });
  decisions.sort(
    (a, b) =>
      cmp(a.resource.namespace ?? "", b.resource.namespace ?? "") ||
      cmp(a.resource.kind, b.resource.kind) ||
      cmp(a.resource.name, b.resource.name),
  );
  return { decisions, coverage };
}
