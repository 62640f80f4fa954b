/**
 * Upstream's own corpus: the Pod fixtures Kubernetes publishes in
 * staging/src/k8s.io/pod-security-admission/test/testdata/<level>/v1.N/{pass,fail}/*.yaml
 * (written by test/fixtures_test.go from the generators in test/fixtures_*.go), copied verbatim
 * into __fixtures__/upstream-testdata (see its README for provenance). A pass fixture must be
 * allowed and a fail fixture denied at its level and version; a fail fixture named after a check
 * (`<lowercased check id><n>.yaml`, fixtures_test.go) must be denied by that check or by the
 * restricted check that overrides it there.
 */
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { stableStringify } from "../util/index.js";
import { CHECKS } from "./checks.js";
import {
  applyApiDefaults,
  evaluatePss,
  LATEST_POLICY_MINOR,
  type PssResult,
  type PssVersion,
  pssEvaluator,
} from "./evaluate.js";

const ROOT = fileURLToPath(new URL("./__fixtures__/upstream-testdata/", import.meta.url));

type Level = "baseline" | "restricted";
type Verdict = "pass" | "fail";

interface Fixture {
  level: Level;
  minor: number;
  verdict: Verdict;
  name: string;
  rel: string;
  metadata: Record<string, unknown>;
  spec: unknown;
}

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

function loadFixtures(): Fixture[] {
  const out: Fixture[] = [];
  for (const level of ["baseline", "restricted"] as const) {
    for (const dir of readdirSync(`${ROOT}${level}`)) {
      const m = /^v1\.(\d+)$/.exec(dir);
      if (!m?.[1]) throw new Error(`unexpected version directory ${level}/${dir}`);
      for (const verdict of ["pass", "fail"] as const) {
        let files: string[] = [];
        try {
          files = readdirSync(`${ROOT}${level}/${dir}/${verdict}`);
        } catch {
          continue; // the stored copy had no file of this kind for this version
        }
        for (const file of files.filter((f) => f.endsWith(".yaml")).sort()) {
          const rel = `${level}/${dir}/${verdict}/${file}`;
          const doc: unknown = parse(readFileSync(`${ROOT}${rel}`, "utf8"));
          if (!isObj(doc) || doc.kind !== "Pod") throw new Error(`${rel} is not a Pod`);
          out.push({
            level,
            minor: Number(m[1]),
            verdict,
            name: file.slice(0, -".yaml".length),
            rel,
            metadata: isObj(doc.metadata) ? doc.metadata : {},
            spec: doc.spec,
          });
        }
      }
    }
  }
  return out.sort((a, b) => (a.rel < b.rel ? -1 : a.rel > b.rel ? 1 : 0));
}

/**
 * Fixtures the stored copy holds from an unmerged iteration of an upstream pull request whose
 * expectation the merged check code contradicts. Each is asserted to get the merged code's verdict
 * (the opposite of its folder), so the entry fails loudly if our evaluator ever drifts toward it.
 */
const NON_MAINLINE: Readonly<Record<string, string>> = {
  "baseline/v1.2/fail/apparmorprofile1.yaml":
    "commit 4cb67517 (fixtures_apparmor.go of that commit tweaks `pod` instead of the copy, so its fail cases carry no forbidden profile); check_appArmorProfile.go allows a runtime/default annotation",
  "baseline/v1.2/fail/apparmorprofile3.yaml":
    "commit 4cb67517, same generator bug: a pod with no AppArmor setting at all; check_appArmorProfile.go allows it",
  "baseline/v1.34/pass/hostprobesandhostlifecycle0.yaml":
    "commit 33155ee, an early iteration that allowed loopback hosts; the merged check_hostProbesAndhostLifecycle.go allows only an empty host and the later generator (fixtures_hostProbesAndHostLifecycle.go@8a84988) lists 127.0.0.1 as a fail case",
  "restricted/v1.35/pass/procmount1.yaml":
    "commit e8bd3f6, an iteration before check_procMount_restricted.go: the merged check procMount_restricted (1.35, OverrideCheckIDs procMount) denies Unmasked even with hostUsers: false",
};

