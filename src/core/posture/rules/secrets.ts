/**
 * Secret handling rules (PAL-SEC-001..007). Literal credentials are found with the pure detectors in
 * core/secrets; evidence is always the redacted form, never the value.
 */
import { joinPath, type KObject, LAST_APPLIED_ANNOTATION, REDACTED_VALUE } from "../../inventory/index.js";
import { detectSecrets, type SecretMatch, scanTextForSecrets } from "../../secrets/index.js";
import { isRecord } from "../../util/index.js";
import { CIS, NSA } from "../compliance.js";
import type {
  ContainerView,
  Env,
  Hit,
  ObjectCheck,
  ObjectHit,
  PostureRule,
  WorkloadView,
} from "../engine.js";

const SECRETS = "secrets";

/** A value scanned as one key/value pair, or line by line when it is a whole file (multi-line ConfigMap entry). */
function detectInValue(key: string, value: string): (SecretMatch & { line?: number })[] {
  if (!value.includes("\n")) return detectSecrets(key, value);
  // A file-like value: the key names the file, not the credential, so only the text itself is judged.
  return scanTextForSecrets(value, { maxBytes: 1024 * 1024 });
}

/** Env entries that are objects, with their index and path. */
function envEntries(wv: WorkloadView, cv: ContainerView) {
  const out: { index: number; raw: Record<string, unknown>; path: string; name: string }[] = [];
  (wv.read.list(cv.spec, "env", cv.path) ?? []).forEach((e, index) => {
    if (!isRecord(e)) return;
    const path = joinPath(cv.path, "env", index);
    out.push({ index, raw: e, path, name: wv.read.str(e, "name", path) ?? "" });
  });
  return out;
}

const FLAG_WITH_VALUE = /^--?([A-Za-z][\w.-]{0,127})=(.*)$/s;
const BARE_FLAG = /^--?([A-Za-z][\w.-]{0,127})$/;

/** Credentials in a command line: `--password=x`, `--password x`, or anywhere in a shell script argument. */
function detectInArgs(args: unknown[]): { index: number; match: SecretMatch }[] {
  const out: { index: number; match: SecretMatch }[] = [];
  args.forEach((a, i) => {
    if (typeof a !== "string") return;
    const prev = i > 0 ? args[i - 1] : undefined;
    const flag = FLAG_WITH_VALUE.exec(a);
    const prevFlag = typeof prev === "string" ? BARE_FLAG.exec(prev) : null;
    let found: SecretMatch[];
    if (flag?.[1] !== undefined && flag[2] !== undefined) found = detectSecrets(flag[1], flag[2]);
    else if (prevFlag?.[1] !== undefined && !a.startsWith("-")) found = detectSecrets(prevFlag[1], a);
    else found = scanTextForSecrets(a, { maxBytes: 256 * 1024 });
    for (const match of found) out.push({ index: i, match: { kind: match.kind, redacted: match.redacted } });
  });
  return out;
}

function namespaceTeam(env: Env, obj: KObject): string | undefined {
  const ns = obj.ref.namespace;
  return ns !== undefined ? env.inv.namespaces.get(ns)?.team : undefined;
}

const LAST_APPLIED = LAST_APPLIED_ANNOTATION;

/**
 * PAL-SEC-004 on one ConfigMap: a literal credential in a value of its `data`. It reads the ConfigMap alone (its
 * hits carry the namespace's team), and nothing else of a scan reads a ConfigMap's `data`: a streaming scan runs it
 * as each ConfigMap is read and keeps no values (issue: scale; 0.9 KB per ConfigMap of a large snapshot).
 */
const configMapCredentials: ObjectCheck = {
  kinds: ["ConfigMap"],
  reads: ["data"],
  *check(cm, read) {
    const data = read.rec(cm.raw, "data", "");
    if (!data) return;
    for (const key of Object.keys(data).sort()) {
      const value = read.str(data, key, "data");
      if (value === undefined) continue;
      const found = detectInValue(key, value);
      for (let k = 0; k < found.length; k++) {
        const m = found[k] as (typeof found)[number];
        const where = m.line !== undefined ? ` line ${m.line}` : "";
        yield {
          fieldPath: joinPath("data", key),
          evidence: `${key}${where}: ${m.redacted}`,
          message: `ConfigMap "${cm.ref.name}" key "${key}"${where} holds a literal credential (${m.kind})`,
          discriminator: `${m.kind}#${k}`,
        };
      }
    }
  },
};

