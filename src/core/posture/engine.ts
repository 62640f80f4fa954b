/**
 * The posture rule engine: rule shapes, defensive readers over unvalidated manifest data, effective
 * security-context resolution, and the loop that turns rule hits into findings.
 *
 * Rules are small objects in a list (one entry per rule). A rule never builds a Finding itself: it returns
 * {@link Hit}s (field path, message, evidence) and the engine adds rule metadata, resource, workload, team,
 * source location and the stable id. This keeps every finding in one shape and lets a rule be tested alone.
 */
import {
  type CoverageEntry,
  cmp,
  compareCoverage,
  compareFindings,
  type Finding,
  findingId,
  type RuleMeta,
  type SourceLocation,
} from "../findings/index.js";
import {
  type ContainerInfo,
  type ContainerType,
  type Inventory,
  joinPath,
  type KObject,
  sourceLocation,
  type Workload,
  type WorkloadKind,
} from "../inventory/index.js";
import { isRecord } from "../util/index.js";

/** Options for {@link evaluatePosture}. */
export interface PostureOptions {
  /**
   * Globs (`*`, `?`) matched against an image's `registry` and its `registry/repository`. Empty or absent: the
   * registry allow-list rule is off.
   */
  allowedRegistries?: string[];
  /**
   * Ids of rules whose per-object checks already ran as the objects were read ({@link objectRulesAtLoad}): not
   * evaluated again.
   */
  evaluatedAtLoad?: ReadonlySet<string>;
}

/** What a rule reports: the engine turns it into a Finding. */
export interface Hit {
  /** Exact field path of the offending value, or where a missing field should be set. */
  fieldPath: string;
  message: string;
  /** The offending value as text; already redacted when it is a secret. Absent when the field is unset. */
  evidence?: string;
  /** Mixed into the finding id when one rule can fire twice at the same path. */
  discriminator?: string;
}

/** A hit on an object that is not (necessarily) a workload: a Service, a ConfigMap, a Namespace. */
export interface ObjectHit extends Hit {
  object: KObject;
  /** Set when the object is, or belongs to, a workload. */
  workload?: Workload;
  /** Owning team when there is no workload (e.g. the namespace's team for a ConfigMap). */
  team?: string;
}

/**
 * Typed reads of unvalidated JSON. A value of the wrong type is reported once as an "invalid" coverage entry and
 * read as absent, so a malformed manifest never crashes the engine and never passes silently.
 */
export interface Reader {
  bool(rec: Record<string, unknown> | undefined, key: string, path: string): boolean | undefined;
  str(rec: Record<string, unknown> | undefined, key: string, path: string): string | undefined;
  /** An integer (Kubernetes int32/int64 fields). */
  int(rec: Record<string, unknown> | undefined, key: string, path: string): number | undefined;
  list(rec: Record<string, unknown> | undefined, key: string, path: string): unknown[] | undefined;
  rec(
    rec: Record<string, unknown> | undefined,
    key: string,
    path: string,
  ): Record<string, unknown> | undefined;
}

/** A container as rules see it. */
export interface ContainerView {
  info: ContainerInfo;
  type: ContainerType;
  /** The raw container object. */
  spec: Record<string, unknown>;
  /** Field path of the container, e.g. `spec.template.spec.containers[1]`. */
  path: string;
  /** The container's securityContext when it is an object. */
  sc: Record<string, unknown> | undefined;
  scPath: string;
  /** Human label used in messages: `container "app"`, `init container "setup"`. */
  label: string;
}

/** A workload as rules see it. */
export interface WorkloadView {
  w: Workload;
  /** The raw pod spec. */
  spec: Record<string, unknown>;
  specPath: string;
  podSC: Record<string, unknown> | undefined;
  podSCPath: string;
  containers: ContainerView[];
  /** `spec.os.name: windows`: Linux-only checks do not apply (PSS skips them too since v1.25). */
  isWindows: boolean;
  read: Reader;
}

/** Evaluation environment shared by all rules of one run. */
export interface Env {
  inv: Inventory;
  opts: { allowedRegistries: string[] };
  /** A reader that reports invalid fields against `obj`. */
  reader(obj: KObject): Reader;
}