/** Check ids by the lowercased form fixtures_test.go uses in file names. */
const CHECK_BY_FIXTURE_PREFIX = new Map(CHECKS.map((c) => [c.id.toLowerCase(), c.id]));

/** The check a fixture name encodes (`seccompprofile_baseline2` -> seccompProfile_baseline). */
function checkOf(name: string): string | undefined {
  const m = /^(.*?)(\d+)$/.exec(name);
  return m?.[1] ? CHECK_BY_FIXTURE_PREFIX.get(m[1]) : undefined;
}

/** `id` plus the restricted checks that replace it at this level and version (OverrideCheckIDs). */
function acceptableChecks(id: string, level: Level, minor: number): string[] {
  const out = [id];
  if (level !== "restricted") return out;
  for (const c of CHECKS) {
    let current: (typeof c.versions)[number] | undefined;
    for (const v of c.versions) if (v.minimum <= minor) current = v;
    if (current?.overrides?.includes(id)) out.push(c.id);
  }
  return out;
}

// Upstream's fixtures are created through an API server, which defaults them first (a volume without a
// source becomes emptyDir: restricted/v1.36/pass/restrictedvolumes0.yaml has one).
const evaluate = (f: Fixture, minor: number): PssResult =>
  evaluatePss(
    { labels: f.metadata.labels, annotations: f.metadata.annotations },
    applyApiDefaults(f.spec),
    f.level,
    `v1.${minor}` as PssVersion,
  );

const summary = (r: PssResult): string => r.violations.map((v) => `${v.check}: ${v.message}`).join("; ");

const fixtures = loadFixtures();
const mainline = fixtures.filter((f) => NON_MAINLINE[f.rel] === undefined);

describe("upstream pod-security-admission testdata", () => {
  it("is present and every quarantined entry names a stored fixture", () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(60);
    const rels = new Set(fixtures.map((f) => f.rel));
    for (const rel of Object.keys(NON_MAINLINE)) expect(rels.has(rel), rel).toBe(true);
  });

  it.each(mainline.map((f) => [f.rel, f] as const))("%s", (_rel, f) => {
    const r = evaluate(f, f.minor);
    expect({ allowed: r.allowed, why: summary(r) }).toMatchObject({ allowed: f.verdict === "pass" });
    const check = f.verdict === "fail" ? checkOf(f.name) : undefined;
    if (check !== undefined) {
      const ids = r.violations.map((v) => v.check);
      const acceptable = acceptableChecks(check, f.level, f.minor);
      expect(
        ids.some((id) => acceptable.includes(id)),
        `${f.rel}: expected one of ${acceptable.join(", ")}, got ${ids.join(", ")}`,
      ).toBe(true);
    }
  });

  it.each(Object.entries(NON_MAINLINE))("non-mainline %s gets the merged code's verdict (%s)", (rel) => {
    const f = fixtures.find((x) => x.rel === rel);
    if (f === undefined) throw new Error(`missing ${rel}`);
    expect(evaluate(f, f.minor).allowed).toBe(f.verdict === "fail");
  });
});

