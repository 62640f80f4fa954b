/**
 * The admission decision: one pure function over a validated AdmissionReview request, the policy and the facts
 * the caller looked up (namespace labels, what is known about each image). No IO: the webhook, an offline check
 * and a test give the same answer for the same input.
 *
 * Pod Security follows the built-in PodSecurity admission plugin step by step
 * (k8s.io/pod-security-admission/admission/admission.go: Validate, ValidatePod, ValidatePodController,
 * EvaluatePod), so that a namespace's pod-security.kubernetes.io labels mean here exactly what they mean there.
 */
import { type Exception, findException } from "../exceptions/index.js";
import type { Severity } from "../findings/index.js";
import { parseImageRef } from "../inventory/index.js";
import { type Labels, workloadKindOf, workloadKindSpec } from "../k8s/index.js";
import { workloadPostureHits } from "../posture/index.js";
import {
  DEFAULT_PSS_POLICY,
  type PssEvaluator,
  type PssLabelError,
  type PssModePolicy,
  type PssPolicy,
  type PssResult,
  policyFromLabels,
  pssEvaluator,
} from "../pss/index.js";
import { globMatch, isRecord } from "../util/index.js";
import type {
  NamespaceMode,
  PodSecurityRule,
  RuleMode,
  SignatureRequirement,
  UnanalysedAction,
} from "./policy-file.js";
import type { AdmissionRequest, AdmissionStatus } from "./review.js";

export type { RuleMode } from "./policy-file.js";

export type ImageRuleId =
  | "image/denied-digest"
  | "image/denied-vulnerability"
  | "image/vulnerability-severity"
  | "image/remediated-digest"
  | "image/unanalysed"
  | "image/registry"
  | "image/forbidden-tag"
  | "image/digest-required"
  | "image/signature";

export interface AdmissionPolicy {
  /**
   * Like PodSecurityConfiguration's `exemptions` (AdmissionConfiguration): a request in an exempt namespace, by
   * an exempt user, or (for a pod template naming it) with an exempt runtimeClassName is not evaluated at all.
   */
  exemptions: {
    namespaces: readonly string[];
    usernames: readonly string[];
    runtimeClasses: readonly string[];
  };
  /** PodSecurityConfiguration `defaults`: the policy of a namespace without pod-security labels. */
  pssDefaults: PssPolicy;
  images: {
    deniedDigests: readonly string[];
    /** Advisory ids (CVE, GHSA, OSV); an image with one of them, or an alias of one, violates. */
    deniedVulnerabilities: readonly string[];
    /** Vulnerabilities at or above this severity violate; absent: this rule is off. */
    severityThreshold?: Severity | undefined;
    /** With a threshold: only vulnerabilities that have a fix count (an upgrade exists). */
    onlyFixable: boolean;
    /** Per rule; a rule without a mode audits. */
    modes: Partial<Record<ImageRuleId, RuleMode>>;
  };
  /**
   * What the webhook answers when it cannot decide (the namespace is unknown, the deadline passed):
   * "Fail" denies, "Ignore" allows, as the ValidatingWebhookConfiguration failurePolicy names them.
   */
  failurePolicy: "Fail" | "Ignore";
  /**
   * The mode of Palisade's own rules (everything but the namespace labels' Pod Security) in a namespace: the
   * first entry whose globs match, else `defaultMode` (audit when unset). A rule's own mode (`ruleModes`,
   * `images.modes`) wins over both.
   */
  defaultMode?: RuleMode | undefined;
  namespaceModes?: readonly NamespaceMode[] | undefined;
  ruleModes?: Readonly<Record<string, RuleMode>> | undefined;
  /** Pod Security level and version per namespace (first match), evaluated as Palisade rules `pss/<check>`. */
  podSecurity?: readonly PodSecurityRule[] | undefined;
  /** Posture rules at or above this severity, on the object plus its namespace (`posture/<rule id>`). */
  posture?: { severity: Severity } | undefined;
  /** Allowed registries (globs over `registry` and `registry/repository`); empty or unset: any. */
  registries?: readonly string[] | undefined;
  /** Tags an image may not be referenced by (`latest`); an image without tag or digest is `latest`. */
  forbiddenTags?: readonly string[] | undefined;
  /** Every image must be referenced by digest. */
  requireDigest?: boolean | undefined;
  /** Deny digests a closed remediation record replaced (the fixed image must not come back). */
  remediated?: boolean | undefined;
  /** Images nothing is known about: allow (default), warn or deny. */
  unanalysed?: UnanalysedAction | undefined;
  /** Images (by glob) that must carry a verified signature. */
  signatures?: readonly SignatureRequirement[] | undefined;
  /** Resolve tags to digests with a JSON patch (/mutate). */
  mutation?: { resolveTags: boolean } | undefined;
  /** Exceptions in the exceptions file format: a matched violation is listed with it and acts on nothing. */
  exceptions?: readonly Exception[] | undefined;
}