/** A rule evaluated once per workload (pod-level fields, or fields it reads across containers itself). */
export interface PodRule {
  meta: RuleMeta;
  scope: "pod";
  /** Restrict to these workload kinds (default all). */
  kinds?: readonly WorkloadKind[];
  /** Skip pods with `spec.os.name: windows`. */
  linuxOnly?: boolean;
  check(wv: WorkloadView, env: Env): Hit[];
}

/** A rule evaluated once per container. */
export interface ContainerRule {
  meta: RuleMeta;
  scope: "container";
  /** Container types the rule applies to (default all three). */
  types?: readonly ContainerType[];
  kinds?: readonly WorkloadKind[];
  linuxOnly?: boolean;
  check(cv: ContainerView, wv: WorkloadView, env: Env): Hit[];
}

/**
 * A rule over the whole inventory (Services, ConfigMaps, Namespaces, cross-object checks). Its hits may be yielded
 * one at a time (a generator): the engine turns each into a finding as it comes, so a rule that fires on most
 * ConfigMaps of a 1M-object snapshot never holds all its hits (issue: scale). A rule that throws part-way has its
 * earlier hits reported, with a "not-evaluated" coverage entry for the rest.
 */
export interface InventoryRule {
  meta: RuleMeta;
  scope: "inventory";
  check(env: Env): Iterable<ObjectHit>;
  /**
   * Set when the rule judges each object of some kinds alone, reading nothing else of the inventory but the
   * object's namespace (whose team its hits carry): `check` is then this over those objects, and a streaming scan
   * may run it as each object is read and drop the fields it alone reads ({@link objectRulesAtLoad}).
   */
  perObject?: ObjectCheck;
}

/** An {@link InventoryRule}'s check of one object (see `perObject`). */
export interface ObjectCheck {
  /** The kinds it judges (core/inventory's `MODELLED` kinds). */
  kinds: readonly string[];
  /** Top-level fields of the object (`raw`) that this check reads and no other analysis of a scan does. */
  reads: readonly string[];
  check(obj: KObject, read: Reader): Iterable<Hit>;
}

export type PostureRule = PodRule | ContainerRule | InventoryRule;

const TYPE_LABEL: Record<ContainerType, string> = {
  container: "container",
  initContainer: "init container",
  ephemeralContainer: "ephemeral container",
};

function typeName(v: unknown): string {
  return v === null ? "null" : Array.isArray(v) ? "array" : typeof v;
}

/** Resolve a field path to a file position: the path itself, else its nearest located ancestor, else the object. */
export function locateField(obj: KObject, fieldPath: string): SourceLocation | undefined {
  return sourceLocation(obj, fieldPath);
}

/**
 * The {@link Reader} of one object: two fields, its methods on the prototype. One is made whenever a rule asks
 * (`Env.reader`), never kept per object: a reader per object of a 1M-object snapshot, with its closures, held
 * about 0.5 KB each for the whole run (issue: scale). Coverage is keyed by message, so two readers of one object
 * report an invalid field once, as one cached reader did.
 */
class ObjectReader implements Reader {
  constructor(
    private readonly obj: KObject,
    private readonly coverage: Map<string, CoverageEntry>,
  ) {}

  private invalid(path: string, expected: string, v: unknown): void {
    const obj = this.obj;
    const ns = obj.ref.namespace;
    const message = `${obj.ref.kind} ${ns ? `${ns}/` : ""}${obj.ref.name}: ${path} is ${typeName(v)}, expected ${expected}; not evaluated`;
    if (this.coverage.has(message)) return;
    const e: CoverageEntry = { reason: "invalid", message, kind: obj.ref.kind };
    if (ns !== undefined) e.namespace = ns;
    const loc = locateField(obj, path);
    if (loc) {
      e.location = loc;
      e.subject = loc.file;
    }
    this.coverage.set(message, e);
  }

  private get<T>(
    rec: Record<string, unknown> | undefined,
    key: string,
    path: string,
    expected: string,
    ok: (v: unknown) => v is T,
  ): T | undefined {
    if (rec === undefined || !Object.hasOwn(rec, key)) return undefined;
    const v = rec[key];
    // JSON null is how YAML spells an empty field (`securityContext:`): it means "unset", not a type error.
    if (v === undefined || v === null) return undefined;
    if (ok(v)) return v;
    this.invalid(joinPath(path, key), expected, v);
    return undefined;
  }