describe("upstream testdata at the next version directory present", () => {
  // Fixtures are regenerated for every version from that version's minimal valid pod
  // (test/fixtures.go) and the newest generator at or below it, so a verdict may only change where
  // upstream registers a new check revision. Each fixture is replayed at the next version directory
  // the corpus holds for its level. It must keep its verdict unless upstream says otherwise: the
  // same pod in the opposite folder there, or every check that decides the difference has a
  // revision whose MinimumVersion lies in (v1.N, next] (the gap the corpus skips over). A
  // same-named fixture alone says nothing: fixtures_test.go numbers a check's pass and fail pods
  // with separate counters (`for i, pod := range checkData.pass` / `checkData.fail`), so
  // pass/seccompprofile_restricted1 and fail/seccompprofile_restricted1 are different pods.
  const minors = (level: Level): number[] =>
    [...new Set(fixtures.filter((f) => f.level === level).map((f) => f.minor))].sort((a, b) => a - b);
  const revisedIn = (id: string, from: number, to: number): boolean =>
    CHECKS.some((c) => c.id === id && c.versions.some((v) => v.minimum > from && v.minimum <= to));
  const cases = mainline.flatMap((f) => {
    const next = minors(f.level).find((m) => m > f.minor);
    return next === undefined ? [] : [[`${f.rel} @ v1.${next}`, f, next] as const];
  });

  it.each(cases)("%s", (_label, f, next) => {
    const contradicted = mainline.some(
      (g) =>
        g.level === f.level &&
        g.minor === next &&
        g.name === f.name &&
        g.verdict !== f.verdict &&
        stableStringify({ m: g.metadata.annotations, s: g.spec }) ===
          stableStringify({ m: f.metadata.annotations, s: f.spec }),
    );
    const before = evaluate(f, f.minor);
    const after = evaluate(f, next);
    if (contradicted) {
      expect(after.allowed, summary(after)).toBe(f.verdict === "fail");
      return;
    }
    if (after.allowed === before.allowed) return;
    // A flip: every check that decides it must have been revised between the two versions.
    const deciding = (after.allowed ? before : after).violations.map((v) => v.check);
    const unexplained = deciding.filter((id) => !revisedIn(id, f.minor, next));
    expect(
      unexplained,
      `${f.rel}: verdict flips at v1.${next}: ${summary(after.allowed ? before : after)}`,
    ).toEqual([]);
  });
});

describe("pssEvaluator gives evaluatePss's results, each check run once per pod", () => {
  // Every fixture at every level and at several versions through one evaluator (in an order that makes the
  // later evaluations reuse the earlier ones' checks), against evaluatePss alone.
  const versions: PssVersion[] = [
    "latest",
    "v1.0",
    "v1.22",
    "v1.25",
    "v1.30",
    `v1.${LATEST_POLICY_MINOR}`,
    "v1.999",
  ];
  it("on the upstream corpus", () => {
    let compared = 0;
    for (const f of fixtures) {
      const meta = { labels: f.metadata.labels, annotations: f.metadata.annotations };
      const spec = applyApiDefaults(f.spec);
      const evaluator = pssEvaluator(meta, spec);
      for (const version of versions)
        for (const level of ["baseline", "restricted", "privileged", "restricted", "baseline"] as const) {
          const reference = evaluatePss(meta, spec, level, version);
          const got = evaluator(level, version);
          if (stableStringify(got) !== stableStringify(reference))
            expect(got, `${f.rel} at ${level}:${version}`).toEqual(reference);
          compared += got.violations.length;
        }
    }
    expect(compared).toBeGreaterThan(fixtures.length);
  });

  it("runs a check revision that two levels share once", () => {
    let calls = 0;
    const spec = new Proxy(
      { containers: [{ name: "a", image: "x", securityContext: { privileged: true } }] },
      {
        get(target, key, receiver) {
          if (key === "containers") calls++;
          return Reflect.get(target, key, receiver);
        },
      },
    );
    const evaluator = pssEvaluator({}, spec);
    evaluator("baseline", "latest");
    const once = calls;
    evaluator("baseline", "latest");
    evaluator("baseline", `v1.${LATEST_POLICY_MINOR}`);
    expect(calls).toBe(once);
    const read = (f: () => unknown): number => {
      const before = calls;
      f();
      return calls - before;
    };
    const restrictedAfterBaseline = read(() => evaluator("restricted", "latest"));
    const restrictedAlone = read(() => evaluatePss({}, spec, "restricted", "latest"));
    // The baseline checks restricted runs were run already: only its own checks read the containers again.
    expect(restrictedAfterBaseline).toBeGreaterThan(0);
    expect(restrictedAfterBaseline).toBeLessThan(restrictedAlone);
  });
});