/** The policy of a cluster that installed Palisade and wrote no policy: exactly what the namespace labels say. */
export const DEFAULT_ADMISSION_POLICY: AdmissionPolicy = {
  exemptions: { namespaces: [], usernames: [], runtimeClasses: [] },
  pssDefaults: DEFAULT_PSS_POLICY,
  images: { deniedDigests: [], deniedVulnerabilities: [], onlyFixable: false, modes: {} },
  failurePolicy: "Fail",
};

export interface ImageVulnerability {
  id: string;
  aliases?: readonly string[];
  severity: Severity;
  fixAvailable: boolean;
}

/** What the caller knows about one image, keyed by the reference as the pod spec writes it. */
export interface ImageFacts {
  /** The digest the reference resolved to, when it names only a tag. */
  digest?: string;
  vulnerabilities: readonly ImageVulnerability[];
  /** False when the image is known by name only, never analysed (absent from the map: the same). */
  analysed?: boolean;
  /** A closed remediation record replaced this digest (recorded vulnerable or superseded). */
  remediated?: { record: string; fixedDigest?: string | undefined } | undefined;
  /** Signature verification of the digest, when the policy requires one (the caller verifies). */
  signature?: { verified: boolean; reason: string } | undefined;
}

export interface AdmissionFacts {
  /** The labels of the request's namespace; undefined when the namespace is not known. */
  namespaceLabels: Labels | undefined;
  images: ReadonlyMap<string, ImageFacts>;
  /** For exception expiry; without it no exception is expired. */
  now?: Date | undefined;
}

/** One RFC 6902 operation of a mutation. */
export interface JsonPatchOp {
  op: "replace";
  path: string;
  value: string;
}

export interface AdmissionViolation {
  /** "pss/<check id>" or an {@link ImageRuleId}. */
  rule: string;
  mode: RuleMode;
  /** Dotted path into the admitted object. */
  fieldPath: string;
  message: string;
  /** The exception that matched: the violation is listed and acts on nothing. */
  exception?: { id: string; reason: string } | undefined;
}

export interface AdmissionDecision {
  uid: string;
  allowed: boolean;
  status?: AdmissionStatus | undefined;
  warnings: string[];
  /** Keys without a prefix: the API server prefixes them with the webhook's name. */
  auditAnnotations: Record<string, string>;
  violations: AdmissionViolation[];
  exemption?: "namespace" | "user" | "runtimeClass" | undefined;
  /** What was evaluated: "pod", "controller" (a pod template) or why nothing was. */
  evaluated:
    | "pod"
    | "controller"
    | "not-a-workload"
    | "operation"
    | "subresource"
    | "no-pod-template"
    | "failure";
  dryRun: boolean;
  /** Tags resolved to digests, when the policy mutates and digests are known. */
  patch?: JsonPatchOp[] | undefined;
}

/** Pod subresources the PodSecurity plugin ignores (admission.go ignoredPodSubresources); others are evaluated. */
const IGNORED_POD_SUBRESOURCES: ReadonlySet<string> = new Set([
  "exec",
  "attach",
  "binding",
  "eviction",
  "log",
  "portforward",
  "proxy",
  "status",
]);