  bool(r: Record<string, unknown> | undefined, k: string, p: string): boolean | undefined {
    return this.get(r, k, p, "boolean", isBoolean);
  }
  str(r: Record<string, unknown> | undefined, k: string, p: string): string | undefined {
    return this.get(r, k, p, "string", isString);
  }
  int(r: Record<string, unknown> | undefined, k: string, p: string): number | undefined {
    return this.get(r, k, p, "integer", isSafeInteger);
  }
  list(r: Record<string, unknown> | undefined, k: string, p: string): unknown[] | undefined {
    return this.get(r, k, p, "array", isArray);
  }
  rec(r: Record<string, unknown> | undefined, k: string, p: string): Record<string, unknown> | undefined {
    return this.get(r, k, p, "object", isRecord);
  }
}

const isBoolean = (v: unknown): v is boolean => typeof v === "boolean";
const isString = (v: unknown): v is string => typeof v === "string";
const isSafeInteger = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v);
const isArray = (v: unknown): v is unknown[] => Array.isArray(v);

function makeView(w: Workload, read: Reader): WorkloadView {
  const spec = w.podSpec as unknown as Record<string, unknown>;
  const specPath = w.podSpecPath;
  const podSC = read.rec(spec, "securityContext", specPath);
  const os = read.rec(spec, "os", specPath);
  const isWindows = read.str(os, "name", joinPath(specPath, "os")) === "windows";
  const containers: ContainerView[] = w.containers.map((info) => {
    const raw = info.spec as unknown as Record<string, unknown>;
    return {
      info,
      type: info.type,
      spec: raw,
      path: info.path,
      sc: read.rec(raw, "securityContext", info.path),
      scPath: joinPath(info.path, "securityContext"),
      label: `${TYPE_LABEL[info.type]} "${info.name}"`,
    };
  });
  return {
    w,
    spec,
    specPath,
    podSC,
    podSCPath: joinPath(specPath, "securityContext"),
    containers,
    isWindows,
    read,
  };
}

/** A value resolved with Kubernetes' precedence: the container's securityContext overrides the pod's. */
export interface Effective<T> {
  value: T;
  path: string;
  level: "container" | "pod";
}

/**
 * Resolve a securityContext field that exists at both levels (runAsUser, runAsGroup, runAsNonRoot, seLinuxOptions,
 * seccompProfile, appArmorProfile, windowsOptions). Per the API docs of SecurityContext: "If set in both
 * SecurityContext and PodSecurityContext, the value specified in SecurityContext takes precedence."
 */
export function effective<T>(
  wv: WorkloadView,
  cv: ContainerView,
  key: string,
  read: (r: Reader) => (rec: Record<string, unknown> | undefined, key: string, path: string) => T | undefined,
): Effective<T> | undefined {
  // Called on the reader: its methods are on its prototype.
  const fn = read(wv.read);
  const c = fn.call(wv.read, cv.sc, key, cv.scPath);
  if (c !== undefined) return { value: c, path: joinPath(cv.scPath, key), level: "container" };
  const p = fn.call(wv.read, wv.podSC, key, wv.podSCPath);
  if (p !== undefined) return { value: p, path: joinPath(wv.podSCPath, key), level: "pod" };
  return undefined;
}

function toFinding(
  meta: RuleMeta,
  obj: KObject,
  w: Workload | undefined,
  hit: Hit & { team?: string },
): Finding {
  // Built as one literal, in makeFinding's key order (id first, then the FindingInput fields in this order), so
  // JSON output is unchanged; makeFinding's rest/spread copies cost ~170 ms at 150k findings. The rule's compliance
  // list is shared, not copied (as the RBAC and NetworkPolicy findings do): nothing mutates a finding's, and copies
  // were an array and two objects kept per finding, 600k at 100k objects.
  const f: Finding = {
    id: findingId(meta.id, obj.ref, hit.fieldPath, hit.discriminator),
    ruleId: meta.id,
    title: meta.title,
    severity: meta.severity,
    resource: { ...obj.ref },
    fieldPath: hit.fieldPath,
    message: hit.message,
    remediation: meta.remediation,
    compliance: meta.compliance,
    category: meta.category,
  };
  if (w) f.workload = { ...w.ref };
  const team = w?.team ?? hit.team;
  if (team !== undefined) f.team = team;
  const loc = locateField(obj, hit.fieldPath);
  if (loc) f.location = loc;
  if (hit.evidence !== undefined) f.evidence = hit.evidence;
  return f;
}

