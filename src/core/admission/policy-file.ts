/**
 * The admission policy file: YAML (or JSON) with a versioned schema, validated field by field. Every problem is an
 * issue naming the field's dotted path and, through the caller's `lineOf`, its line; a policy with any issue is
 * refused whole (a security policy half applied is worse than none).
 *
 *     apiVersion: palisade.dev/v1alpha1
 *     kind: AdmissionPolicy
 *     failurePolicy: Fail            # or Ignore
 *     defaultMode: audit             # enforce | warn | audit: the mode of namespaces not listed below
 *     namespaces:                    # first matching glob wins
 *       - {namespaces: [payments, "team-*"], mode: enforce}
 *     exemptions: {namespaces: [kube-system], usernames: [], runtimeClasses: []}
 *     podSecurity:                   # Pod Security level/version per namespace, as Palisade rules
 *       - {namespaces: ["*"], level: baseline, version: latest}
 *     posture: {severity: high}      # posture rules at or above a severity
 *     vulnerabilities:
 *       severity: high               # vulnerabilities at or above, with a fix available
 *       fixableOnly: true
 *       advisories: [CVE-2024-3094]
 *       remediated: true             # digests a closed remediation record replaced
 *       unanalysed: warn             # allow | warn | deny images never analysed (and queue them)
 *     images:
 *       registries: [registry.acme.internal, "ghcr.io/acme/*"]
 *       forbiddenTags: [latest]
 *       requireDigest: false
 *       deniedDigests: []
 *     signaturesFrom: both           # registry | dir | both: where signatures are looked for (default both)
 *     signatures:
 *       - images: ["ghcr.io/acme/*"]
 *         keys: [keys/release.pub]   # files, read by the caller
 *         from: registry             # this rule's own source, over signaturesFrom
 *         repository: registry.acme.internal/signatures   # where cosign stored them (COSIGN_REPOSITORY)
 *       - images: ["ghcr.io/acme/web*"]
 *         keyless:                   # a Fulcio-style certificate's OIDC issuer and subject (SAN)
 *           - {issuer: "https://token.actions.githubusercontent.com", subjectRegExp: "https://github\\.com/acme/.+"}
 *         trustedRoot: sigstore/trusted_root.json   # the CA, logs and CT logs (TrustedRoot JSON), read by the caller
 *     mutation: {resolveTags: true}
 *     rules: {"image/forbidden-tag": warn}   # a rule's own mode, over the namespace's
 *     exceptions: exceptions.yaml    # the exceptions file format, or the list inline
 */
import type { Exception } from "../exceptions/index.js";
import { parseExceptions } from "../exceptions/index.js";
import { parseSeverity, type Severity } from "../findings/index.js";
import { parseImageRef } from "../inventory/index.js";
import { type PssLevel, type PssVersion, parsePssLevel, parsePssVersion } from "../pss/index.js";
import { globPatternProblem, isRecord } from "../util/index.js";
import { type AdmissionPolicy, DEFAULT_ADMISSION_POLICY } from "./decide.js";

export const POLICY_API_VERSION = "palisade.dev/v1alpha1";
export const POLICY_KIND = "AdmissionPolicy";

/** How a rule acts on a violation: deny the request, warn the client, or annotate the audit event only. */
export type RuleMode = "enforce" | "warn" | "audit";
export const RULE_MODES: readonly RuleMode[] = ["enforce", "warn", "audit"];

/** What to do with an image nothing is known about (never analysed). */
export type UnanalysedAction = "allow" | "warn" | "deny";

export interface NamespaceMode {
  namespaces: readonly string[];
  mode: RuleMode;
}

export interface PodSecurityRule {
  namespaces: readonly string[];
  level: PssLevel;
  version: PssVersion;
}

/**
 * One keyless identity, as cosign's `--certificate-oidc-issuer[-regexp]` and `--certificate-identity[-regexp]`:
 * exactly one of `issuer`/`issuerRegExp` and one of `subject`/`subjectRegExp`. A regexp (JavaScript syntax) must
 * match the whole value, unlike cosign, which accepts a match anywhere in it.
 */