const SEVERITY_RANK: Readonly<Record<Severity, number>> = {
  info: 0,
  low: 1,
  medium: 2,
  high: 3,
  critical: 4,
};
const MAX_IDS_IN_MESSAGE = 5;

function at(obj: unknown, dotted: string): unknown {
  let cur: unknown = obj;
  for (const k of dotted.split(".")) {
    if (!isRecord(cur) || !Object.hasOwn(cur, k)) return undefined;
    cur = cur[k];
  }
  return cur;
}

/**
 * "pss/<check id>", "posture/<rule id>": one string per rule, made once. A violation's rule is looked up in the
 * policy's modes (an object keyed by rule) and exceptions; a string concatenated per violation was hashed and
 * internalised anew at each lookup (the largest single line of a decision's profile). The catalogues are closed
 * (upstream's checks, Palisade's posture rules), so this never grows past them.
 */
const RULE_NAMES = { "pss/": new Map<string, string>(), "posture/": new Map<string, string>() };
function ruleName(prefix: "pss/" | "posture/", id: string): string {
  const names = RULE_NAMES[prefix];
  let name = names.get(id);
  if (name === undefined) {
    name = prefix + id;
    names.set(id, name);
  }
  return name;
}

const levelVersion = (m: PssModePolicy): string => `${m.level}:${m.version}`;

/** AggregateCheckResult.ForbiddenDetail: the failed checks' messages joined by ", ". */
const forbiddenDetail = (r: PssResult): string => r.violations.map((v) => v.message).join(", ");

/** field.ErrorList.ToAggregate().Error() of the label errors PolicyToEvaluate returns. */
function labelErrorsText(errors: readonly PssLabelError[]): string {
  const each = errors.map(
    (e) => `metadata.labels[${e.label}]: Invalid value: ${JSON.stringify(e.value)}: ${e.message}`,
  );
  return each.length === 1 ? (each[0] as string) : `[${each.join(", ")}]`;
}

/** GroupResource.String(): "pods", "deployments.apps". */
const groupResource = (req: AdmissionRequest): string =>
  req.resource.group === "" ? req.resource.resource : `${req.resource.resource}.${req.resource.group}`;

/** apierrors.NewForbidden's message and status. */
function forbidden(req: AdmissionRequest, reason: string): AdmissionStatus {
  const gr = groupResource(req);
  const message =
    req.name === ""
      ? `${gr} is forbidden: ${reason}`
      : `${gr} ${JSON.stringify(req.name)} is forbidden: ${reason}`;
  return {
    status: "Failure",
    code: 403,
    reason: "Forbidden",
    message,
    details: {
      ...(req.name === "" ? {} : { name: req.name }),
      ...(req.resource.group === "" ? {} : { group: req.resource.group }),
      kind: req.resource.resource,
    },
  };
}

interface ContainerRef {
  image: string;
  path: string;
}

function containers(spec: unknown, specPath: string): ContainerRef[] {
  const out: ContainerRef[] = [];
  if (!isRecord(spec)) return out;
  for (const field of ["initContainers", "containers", "ephemeralContainers"] as const) {
    const list = spec[field];
    if (!Array.isArray(list)) continue;
    list.forEach((c, i) => {
      if (isRecord(c) && typeof c.image === "string")
        out.push({ image: c.image, path: `${specPath}.${field}[${i}].image` });
    });
  }
  return out;
}

/**
 * PodSecurity's isSignificantPodUpdate: an update that changes no image, no container count and no seccomp
 * annotation is not re-evaluated (a pod admitted under an older policy can still get its labels changed).
 */