/**
 * Run rules over an inventory. A rule that throws (a bug, or data shaped in a way no reader anticipated) yields a
 * "not-evaluated" coverage entry for that rule and object instead of aborting the run.
 */
export function runRules(
  rules: readonly PostureRule[],
  inv: Inventory,
  options: PostureOptions = {},
  emit?: (f: Finding) => void,
): { findings: Finding[]; coverage: CoverageEntry[] } {
  const coverage = new Map<string, CoverageEntry>();
  const env: Env = {
    inv,
    opts: { allowedRegistries: [...(options.allowedRegistries ?? [])] },
    reader: (obj) => new ObjectReader(obj, coverage),
  };
  const findings: Finding[] = [];
  // With `emit`, findings go to the caller as produced (in evaluation order) and are not kept.
  const push = emit ?? ((f: Finding) => findings.push(f));
  const failed = (meta: RuleMeta, what: string, e: unknown): void => {
    const message = `rule ${meta.id} could not evaluate ${what}: ${e instanceof Error ? e.message : String(e)}`;
    coverage.set(message, { reason: "not-evaluated", message });
  };
  const atLoad = options.evaluatedAtLoad;
  const run = atLoad !== undefined && atLoad.size > 0 ? rules.filter((r) => !atLoad.has(r.meta.id)) : rules;
  const podRules = run.filter((r): r is PodRule => r.scope === "pod");
  const containerRules = run.filter((r): r is ContainerRule => r.scope === "container");
  const inventoryRules = run.filter((r): r is InventoryRule => r.scope === "inventory");

  for (const w of inv.workloads) {
    const obj = w.object;
    const wv = makeView(w, env.reader(obj));
    const what = `${w.kind} ${w.ref.namespace ?? ""}/${w.ref.name}`;
    for (const rule of podRules) {
      if (rule.kinds && !rule.kinds.includes(w.kind)) continue;
      if (rule.linuxOnly && wv.isWindows) continue;
      try {
        for (const hit of rule.check(wv, env)) push(toFinding(rule.meta, obj, w, hit));
      } catch (e) {
        failed(rule.meta, what, e);
      }
    }
    for (const cv of wv.containers) {
      for (const rule of containerRules) {
        if (rule.types && !rule.types.includes(cv.type)) continue;
        if (rule.kinds && !rule.kinds.includes(w.kind)) continue;
        if (rule.linuxOnly && wv.isWindows) continue;
        try {
          for (const hit of rule.check(cv, wv, env)) push(toFinding(rule.meta, obj, w, hit));
        } catch (e) {
          failed(rule.meta, `${what} ${cv.label}`, e);
        }
      }
    }
  }
  for (const rule of inventoryRules) {
    try {
      for (const hit of rule.check(env)) push(toFinding(rule.meta, hit.object, hit.workload, hit));
    } catch (e) {
      failed(rule.meta, "the inventory", e);
    }
  }
  return {
    findings: findings.sort(compareFindings),
    coverage: [...coverage.values()].sort(compareCoverage),
  };
}

/** The per-object checks of a rule list, run as each object is read: see {@link objectRulesAtLoad}. */
export interface ObjectRulesAtLoad {
  /** The rules run here: the analysis does not run them again (`PostureOptions.evaluatedAtLoad`). */
  ruleIds: ReadonlySet<string>;
  /**
   * Run the checks of the object's kind, each hit handed to `emit` as a finding with no team (the namespace's team
   * is known once the inventory is built: {@link withNamespaceTeam}), then drop the fields only these checks read.
   */
  add(obj: KObject, emit: (f: Finding) => void): void;
  /** Invalid fields read and checks that threw, as {@link runRules} reports them. */
  coverage(): CoverageEntry[];
}

/**
 * The `perObject` checks of `rules` (issue: scale), for a caller that reads objects one at a time and keeps only
 * what the analysis reads after (a streaming scan). The findings, coverage and order of findings are those
 * {@link runRules} gives for these rules over the same objects in the same order, the team aside; a check that throws
 * ends its rule for every later object, as the rule's inventory loop would.
 */
