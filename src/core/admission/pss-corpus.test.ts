/**
 * The admission layer against upstream's Pod Security corpus (core/pss/__fixtures__/upstream-testdata, the Pod
 * fixtures Kubernetes publishes for pod-security-admission): each fixture, sent as a Pod CREATE into a namespace
 * labelled enforce=<level>, enforce-version=<version>, must be denied exactly when its folder says fail, with the
 * plugin's message built from the evaluator's checks; sent as the template of a Deployment it must be admitted
 * with the same text as a warning (the plugin never denies a controller).
 */
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { applyApiDefaults, evaluatePss } from "../pss/index.js";
import { isRecord } from "../util/index.js";
import { DEFAULT_ADMISSION_POLICY, decide, parseAdmissionReview } from "./index.js";

const ROOT = fileURLToPath(new URL("../pss/__fixtures__/upstream-testdata/", import.meta.url));

/** The stored copy's fixtures from unmerged upstream iterations (see core/pss/upstream-testdata.test.ts). */
const NON_MAINLINE = new Set([
  "baseline/v1.2/fail/apparmorprofile1.yaml",
  "baseline/v1.2/fail/apparmorprofile3.yaml",
  "baseline/v1.34/pass/hostprobesandhostlifecycle0.yaml",
  "restricted/v1.35/pass/procmount1.yaml",
]);

interface Fixture {
  rel: string;
  level: string;
  version: string;
  fail: boolean;
  pod: Record<string, unknown>;
}

function fixtures(): Fixture[] {
  const out: Fixture[] = [];
  for (const level of ["baseline", "restricted"])
    for (const version of readdirSync(`${ROOT}${level}`).sort())
      for (const verdict of ["pass", "fail"]) {
        let files: string[];
        try {
          files = readdirSync(`${ROOT}${level}/${version}/${verdict}`);
        } catch {
          continue; // no fixture of this verdict at this version
        }
        for (const f of files.filter((x) => x.endsWith(".yaml")).sort()) {
          const rel = `${level}/${version}/${verdict}/${f}`;
          const doc: unknown = parse(readFileSync(`${ROOT}${rel}`, "utf8"));
          if (!isRecord(doc)) throw new Error(`${rel}: not an object`);
          // The API server defaults a pod before admission sees it.
          out.push({
            rel,
            level,
            version,
            fail: verdict === "fail",
            pod: { ...doc, spec: applyApiDefaults(doc.spec) },
          });
        }
      }
  return out;
}

function reviewOf(kind: [string, string, string], resource: string, object: unknown) {
  const parsed = parseAdmissionReview({
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: {
      uid: "u",
      kind: { group: kind[0], version: kind[1], kind: kind[2] },
      resource: { group: kind[0], version: kind[1], resource },
      name: "fixture",
      namespace: "ns",
      operation: "CREATE",
      userInfo: { username: "alice" },
      object,
    },
  });
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.request;
}

describe("admission over upstream's Pod Security corpus", () => {
  const all = fixtures();
  it("holds the corpus", () => {
    expect(all.length).toBe(396);
  });

  it("denies exactly the fail fixtures, with the plugin's message; warns on the same templates", () => {
    const mismatches: string[] = [];
    for (const f of all) {
      const labels = {
        "pod-security.kubernetes.io/enforce": f.level,
        "pod-security.kubernetes.io/enforce-version": f.version,
      };
      const facts = { namespaceLabels: labels, images: new Map() };
      const meta = isRecord(f.pod.metadata) ? f.pod.metadata : {};
      const expected = evaluatePss(meta, f.pod.spec, f.level as "baseline", f.version as "v1.0");
      const wantDeny = NON_MAINLINE.has(f.rel) ? !f.fail : f.fail;
      const text = `PodSecurity "${f.level}:${f.version}": ${expected.violations.map((v) => v.message).join(", ")}`;
      const d = decide(reviewOf(["", "v1", "Pod"], "pods", f.pod), DEFAULT_ADMISSION_POLICY, facts);
      if (d.allowed === wantDeny) mismatches.push(`${f.rel}: pod allowed=${d.allowed}`);
      if (!d.allowed && d.status?.message !== `pods "fixture" is forbidden: violates ${text}`)
        mismatches.push(`${f.rel}: message ${d.status?.message}`);
      const deployment = {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "fixture" },
        spec: { template: { metadata: meta, spec: f.pod.spec } },
      };
      const c = decide(
        reviewOf(["apps", "v1", "Deployment"], "deployments", deployment),
        DEFAULT_ADMISSION_POLICY,
        facts,
      );
      const wantWarnings = wantDeny ? [`would violate ${text}`] : [];
      if (!c.allowed || JSON.stringify(c.warnings) !== JSON.stringify(wantWarnings))
        mismatches.push(`${f.rel}: deployment ${JSON.stringify(c.warnings)}`);
    }
    expect(mismatches).toEqual([]);
  });
});