function isSignificantPodUpdate(pod: Record<string, unknown>, old: Record<string, unknown>): boolean {
  const ann = (o: unknown, k: string) => {
    const a = at(o, "metadata.annotations");
    return isRecord(a) && typeof a[k] === "string" ? a[k] : undefined;
  };
  const seccompPod = "seccomp.security.alpha.kubernetes.io/pod";
  if (ann(pod, seccompPod) !== ann(old, seccompPod)) return true;
  const list = (o: unknown, f: string): Record<string, unknown>[] => {
    const l = at(o, `spec.${f}`);
    return Array.isArray(l) ? l.map((c) => (isRecord(c) ? c : {})) : [];
  };
  const significant = (c: Record<string, unknown>, oc: Record<string, unknown>) => {
    if (c.image !== oc.image) return true;
    const key = `container.seccomp.security.alpha.kubernetes.io/${String(c.name ?? "")}`;
    return ann(pod, key) !== ann(old, key);
  };
  for (const f of ["containers", "initContainers"]) {
    const now = list(pod, f);
    const before = list(old, f);
    if (now.length !== before.length) return true;
    for (let i = 0; i < now.length; i++) if (significant(now[i] ?? {}, before[i] ?? {})) return true;
  }
  const oldEphemeral = list(old, "ephemeralContainers");
  for (const c of list(pod, "ephemeralContainers")) {
    const oc = oldEphemeral.find((o) => o.name === c.name);
    if (oc === undefined || significant(c, oc)) return true;
  }
  return false;
}

/** api.PolicyToEvaluate (core/pss policyFromLabels, which includes upstream's warn defaulting). */
const toEvaluate = (labels: Labels, defaults: PssPolicy): { policy: PssPolicy; errors: PssLabelError[] } =>
  policyFromLabels(labels, defaults);

interface PssOutcome {
  denial?: string;
  warnings: string[];
  auditAnnotations: Record<string, string>;
  violations: AdmissionViolation[];
}

/**
 * EvaluatePod: enforce (pods only), audit and warn. `pss` evaluates the pod (each level+version once, each check
 * once: the policy's own level shares it).
 */
function evaluatePod(
  nsPolicy: PssPolicy,
  labelErrors: readonly PssLabelError[],
  pss: PssEvaluator,
  specPath: string,
  enforce: boolean,
): PssOutcome {
  const out: PssOutcome = { warnings: [], auditAnnotations: {}, violations: [] };
  if (labelErrors.length > 0)
    out.auditAnnotations.error = `Failed to parse policy: ${labelErrorsText(labelErrors)}`;
  const run = (m: PssModePolicy): PssResult => pss(m.level, m.version);
  const record = (mode: RuleMode, r: PssResult) => {
    for (const v of r.violations)
      out.violations.push({ rule: ruleName("pss/", v.check), mode, fieldPath: specPath, message: v.message });
  };
  if (enforce) {
    out.auditAnnotations["enforce-policy"] = levelVersion(nsPolicy.enforce);
    const r = run(nsPolicy.enforce);
    if (!r.allowed) {
      out.denial = `violates PodSecurity ${JSON.stringify(levelVersion(nsPolicy.enforce))}: ${forbiddenDetail(r)}`;
      record("enforce", r);
    }
  }
  const audit = run(nsPolicy.audit);
  if (!audit.allowed) {
    out.auditAnnotations["audit-violations"] =
      `would violate PodSecurity ${JSON.stringify(levelVersion(nsPolicy.audit))}: ${forbiddenDetail(audit)}`;
    record("audit", audit);
  }
  // Like the plugin: no warnings on a request it is about to reject.
  if (out.denial === undefined) {
    const warn = run(nsPolicy.warn);
    if (!warn.allowed) {
      out.warnings.push(
        `would violate PodSecurity ${JSON.stringify(levelVersion(nsPolicy.warn))}: ${forbiddenDetail(warn)}`,
      );
      record("warn", warn);
    }
  }
  return out;
}

type Draft = Omit<AdmissionViolation, "mode" | "exception">;