export interface KeylessIdentity {
  issuer?: string | undefined;
  issuerRegExp?: string | undefined;
  subject?: string | undefined;
  subjectRegExp?: string | undefined;
}

export interface SignatureRequirement {
  /** Globs over the image reference as written (`registry/repository`, with or without tag). */
  images: readonly string[];
  /** Names of public keys (the file names in the policy), verified by the caller. */
  keys: readonly string[];
  /** Keyless identities: the certificate's OIDC issuer and subject (SAN), exact or by regexp. */
  keyless: readonly KeylessIdentity[];
  /** The TrustedRoot file (as written in the policy) keyless certificates are verified against; read by the caller. */
  trustedRoot?: string | undefined;
  /**
   * Where the signatures are looked for: the image's registry (cosign's `.sig` tag, OCI referrers), the bundles
   * directory the caller names, or both (the directory first). Absent: both.
   */
  from?: SignatureSource | undefined;
  /**
   * `registry/repository` where the signatures are stored instead of beside the image (cosign's
   * `COSIGN_REPOSITORY`, Kyverno's `repository`): the `.sig` tag and the referrers of the image's digest are read
   * there. Absent: the image's own repository.
   */
  repository?: string | undefined;
}

/**
 * A signature repository: the image reference grammar's name (core/inventory parseImageRef) written with its
 * registry host (no Docker Hub default filled in), and nothing after it (no tag or digest).
 */
function isSignatureRepository(v: string): boolean {
  const r = parseImageRef(v);
  return r.ok && r.ref.name === v && r.ref.tag === undefined && r.ref.digest === undefined;
}

/** Where a signature requirement's signatures come from. */
export type SignatureSource = "registry" | "dir" | "both";
export const SIGNATURE_SOURCES: readonly SignatureSource[] = ["registry", "dir", "both"];

/** A parsed policy file, before the caller reads the files it names (exceptions, keys). */
export interface AdmissionPolicyFile {
  failurePolicy: "Fail" | "Ignore";
  defaultMode: RuleMode;
  namespaces: NamespaceMode[];
  exemptions: { namespaces: string[]; usernames: string[]; runtimeClasses: string[] };
  podSecurity: PodSecurityRule[];
  posture?: { severity: Severity } | undefined;
  vulnerabilities: {
    severity?: Severity | undefined;
    fixableOnly: boolean;
    advisories: string[];
    remediated: boolean;
    unanalysed: UnanalysedAction;
  };
  images: { registries: string[]; forbiddenTags: string[]; requireDigest: boolean; deniedDigests: string[] };
  signatures: SignatureRequirement[];
  mutation: { resolveTags: boolean };
  rules: Record<string, RuleMode>;
  /** A file name to read (relative to the policy), or exceptions given inline. */
  exceptions: { file: string } | { inline: Exception[] } | undefined;
}

export interface PolicyIssue {
  /** Dotted path of the field, e.g. `vulnerabilities.severity`. */
  path: string;
  line?: number | undefined;
  message: string;
}

type Path = (string | number)[];
const dotted = (p: Path): string =>
  p.reduce<string>((s, k) => (typeof k === "number" ? `${s}[${k}]` : s === "" ? k : `${s}.${k}`), "");

const TOP_KEYS = new Set([
  "apiVersion",
  "kind",
  "failurePolicy",
  "defaultMode",
  "namespaces",
  "exemptions",
  "podSecurity",
  "posture",
  "vulnerabilities",
  "images",
  "signatures",
  "signaturesFrom",
  "mutation",
  "rules",
  "exceptions",
]);

/**
 * Validate a policy document. `lineOf` gives the 1-based line of the node at a path (the configuration reader's);
 * issues carry it, falling back to the nearest parent that has one.
 */