export function objectRulesAtLoad(rules: readonly PostureRule[]): ObjectRulesAtLoad {
  const byKind = new Map<string, { meta: RuleMeta; check: ObjectCheck }[]>();
  const ruleIds = new Set<string>();
  for (const r of rules) {
    if (r.scope !== "inventory" || r.perObject === undefined) continue;
    ruleIds.add(r.meta.id);
    for (const kind of r.perObject.kinds) {
      const list = byKind.get(kind) ?? [];
      list.push({ meta: r.meta, check: r.perObject });
      byKind.set(kind, list);
    }
  }
  const coverage = new Map<string, CoverageEntry>();
  const failed = new Set<string>();
  return {
    ruleIds,
    add(obj, emit) {
      const checks = byKind.get(obj.ref.kind);
      if (checks === undefined) return;
      const drop = new Set<string>();
      for (const { meta, check } of checks) {
        for (const f of check.reads) drop.add(f);
        if (failed.has(meta.id)) continue;
        try {
          for (const hit of check.check(obj, new ObjectReader(obj, coverage)))
            emit(toFinding(meta, obj, undefined, hit));
        } catch (e) {
          failed.add(meta.id);
          const message = `rule ${meta.id} could not evaluate the inventory: ${e instanceof Error ? e.message : String(e)}`;
          coverage.set(message, { reason: "not-evaluated", message });
        }
      }
      const raw = obj.raw;
      if (!Object.keys(raw).some((k) => drop.has(k))) return;
      const kept: Record<string, unknown> = {};
      for (const k of Object.keys(raw)) if (!drop.has(k)) kept[k] = raw[k];
      obj.raw = kept;
    },
    coverage: () => [...coverage.values()],
  };
}

/**
 * A finding of {@link objectRulesAtLoad} with its namespace's team, as {@link runRules} gives it (the team in the key
 * order of its findings: after the workload, before the location and evidence).
 */
export function withNamespaceTeam(f: Finding, inv: Inventory): Finding {
  const ns = f.resource.namespace;
  const team = ns === undefined ? undefined : inv.namespaces.get(ns)?.team;
  if (team === undefined) return f;
  const out: Record<string, unknown> = {};
  let put = false;
  for (const [k, v] of Object.entries(f)) {
    if (!put && (k === "location" || k === "evidence")) {
      out.team = team;
      put = true;
    }
    out[k] = v;
  }
  if (!put) out.team = team;
  return out as unknown as Finding;
}

/** Which hits {@link collectHits} wants: rules that cannot pass are not evaluated, objects not wanted not judged. */
export interface HitFilter {
  /** Rules that may fire; the others are not evaluated. */
  rule(meta: RuleMeta): boolean;
  /** Objects whose hits are wanted: a workload on another object is not evaluated, another object's hits dropped. */
  object(obj: KObject): boolean;
}

/** A hit with the rule and object it is on: what a Finding is built from, without building it. */
export interface HitOn {
  meta: RuleMeta;
  object: KObject;
  hit: Hit;
}

/** Rules split by scope, in list order: what {@link collectSelectedHits} runs (made once per rule list and filter). */
export interface RuleSelection {
  pod: readonly PodRule[];
  container: readonly ContainerRule[];
  inventory: readonly InventoryRule[];
}

/** The rules `keep` keeps, by scope. */
export function selectRules(rules: readonly PostureRule[], keep: (meta: RuleMeta) => boolean): RuleSelection {
  const kept = rules.filter((r) => keep(r.meta));
  return {
    pod: kept.filter((r): r is PodRule => r.scope === "pod"),
    container: kept.filter((r): r is ContainerRule => r.scope === "container"),
    inventory: kept.filter((r): r is InventoryRule => r.scope === "inventory"),
  };
}

/**
 * The hits {@link runRules} would turn into findings, for the rules and objects `filter` keeps, in the same order
 * as its findings (compareFindings: location, rule, resource, field path, id), without building a Finding: no id
 * hash (except to order two hits of one rule at one path), no metadata copies, no source location unless the
 * object has a source. This is the path of a caller that wants a few hits fast (admission: one object, rules at or
 * above a severity); its differential test checks it against runRules.
 */