/** The image rules over the containers an admission judges (on UPDATE, those the old object did not run). */
function imageViolations(
  policy: AdmissionPolicy,
  facts: AdmissionFacts,
  refs: readonly ContainerRef[],
): Draft[] {
  const out: Draft[] = [];
  const images = policy.images;
  const deniedDigests = new Set(images.deniedDigests);
  const deniedIds = new Set(images.deniedVulnerabilities);
  const registries = policy.registries ?? [];
  const forbiddenTags = new Set(policy.forbiddenTags ?? []);
  const v = (rule: ImageRuleId, path: string, message: string) =>
    out.push({ rule, fieldPath: path, message });
  for (const { image, path } of refs) {
    const known = facts.images.get(image);
    const parsed = parseImageRef(image);
    const q = JSON.stringify(image);
    const digest = (parsed.ok ? parsed.ref.digest : undefined) ?? known?.digest;
    if (parsed.ok) {
      const ref = parsed.ref;
      if (
        registries.length > 0 &&
        !registries.some((g) => globMatch(g, ref.registry) || globMatch(g, ref.name))
      )
        v(
          "image/registry",
          path,
          `image ${q} is from ${ref.registry}, not an allowed registry (${registries.join(", ")})`,
        );
      // No tag and no digest means :latest to the container runtime.
      const tag = ref.tag ?? (ref.digest === undefined ? "latest" : undefined);
      if (tag !== undefined && forbiddenTags.has(tag))
        v("image/forbidden-tag", path, `image ${q} uses the forbidden tag "${tag}"`);
      if (policy.requireDigest && ref.digest === undefined)
        v("image/digest-required", path, `image ${q} is not referenced by digest`);
    } else if (registries.length > 0 || policy.requireDigest) {
      v("image/registry", path, `image ${q} is not a valid image reference: ${parsed.error}`);
    }
    if (digest !== undefined && deniedDigests.has(digest))
      v("image/denied-digest", path, `image ${q} is ${digest}, a digest the policy denies`);
    for (const req of policy.signatures ?? []) {
      const name = parsed.ok ? parsed.ref.name : image;
      if (!req.images.some((g) => globMatch(g, image) || globMatch(g, name))) continue;
      const sig = known?.signature;
      if (sig === undefined)
        v("image/signature", path, `image ${q} must be signed: no signature was verified`);
      else if (!sig.verified) v("image/signature", path, `image ${q} must be signed: ${sig.reason}`);
      break;
    }
    if (known === undefined || known.analysed === false) {
      if ((policy.unanalysed ?? "allow") !== "allow")
        v("image/unanalysed", path, `image ${q} has never been analysed; queued for analysis`);
      continue;
    }
    if (policy.remediated && known.remediated !== undefined)
      v(
        "image/remediated-digest",
        path,
        `image ${q} (${digest ?? "digest unknown"}) was replaced by remediation ${known.remediated.record}${known.remediated.fixedDigest ? ` with ${known.remediated.fixedDigest}` : ""}; the fixed image must not come back`,
      );
    const listed = known.vulnerabilities
      .filter((x) => deniedIds.has(x.id) || (x.aliases ?? []).some((a) => deniedIds.has(a)))
      .map((x) => x.id);
    if (listed.length > 0)
      v("image/denied-vulnerability", path, `image ${q} has denied vulnerabilities ${idList(listed)}`);
    const threshold = images.severityThreshold;
    if (threshold !== undefined) {
      const severe = known.vulnerabilities
        .filter(
          (x) =>
            SEVERITY_RANK[x.severity] >= SEVERITY_RANK[threshold] && (!images.onlyFixable || x.fixAvailable),
        )
        .map((x) => x.id);
      if (severe.length > 0)
        v(
          "image/vulnerability-severity",
          path,
          `image ${q} has ${severe.length} ${images.onlyFixable ? "fixable " : ""}vulnerabilit${severe.length === 1 ? "y" : "ies"} at or above ${threshold}: ${idList(severe)}`,
        );
    }
  }
  return out;
}

/** The policy's Pod Security rule for a namespace: the first entry whose globs match. */
const podSecurityFor = (policy: AdmissionPolicy, ns: string): PodSecurityRule | undefined =>
  policy.podSecurity?.find((r) => r.namespaces.some((g) => globMatch(g, ns)));

/** The mode of Palisade's rules in a namespace (before a rule's own mode). */
export function namespaceMode(policy: AdmissionPolicy, ns: string): RuleMode {
  return (
    policy.namespaceModes?.find((m) => m.namespaces.some((g) => globMatch(g, ns)))?.mode ??
    policy.defaultMode ??
    "audit"
  );
}