export function parseAdmissionPolicyFile(
  doc: unknown,
  lineOf: (path: Path) => number | undefined = () => undefined,
): { policy: AdmissionPolicyFile; issues: PolicyIssue[] } {
  const issues: PolicyIssue[] = [];
  const issue = (path: Path, message: string) => {
    let line: number | undefined;
    for (let n = path.length; n >= 0 && line === undefined; n--) line = lineOf(path.slice(0, n));
    issues.push({ path: dotted(path) || "(document)", line, message });
  };
  const policy: AdmissionPolicyFile = {
    failurePolicy: "Fail",
    defaultMode: "audit",
    namespaces: [],
    exemptions: { namespaces: [], usernames: [], runtimeClasses: [] },
    podSecurity: [],
    vulnerabilities: { fixableOnly: false, advisories: [], remediated: false, unanalysed: "allow" },
    images: { registries: [], forbiddenTags: [], requireDigest: false, deniedDigests: [] },
    signatures: [],
    mutation: { resolveTags: false },
    rules: {},
    exceptions: undefined,
  };
  if (!isRecord(doc)) {
    issue([], "expected a mapping (an AdmissionPolicy document)");
    return { policy, issues };
  }
  if (doc.apiVersion !== POLICY_API_VERSION)
    issue(["apiVersion"], `must be "${POLICY_API_VERSION}", got ${JSON.stringify(doc.apiVersion ?? null)}`);
  if (doc.kind !== POLICY_KIND)
    issue(["kind"], `must be "${POLICY_KIND}", got ${JSON.stringify(doc.kind ?? null)}`);
  for (const k of Object.keys(doc)) if (!TOP_KEYS.has(k)) issue([k], `unknown field "${k}"`);

  const known = (rec: Record<string, unknown>, path: Path, keys: readonly string[]) => {
    for (const k of Object.keys(rec)) if (!keys.includes(k)) issue([...path, k], `unknown field "${k}"`);
  };
  const record = (v: unknown, path: Path): Record<string, unknown> | undefined => {
    if (v === undefined || v === null) return undefined;
    if (!isRecord(v)) {
      issue(path, "must be a mapping");
      return undefined;
    }
    return v;
  };
  const oneOf = <T extends string>(v: unknown, path: Path, values: readonly T[]): T | undefined => {
    if (v === undefined) return undefined;
    if (typeof v === "string" && (values as readonly string[]).includes(v)) return v as T;
    issue(path, `must be one of ${values.join(", ")}, got ${JSON.stringify(v)}`);
    return undefined;
  };
  const bool = (v: unknown, path: Path): boolean | undefined => {
    if (v === undefined) return undefined;
    if (typeof v === "boolean") return v;
    issue(path, "must be true or false");
    return undefined;
  };
  const strings = (v: unknown, path: Path, globs = false): string[] => {
    if (v === undefined || v === null) return [];
    const list = typeof v === "string" ? [v] : v;
    if (!Array.isArray(list)) {
      issue(path, "must be a string or a list of strings");
      return [];
    }
    const out: string[] = [];
    list.forEach((x, i) => {
      if (typeof x !== "string" || x === "") {
        issue([...path, i], "must be a non-empty string");
        return;
      }
      const problem = globs ? globPatternProblem(x) : undefined;
      if (problem !== undefined) issue([...path, i], problem);
      else out.push(x);
    });
    return out;
  };
  const severity = (v: unknown, path: Path): Severity | undefined => {
    if (v === undefined) return undefined;
    const s = typeof v === "string" ? parseSeverity(v) : undefined;
    if (s === undefined)
      issue(path, `must be one of critical, high, medium, low, info, got ${JSON.stringify(v)}`);
    return s;
  };
  const list = (v: unknown, path: Path): unknown[] => {
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) {
      issue(path, "must be a list");
      return [];
    }
    return v;
  };

  policy.failurePolicy = oneOf(doc.failurePolicy, ["failurePolicy"], ["Fail", "Ignore"] as const) ?? "Fail";
  policy.defaultMode = oneOf(doc.defaultMode, ["defaultMode"], RULE_MODES) ?? "audit";

  list(doc.namespaces, ["namespaces"]).forEach((raw, i) => {
    const path = ["namespaces", i];
    const r = record(raw, path);
    if (!r) return;
    known(r, path, ["namespaces", "mode"]);
    const namespaces = strings(r.namespaces, [...path, "namespaces"], true);
    const mode = oneOf(r.mode, [...path, "mode"], RULE_MODES);
    if (namespaces.length === 0) issue([...path, "namespaces"], "is required");
    if (r.mode === undefined) issue([...path, "mode"], "is required");
    if (mode && namespaces.length > 0) policy.namespaces.push({ namespaces, mode });
  });

  const ex = record(doc.exemptions, ["exemptions"]);
  if (ex) {
    known(ex, ["exemptions"], ["namespaces", "usernames", "runtimeClasses"]);
    policy.exemptions = {
      namespaces: strings(ex.namespaces, ["exemptions", "namespaces"]),
      usernames: strings(ex.usernames, ["exemptions", "usernames"]),
      runtimeClasses: strings(ex.runtimeClasses, ["exemptions", "runtimeClasses"]),
    };
  }

  list(doc.podSecurity, ["podSecurity"]).forEach((raw, i) => {
    const path = ["podSecurity", i];
    const r = record(raw, path);
    if (!r) return;
    known(r, path, ["namespaces", "level", "version"]);
    const namespaces =
      r.namespaces === undefined ? ["*"] : strings(r.namespaces, [...path, "namespaces"], true);
    const level = typeof r.level === "string" ? parsePssLevel(r.level) : undefined;
    if (level === undefined)
      issue(
        [...path, "level"],
        `must be one of privileged, baseline, restricted, got ${JSON.stringify(r.level ?? null)}`,
      );
    const rawVersion = r.version ?? "latest";
    const version = typeof rawVersion === "string" ? parsePssVersion(rawVersion) : undefined;
    if (version === undefined)
      issue([...path, "version"], `must be "latest" or "v1.x", got ${JSON.stringify(rawVersion)}`);
    if (level && version && namespaces.length > 0) policy.podSecurity.push({ namespaces, level, version });
  });

  const posture = record(doc.posture, ["posture"]);
  if (posture) {
    known(posture, ["posture"], ["severity"]);
    const s = severity(posture.severity, ["posture", "severity"]);
    if (posture.severity === undefined) issue(["posture", "severity"], "is required");
    if (s) policy.posture = { severity: s };
  }

  const vuln = record(doc.vulnerabilities, ["vulnerabilities"]);
  if (vuln) {
    const p: Path = ["vulnerabilities"];
    known(vuln, p, ["severity", "fixableOnly", "advisories", "remediated", "unanalysed"]);
    policy.vulnerabilities = {
      severity: severity(vuln.severity, [...p, "severity"]),
      fixableOnly: bool(vuln.fixableOnly, [...p, "fixableOnly"]) ?? true,
      advisories: strings(vuln.advisories, [...p, "advisories"]),
      remediated: bool(vuln.remediated, [...p, "remediated"]) ?? false,
      unanalysed: oneOf(vuln.unanalysed, [...p, "unanalysed"], ["allow", "warn", "deny"] as const) ?? "allow",
    };
  }

  const images = record(doc.images, ["images"]);
  if (images) {
    const p: Path = ["images"];
    known(images, p, ["registries", "forbiddenTags", "requireDigest", "deniedDigests"]);
    const deniedDigests = strings(images.deniedDigests, [...p, "deniedDigests"]);
    deniedDigests.forEach((d, i) => {
      if (!/^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/.test(d))
        issue([...p, "deniedDigests", i], `not a digest (algorithm:hex): ${JSON.stringify(d)}`);
    });
    policy.images = {
      registries: strings(images.registries, [...p, "registries"], true),
      forbiddenTags: strings(images.forbiddenTags, [...p, "forbiddenTags"]),
      requireDigest: bool(images.requireDigest, [...p, "requireDigest"]) ?? false,
      deniedDigests,
    };
  }

  const signaturesFrom =
    oneOf(doc.signaturesFrom, ["signaturesFrom"], SIGNATURE_SOURCES) ?? ("both" as SignatureSource);
  list(doc.signatures, ["signatures"]).forEach((raw, i) => {
    const path = ["signatures", i];
    const r = record(raw, path);
    if (!r) return;
    known(r, path, ["images", "keys", "keyless", "trustedRoot", "from", "repository"]);
    const from = oneOf(r.from, [...path, "from"], SIGNATURE_SOURCES) ?? signaturesFrom;
    let repository: string | undefined;
    if (r.repository !== undefined) {
      if (
        typeof r.repository !== "string" ||
        r.repository.length > 512 ||
        !isSignatureRepository(r.repository)
      )
        issue(
          [...path, "repository"],
          "must be REGISTRY/REPOSITORY (where cosign stored the signatures: its COSIGN_REPOSITORY), without a tag or digest",
        );
      else if (from === "dir")
        issue([...path, "repository"], "is only used when signatures are read from a registry (from: dir)");
      else repository = r.repository;
    }
    const imgs = strings(r.images, [...path, "images"], true);
    if (imgs.length === 0) issue([...path, "images"], "is required");
    const keys = strings(r.keys, [...path, "keys"]);
    const keyless: KeylessIdentity[] = [];
    list(r.keyless, [...path, "keyless"]).forEach((k, j) => {
      const kp = [...path, "keyless", j];
      const kr = record(k, kp);
      if (!kr) return;
      known(kr, kp, ["issuer", "issuerRegExp", "subject", "subjectRegExp"]);
      const id: KeylessIdentity = {};
      let ok = true;
      for (const [exact, re] of [
        ["issuer", "issuerRegExp"],
        ["subject", "subjectRegExp"],
      ] as const) {
        const e = kr[exact];
        const x = kr[re];
        if (e !== undefined && x !== undefined) {
          issue([...kp, re], `give ${exact} or ${re}, not both`);
          ok = false;
        } else if (x !== undefined) {
          const problem = typeof x === "string" && x !== "" ? regExpProblem(x) : "must be a non-empty string";
          if (problem === undefined) id[re] = x as string;
          else {
            issue([...kp, re], problem);
            ok = false;
          }
        } else if (typeof e === "string" && e !== "") id[exact] = e;
        else {
          issue([...kp, exact], e === undefined ? `is required (or ${re})` : "must be a non-empty string");
          ok = false;
        }
      }
      if (ok) keyless.push(id);
    });
    let trustedRoot: string | undefined;
    if (r.trustedRoot !== undefined) {
      if (typeof r.trustedRoot !== "string" || r.trustedRoot === "")
        issue([...path, "trustedRoot"], "must be a file name");
      else if (r.keyless === undefined || r.keyless === null)
        issue([...path, "trustedRoot"], "is only used with keyless identities");
      else trustedRoot = r.trustedRoot;
    } else if (r.keyless !== undefined && r.keyless !== null)
      issue(
        [...path, "trustedRoot"],
        "is required with keyless identities (a TrustedRoot JSON file naming the certificate authority)",
      );
    if (keys.length === 0 && keyless.length === 0 && r.keyless === undefined)
      issue(path, "must name at least one key or keyless identity");
    policy.signatures.push({
      images: imgs,
      keys,
      keyless,
      ...(trustedRoot ? { trustedRoot } : {}),
      from,
      ...(repository ? { repository } : {}),
    });
  });

  const mutation = record(doc.mutation, ["mutation"]);
  if (mutation) {
    known(mutation, ["mutation"], ["resolveTags"]);
    policy.mutation = { resolveTags: bool(mutation.resolveTags, ["mutation", "resolveTags"]) ?? false };
  }

  const rules = record(doc.rules, ["rules"]);
  if (rules)
    for (const [id, m] of Object.entries(rules)) {
      const mode = oneOf(m, ["rules", id], RULE_MODES);
      if (mode) policy.rules[id] = mode;
    }

  if (typeof doc.exceptions === "string") {
    if (doc.exceptions === "") issue(["exceptions"], "must be a file name or a list");
    else policy.exceptions = { file: doc.exceptions };
  } else if (doc.exceptions !== undefined && doc.exceptions !== null) {
    const parsed = parseExceptions(
      Array.isArray(doc.exceptions) ? doc.exceptions : { exceptions: doc.exceptions },
    );
    for (const is of parsed.issues) {
      const m = /^exceptions\[(\d+)\](?:\.(.+))?$/.exec(is.path);
      const path: Path = m ? ["exceptions", Number(m[1]), ...(m[2] ? [m[2]] : [])] : ["exceptions"];
      issue(path, is.message);
    }
    policy.exceptions = { inline: parsed.exceptions };
  }
  return { policy, issues };
}