export function collectHits(
  rules: readonly PostureRule[],
  inv: Inventory,
  filter: HitFilter,
  options: PostureOptions = {},
): HitOn[] {
  return collectSelectedHits(selectRules(rules, filter.rule), inv, filter.object, options);
}

/**
 * {@link collectHits} with the rules selected beforehand. `workloadsOnly`: the caller wants hits on workload
 * objects only, so inventory rules are not run: their hits are never on a workload's object (they judge Services,
 * Ingresses, ConfigMaps, Secrets, Namespaces; what a workload's pod template holds is a pod or container rule's,
 * and a test holds every inventory rule to that).
 */
export function collectSelectedHits(
  selection: RuleSelection,
  inv: Inventory,
  wanted: (obj: KObject) => boolean,
  options: PostureOptions = {},
  workloadsOnly = false,
): HitOn[] {
  const out: HitOn[] = [];
  const coverage = new Map<string, CoverageEntry>();
  const env: Env = {
    inv,
    opts: { allowedRegistries: [...(options.allowedRegistries ?? [])] },
    reader: (obj) => new ObjectReader(obj, coverage),
  };
  const { pod: podRules, container: containerRules } = selection;
  // A rule that throws is "not evaluated" (a coverage entry in runRules): no hit, here as there. Hits are pushed
  // as a rule returns them, so a rule that throws has pushed none.
  if (podRules.length > 0 || containerRules.length > 0)
    for (const w of inv.workloads) {
      const obj = w.object;
      if (!wanted(obj)) continue;
      const wv = makeView(w, env.reader(obj));
      for (const rule of podRules) {
        if (rule.kinds && !rule.kinds.includes(w.kind)) continue;
        if (rule.linuxOnly && wv.isWindows) continue;
        let hits: Hit[];
        try {
          hits = rule.check(wv, env);
        } catch {
          continue;
        }
        for (const hit of hits) out.push({ meta: rule.meta, object: obj, hit });
      }
      for (const cv of wv.containers)
        for (const rule of containerRules) {
          if (rule.types && !rule.types.includes(cv.type)) continue;
          if (rule.kinds && !rule.kinds.includes(w.kind)) continue;
          if (rule.linuxOnly && wv.isWindows) continue;
          let hits: Hit[];
          try {
            hits = rule.check(cv, wv, env);
          } catch {
            continue;
          }
          for (const hit of hits) out.push({ meta: rule.meta, object: obj, hit });
        }
    }
  if (!workloadsOnly)
    for (const rule of selection.inventory) {
      let hits: ObjectHit[];
      try {
        // Taken whole: a rule that throws part-way pushes none of its hits here.
        hits = [...rule.check(env)];
      } catch {
        continue;
      }
      for (const hit of hits) if (wanted(hit.object)) out.push({ meta: rule.meta, object: hit.object, hit });
    }
  return sortLikeFindings(out);
}

/** Sort hits as compareFindings sorts the findings built from them, computing a location or an id only if needed. */
function sortLikeFindings(hits: HitOn[]): HitOn[] {
  if (hits.length < 2) return hits;
  const keyed = hits.map((h) => ({
    h,
    loc: h.object.source ? locateField(h.object, h.hit.fieldPath) : undefined,
    id: undefined as string | undefined,
  }));
  const idOf = (k: (typeof keyed)[number]): string => {
    k.id ??= findingId(k.h.meta.id, k.h.object.ref, k.h.hit.fieldPath, k.h.hit.discriminator);
    return k.id;
  };
  keyed.sort((a, b) => {
    const ra = a.h.object.ref;
    const rb = b.h.object.ref;
    return (
      cmp(a.loc?.file ?? "\uffff", b.loc?.file ?? "\uffff") ||
      (a.loc?.line ?? 0) - (b.loc?.line ?? 0) ||
      (a.loc?.column ?? 0) - (b.loc?.column ?? 0) ||
      cmp(a.h.meta.id, b.h.meta.id) ||
      // Hits on one object (admission's case) have one resource: nothing to compare.
      (ra === rb
        ? 0
        : cmp(ra.namespace ?? "", rb.namespace ?? "") || cmp(ra.kind, rb.kind) || cmp(ra.name, rb.name)) ||
      cmp(a.h.hit.fieldPath, b.h.hit.fieldPath) ||
      cmp(idOf(a), idOf(b))
    );
  });
  return keyed.map((k) => k.h);
}