/**
 * Posture rules at or above the severity on the object, as judged over an inventory of the object and its
 * namespace: only hits on the object itself count (the namespace is context, not what is admitted), and no rule
 * on a workload reads its namespace, so the object is judged alone (core/posture workloadPostureHits: rules below
 * the severity are not run and no finding is built; its differential test holds it to evaluatePosture).
 */
function postureViolations(
  threshold: Severity,
  req: AdmissionRequest,
  object: Record<string, unknown>,
): Draft[] {
  const meta = isRecord(object.metadata) ? object.metadata : {};
  const name = typeof meta.name === "string" && meta.name !== "" ? meta.name : req.name || "(generated)";
  const obj = { ...object, metadata: { ...meta, name, namespace: req.namespace } };
  const kind = req.kind.kind;
  const hits = workloadPostureHits(obj, {
    minSeverity: threshold,
    object: (ref) => ref.kind === kind && ref.name === name,
  });
  const out: Draft[] = [];
  for (const h of hits)
    out.push({ rule: ruleName("posture/", h.ruleId), fieldPath: h.fieldPath, message: h.message });
  return out;
}

/** "spec.template.spec.containers[0].image" as a JSON pointer. */
const pointer = (dotted: string): string =>
  `/${dotted
    .replace(/\[(\d+)\]/g, ".$1")
    .split(".")
    .map((k) => k.replaceAll("~", "~0").replaceAll("/", "~1"))
    .join("/")}`;

/** Replace each tag-only image whose digest is known with `name:tag@digest`: what was admitted is what runs. */
function resolveTagsPatch(refs: readonly ContainerRef[], facts: AdmissionFacts): JsonPatchOp[] {
  const out: JsonPatchOp[] = [];
  for (const { image, path } of refs) {
    const parsed = parseImageRef(image);
    const digest = facts.images.get(image)?.digest;
    if (!parsed.ok || parsed.ref.digest !== undefined || digest === undefined) continue;
    out.push({ op: "replace", path: pointer(path), value: `${image}@${digest}` });
  }
  return out;
}

/** Sorted, unique, at most {@link MAX_IDS_IN_MESSAGE} then "and N more": a message stays short. */
function idList(ids: readonly string[]): string {
  const u = [...new Set(ids)].sort();
  const shown = u.slice(0, MAX_IDS_IN_MESSAGE).join(", ");
  return u.length > MAX_IDS_IN_MESSAGE ? `${shown} and ${u.length - MAX_IDS_IN_MESSAGE} more` : shown;
}

const allow = (req: AdmissionRequest, evaluated: AdmissionDecision["evaluated"]): AdmissionDecision => ({
  uid: req.uid,
  allowed: true,
  warnings: [],
  auditAnnotations: {},
  violations: [],
  evaluated,
  dryRun: req.dryRun,
});

const exempt = (
  req: AdmissionRequest,
  evaluated: AdmissionDecision["evaluated"],
  by: "namespace" | "user" | "runtimeClass",
): AdmissionDecision => ({ ...allow(req, evaluated), auditAnnotations: { exempt: by }, exemption: by });

/**
 * Decide one admission request. Pods are evaluated at the namespace's enforce, audit and warn levels exactly as
 * the PodSecurity plugin does; workload controllers (Deployment, CronJob, ... every kind core/k8s knows) get its
 * audit and warn results for their pod template (the plugin never denies a controller: its pods are denied).
 * Image rules apply to pods and templates alike, each in its own mode; on UPDATE only images the old object did
 * not already run are judged, so scaling or relabelling what runs is never blocked.
 */