/** Why `source` is not a usable regexp, or undefined. */
function regExpProblem(source: string): string | undefined {
  try {
    new RegExp(source, "u");
    return undefined;
  } catch (e) {
    return `not a regular expression: ${(e as Error).message}`;
  }
}

/**
 * Whether a certificate's identity (its OIDC issuer extension and subject alternative name) is the keyless
 * identity the policy names: undefined when it is, else why not (the issuer is checked first, as it scopes the
 * subject). A regexp must match the whole value.
 */
export function keylessIdentityMismatch(
  want: KeylessIdentity,
  got: { issuer?: string | undefined; subject?: string | undefined },
): string | undefined {
  const check = (what: string, value: string | undefined, exact?: string, re?: string) => {
    if (exact !== undefined)
      return value === exact
        ? undefined
        : `certificate ${what} ${JSON.stringify(value ?? null)} is not ${JSON.stringify(exact)}`;
    if (re !== undefined)
      return value !== undefined && new RegExp(`^(?:${re})$`, "u").test(value)
        ? undefined
        : `certificate ${what} ${JSON.stringify(value ?? null)} does not match /${re}/`;
    return `no ${what} in the policy`;
  };
  return (
    check("issuer", got.issuer, want.issuer, want.issuerRegExp) ??
    check("subject", got.subject, want.subject, want.subjectRegExp)
  );
}