export const SECRET_RULES: readonly PostureRule[] = [
  {
    meta: {
      id: "PAL-SEC-001",
      title: "Secret exposed as an environment variable",
      severity: "low",
      category: SECRETS,
      rationale:
        "Environment variables leak: they are inherited by child processes, printed by crash handlers and debug endpoints, and visible in /proc/<pid>/environ. Mounted Secret files do not and can be rotated without a restart.",
      remediation: "Mount the Secret as a volume and read the file instead of valueFrom.secretKeyRef.",
      compliance: [NSA.secrets, CIS.secretsAsFiles],
    },
    scope: "container",
    check(cv, wv) {
      const hits: Hit[] = [];
      for (const e of envEntries(wv, cv)) {
        const vfPath = joinPath(e.path, "valueFrom");
        const ref = wv.read.rec(wv.read.rec(e.raw, "valueFrom", e.path), "secretKeyRef", vfPath);
        if (!ref) continue;
        const refPath = joinPath(vfPath, "secretKeyRef");
        const secret = wv.read.str(ref, "name", refPath) ?? "";
        const key = wv.read.str(ref, "key", refPath) ?? "";
        hits.push({
          fieldPath: refPath,
          evidence: `${secret}/${key}`,
          message: `${cv.label} reads key "${key}" of Secret "${secret}" into env var ${e.name}`,
        });
      }
      return hits;
    },
  },
  {
    meta: {
      id: "PAL-SEC-002",
      title: "Whole Secret exposed as environment variables",
      severity: "medium",
      category: SECRETS,
      rationale:
        "envFrom.secretRef turns every key of the Secret, including keys added later, into environment variables, with the leak paths of env vars.",
      remediation: "Mount the Secret as a volume, or reference only the needed keys.",
      compliance: [NSA.secrets, CIS.secretsAsFiles],
    },
    scope: "container",
    check(cv, wv) {
      const hits: Hit[] = [];
      (wv.read.list(cv.spec, "envFrom", cv.path) ?? []).forEach((e, i) => {
        if (!isRecord(e)) return;
        const p = joinPath(cv.path, "envFrom", i);
        const ref = wv.read.rec(e, "secretRef", p);
        if (!ref) return;
        const secret = wv.read.str(ref, "name", joinPath(p, "secretRef")) ?? "";
        hits.push({
          fieldPath: joinPath(p, "secretRef"),
          evidence: secret,
          message: `${cv.label} imports every key of Secret "${secret}" as env vars`,
        });
      });
      return hits;
    },
  },
  {
    meta: {
      id: "PAL-SEC-003",
      title: "Credential in an environment variable value",
      severity: "high",
      category: SECRETS,
      rationale:
        "A literal credential in a manifest is stored in Git, in etcd unencrypted as part of the pod spec, and is readable by anyone who can read the workload.",
      remediation:
        "Rotate the credential, move it into a Secret (or an external secret store) and mount it as a file.",
      compliance: [NSA.secrets],
    },
    scope: "container",
    check(cv, wv) {
      const hits: Hit[] = [];
      for (const e of envEntries(wv, cv)) {
        const value = wv.read.str(e.raw, "value", e.path);
        if (value === undefined) continue;
        detectSecrets(e.name, value).forEach((m, k) => {
          hits.push({
            fieldPath: joinPath(e.path, "value"),
            evidence: `${e.name}=${m.redacted}`,
            message: `${cv.label} env var ${e.name} holds a literal credential (${m.kind})`,
            discriminator: `${m.kind}#${k}`,
          });
        });
      }
      return hits;
    },
  },
  {
    meta: {
      id: "PAL-SEC-004",
      title: "Credential in ConfigMap data",
      severity: "high",
      category: SECRETS,
      rationale:
        "ConfigMaps are not treated as confidential: they are readable by far more subjects than Secrets, are never encrypted at rest by the Secret encryption config, and are printed by kubectl describe.",
      remediation: "Rotate the credential and move it into a Secret or an external secret store.",
      compliance: [NSA.secrets],
    },
    scope: "inventory",
    *check(env) {
      for (const cm of env.inv.configMaps) {
        const team = namespaceTeam(env, cm);
        for (const h of configMapCredentials.check(cm, env.reader(cm))) {
          const hit: ObjectHit = { object: cm, ...h };
          if (team !== undefined) hit.team = team;
          yield hit;
        }
      }
    },
    perObject: configMapCredentials,
  },
  {
    meta: {
      id: "PAL-SEC-005",
      title: "Credential in container command or arguments",
      severity: "high",
      category: SECRETS,
      rationale:
        "Command lines are visible to every process on the node (ps, /proc/<pid>/cmdline), in the pod spec and in audit logs.",
      remediation:
        "Rotate the credential; pass it as a mounted Secret file (or an env var from a Secret) instead.",
      compliance: [NSA.secrets],
    },
    scope: "container",
    check(cv, wv) {
      const hits: Hit[] = [];
      for (const field of ["command", "args"] as const) {
        const list = wv.read.list(cv.spec, field, cv.path) ?? [];
        detectInArgs(list).forEach(({ index, match }, k) => {
          hits.push({
            fieldPath: joinPath(cv.path, field, index),
            evidence: match.redacted,
            message: `${cv.label} ${field}[${index}] holds a literal credential (${match.kind})`,
            discriminator: `${match.kind}#${k}`,
          });
        });
      }
      return hits;
    },
  },
  {
    meta: {
      id: "PAL-SEC-006",
      title: "Secret values kept in the last-applied-configuration annotation",
      severity: "medium",
      category: SECRETS,
      rationale:
        "`kubectl apply` stores the whole manifest, data included, in an annotation. `kubectl describe secret` and tools that treat annotations as harmless print it, and the old value survives in it after the data is rotated by other means.",
      remediation:
        "Create Secrets with server-side apply or `kubectl create secret`, and remove the annotation from existing Secrets (then rotate the values).",
      compliance: [NSA.secrets],
    },
    scope: "inventory",
    *check(env) {
      for (const s of env.inv.secrets) {
        const text = s.annotations[LAST_APPLIED];
        // The API caps all annotations at 256 KiB together; anything larger is not from a real cluster.
        if (text === undefined || text.length > 512 * 1024) continue;
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          continue;
        }
        if (!isRecord(parsed)) continue;
        const keys: string[] = [];
        for (const field of ["data", "stringData"]) {
          const d = parsed[field];
          if (!isRecord(d)) continue;
          for (const [k, v] of Object.entries(d)) if (typeof v === "string" && v !== "") keys.push(k);
        }
        if (keys.length === 0) continue;
        keys.sort();
        const hit: ObjectHit = {
          object: s,
          fieldPath: joinPath("metadata", "annotations", LAST_APPLIED),
          evidence: `keys ${keys.join(", ")} (values redacted)`,
          message: `Secret "${s.ref.name}" keeps ${keys.length} value(s) in plain text in the ${LAST_APPLIED} annotation`,
        };
        const team = namespaceTeam(env, s);
        if (team !== undefined) hit.team = team;
        yield hit;
      }
    },
  },
  {
    meta: {
      id: "PAL-SEC-007",
      title: "Secret values committed in a manifest",
      severity: "high",
      category: SECRETS,
      rationale:
        "A Secret manifest with `data` or `stringData` values puts the credential in the file, and so in the repository and its whole history, readable by everyone who can read the repository. base64 in `data` is an encoding, not encryption. Only manifests are checked: a Secret read back from a cluster or a snapshot naturally holds its values.",
      remediation:
        "Rotate the values, remove them from the file and its history, and keep only a reference in the repository: an external secret store (External Secrets Operator, Secrets Store CSI driver), or an encrypted form (Sealed Secrets, SOPS).",
      compliance: [NSA.secrets, CIS.externalSecrets],
    },
    scope: "inventory",
    *check(env) {
      for (const s of env.inv.secrets) {
        // A SOPS-encrypted manifest carries its metadata in a top-level `sops` field: its values are ciphertext.
        if (s.origin !== "manifest" || s.raw.sops !== undefined) continue;
        // Values were dropped at load; a key that held one maps to the redaction marker (see stripSecretValues).
        const withValues: { field: string; keys: string[] }[] = [];
        for (const field of ["data", "stringData"]) {
          const d = s.raw[field];
          if (!isRecord(d)) continue;
          const keys = Object.keys(d)
            .filter((k) => d[k] === REDACTED_VALUE)
            .sort();
          if (keys.length > 0) withValues.push({ field, keys });
        }
        // A service-account-token Secret without data is filled in by the token controller: nothing committed.
        const [first] = withValues;
        if (!first) continue;
        const listed = withValues.map((w) => `${w.field}: ${w.keys.join(", ")}`).join("; ");
        const count = withValues.reduce((n, w) => n + w.keys.length, 0);
        const where = s.source?.file !== undefined ? ` in ${s.source.file}` : "";
        const hit: ObjectHit = {
          object: s,
          fieldPath: first.field,
          evidence: `${listed} (values redacted)`,
          message: `Secret "${s.ref.name}" is committed with ${count} value(s)${where} (${listed}): the file, not the cluster, holds the credential`,
        };
        const team = namespaceTeam(env, s);
        if (team !== undefined) hit.team = team;
        yield hit;
      }
    },
  },
];