export function decide(
  req: AdmissionRequest,
  policy: AdmissionPolicy,
  facts: AdmissionFacts,
): AdmissionDecision {
  if (req.operation !== "CREATE" && req.operation !== "UPDATE") return allow(req, "operation");
  const apiVersion = req.kind.group === "" ? req.kind.version : `${req.kind.group}/${req.kind.version}`;
  const kind = workloadKindOf(apiVersion, req.kind.kind);
  if (kind === undefined) return allow(req, "not-a-workload");
  const isPod = kind === "Pod";
  const evaluated = isPod ? "pod" : "controller";
  if (isPod ? IGNORED_POD_SUBRESOURCES.has(req.subResource) : req.subResource !== "")
    return allow(req, "subresource");
  if (policy.exemptions.namespaces.includes(req.namespace)) return exempt(req, evaluated, "namespace");
  if (policy.exemptions.usernames.includes(req.userInfo.username)) return exempt(req, evaluated, "user");
  if (facts.namespaceLabels === undefined) {
    const message = `failed to lookup namespace ${JSON.stringify(req.namespace)}`;
    return {
      ...allow(req, evaluated),
      allowed: policy.failurePolicy === "Ignore",
      status: { status: "Failure", code: 500, reason: "InternalError", message },
    };
  }
  const { policy: nsPolicy, errors } = toEvaluate(facts.namespaceLabels, policy.pssDefaults);
  const object = req.object ?? {};
  const paths = workloadKindSpec(kind);
  const spec = at(object, paths.spec);
  const metaValue = at(object, paths.meta);
  const meta = isRecord(metaValue) ? metaValue : {};
  if (!isPod && !isRecord(spec)) return allow(req, "no-pod-template");
  if (
    isRecord(spec) &&
    typeof spec.runtimeClassName === "string" &&
    policy.exemptions.runtimeClasses.includes(spec.runtimeClassName)
  )
    return exempt(req, evaluated, "runtimeClass");

  const fullyPrivileged = (["enforce", "audit", "warn"] as const).every(
    (m) => nsPolicy[m].level === "privileged",
  );
  const skipPss =
    (isPod && errors.length === 0 && fullyPrivileged) ||
    (!isPod && nsPolicy.warn.level === "privileged" && nsPolicy.audit.level === "privileged") ||
    (isPod && req.operation === "UPDATE" && !isSignificantPodUpdate(object, req.oldObject ?? {}));
  // One evaluator for the namespace's levels and the policy's own (a check both ask for runs once), made if used.
  let evaluator: PssEvaluator | undefined;
  const evaluatePodPss: PssEvaluator = (level, version) => {
    evaluator ??= pssEvaluator({ annotations: meta.annotations }, spec);
    return evaluator(level, version);
  };
  const pss: PssOutcome = skipPss
    ? { warnings: [], auditAnnotations: {}, violations: [] }
    : evaluatePod(nsPolicy, errors, evaluatePodPss, paths.spec, isPod);

  const oldSpec = req.operation === "UPDATE" ? at(req.oldObject, paths.spec) : undefined;
  const oldImages = new Set(containers(oldSpec, paths.spec).map((c) => c.image));
  const refs = containers(spec, paths.spec);
  const drafts: Draft[] = imageViolations(
    policy,
    facts,
    refs.filter((c) => !oldImages.has(c.image)),
  );
  // Pod Security and posture from the policy judge what changed: an UPDATE that leaves the pod (template) spec
  // as it was (scaling, relabelling) is not re-judged, like PodSecurity's insignificant updates.
  const specChanged = req.operation !== "UPDATE" || JSON.stringify(spec) !== JSON.stringify(oldSpec);
  const ps = podSecurityFor(policy, req.namespace);
  if (ps && specChanged && ps.level !== "privileged") {
    const r = evaluatePodPss(ps.level, ps.version);
    for (const x of r.violations)
      drafts.push({
        rule: ruleName("pss/", x.check),
        fieldPath: paths.spec,
        message: `violates PodSecurity "${ps.level}:${ps.version}": ${x.message}`,
      });
  }
  if (policy.posture && specChanged)
    for (const v of postureViolations(policy.posture.severity, req, object)) drafts.push(v);

  const nsMode = namespaceMode(policy, req.namespace);
  const exceptions = policy.exceptions ?? [];
  const objectLabels = exceptions.length > 0 ? at(object, "metadata.labels") : undefined;
  const subject =
    exceptions.length > 0
      ? {
          namespace: req.namespace,
          workload: { kind: req.kind.kind, name: req.name },
          images: refs.map((c) => c.image),
          labels: isRecord(objectLabels) ? (objectLabels as Record<string, string>) : {},
        }
      : undefined;
  const now = facts.now ?? new Date(0);
  // Built field by field (the same keys in the same order as a spread): a review can carry dozens of violations.
  const own: AdmissionViolation[] = drafts.map((d) => {
    const mode =
      policy.images.modes[d.rule as ImageRuleId] ??
      policy.ruleModes?.[d.rule] ??
      (d.rule === "image/unanalysed" ? (policy.unanalysed === "deny" ? "enforce" : "warn") : nsMode);
    const v: AdmissionViolation = { rule: d.rule, fieldPath: d.fieldPath, message: d.message, mode };
    if (subject !== undefined) {
      const e = findException(exceptions, { ...subject, rule: d.rule }, now);
      if (e) v.exception = { id: e.id, reason: e.reason };
    }
    return v;
  });
  const acting = own.filter((v) => v.exception === undefined);

  const denials = pss.denial === undefined ? [] : [pss.denial];
  const ownDenials = acting.filter((v) => v.mode === "enforce");
  if (ownDenials.length > 0)
    denials.push(
      `palisade policy: ${ownDenials.map((v) => `${v.fieldPath}: ${v.message} [${v.rule}]`).join("; ")}`,
    );
  const auditAnnotations = { ...pss.auditAnnotations };
  const audited = acting.filter((v) => v.mode === "audit");
  if (audited.length > 0)
    auditAnnotations["policy-violations"] = audited
      .map((v) => `${v.fieldPath}: ${v.message} [${v.rule}]`)
      .join("; ");
  const excepted = own.filter((v) => v.exception !== undefined);
  if (excepted.length > 0)
    auditAnnotations["policy-exceptions"] = excepted.map((v) => `${v.rule}: ${v.exception?.id}`).join("; ");
  const allowed = denials.length === 0;
  const warnings = allowed
    ? [
        ...pss.warnings,
        ...acting.filter((v) => v.mode === "warn").map((v) => `${v.fieldPath}: ${v.message} [${v.rule}]`),
      ]
    : [];
  const patch = allowed && policy.mutation?.resolveTags ? resolveTagsPatch(refs, facts) : [];
  return {
    uid: req.uid,
    allowed,
    ...(allowed ? {} : { status: forbidden(req, denials.join("; ")) }),
    warnings,
    auditAnnotations,
    violations: [...pss.violations, ...own],
    evaluated,
    dryRun: req.dryRun,
    ...(patch.length > 0 ? { patch } : {}),
  };
}