/** "file:line: path: message", the form every command prints a policy issue in. */
export function formatPolicyIssue(file: string, i: PolicyIssue): string {
  return `${file}${i.line === undefined ? "" : `:${i.line}`}: ${i.path}: ${i.message}`;
}

/**
 * The decision's policy from a validated file and the exceptions the caller loaded (inline ones, or those of the
 * file the policy names). Without a `podSecurity` entry Pod Security is what the namespace labels say.
 */
export function admissionPolicyFromFile(
  f: AdmissionPolicyFile,
  exceptions: readonly Exception[],
): AdmissionPolicy {
  return {
    ...DEFAULT_ADMISSION_POLICY,
    exemptions: f.exemptions,
    failurePolicy: f.failurePolicy,
    defaultMode: f.defaultMode,
    namespaceModes: f.namespaces,
    ruleModes: f.rules,
    podSecurity: f.podSecurity,
    posture: f.posture,
    images: {
      deniedDigests: f.images.deniedDigests,
      deniedVulnerabilities: f.vulnerabilities.advisories,
      severityThreshold: f.vulnerabilities.severity,
      onlyFixable: f.vulnerabilities.fixableOnly,
      modes: {},
    },
    registries: f.images.registries,
    forbiddenTags: f.images.forbiddenTags,
    requireDigest: f.images.requireDigest,
    remediated: f.vulnerabilities.remediated,
    unanalysed: f.vulnerabilities.unanalysed,
    signatures: f.signatures,
    mutation: f.mutation,
    exceptions,
  };
}