/** The images a request's pod or pod template runs, as written, each once: what the caller looks facts up for. */
export function requestImages(req: AdmissionRequest): string[] {
  const apiVersion = req.kind.group === "" ? req.kind.version : `${req.kind.group}/${req.kind.version}`;
  const kind = workloadKindOf(apiVersion, req.kind.kind);
  if (kind === undefined || req.object === undefined) return [];
  const path = workloadKindSpec(kind).spec;
  return [...new Set(containers(at(req.object, path), path).map((c) => c.image))].sort();
}

/**
 * The answer when no decision could be made (the deadline passed, a fact source failed): allowed when the
 * failure policy is "Ignore" (fail open, with a warning saying so), denied when it is "Fail" (fail closed).
 * Either way the reason goes in an audit annotation, so an unevaluated admission is never silent.
 */
export function failureDecision(
  req: Pick<AdmissionRequest, "uid" | "dryRun">,
  policy: Pick<AdmissionPolicy, "failurePolicy">,
  reason: string,
): AdmissionDecision {
  const open = policy.failurePolicy === "Ignore";
  const message = `palisade could not evaluate the request: ${reason}`;
  return {
    uid: req.uid,
    allowed: open,
    ...(open
      ? {}
      : { status: { status: "Failure" as const, code: 500, reason: "InternalError" as const, message } }),
    warnings: open ? [`${message}; admitted because the failure policy is Ignore`] : [],
    auditAnnotations: { "evaluation-failure": reason },
    violations: [],
    evaluated: "failure",
    dryRun: req.dryRun,
  };
}
