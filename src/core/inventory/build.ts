import type { PodSpec } from "kubernetes-types/core/v1.js";
import { type CoverageEntry, cmp, type ResourceRef } from "../findings/index.js";
import { primaryOwnerRef, workloadKindOf, workloadKindSpec } from "../k8s/index.js";
import {
  appendAll,
  asArray,
  asString,
  asStringMap,
  globMatch,
  isRecord,
  sharedStringMap,
} from "../util/index.js";
import { joinPath } from "./field-path.js";
import { parseImageRef } from "./image-ref.js";
import { inferListItemType } from "./list-items.js";
import {
  type ContainerInfo,
  type ContainerType,
  DEFAULT_OWNERSHIP,
  type Inventory,
  type KObject,
  type Labels,
  type NamespaceInfo,
  type OwnershipConfig,
  type RawObject,
  type Workload,
  type WorkloadKind,
} from "./model.js";
import { RefMap, UidMap } from "./ref-map.js";
import { type ValueSharing, valueSharing } from "./share.js";

/** Pod spec location per workload kind (from the one table of workload kinds in core/k8s). */
const POD_SPEC_PATH = (kind: WorkloadKind): { spec: string; meta: string } => workloadKindSpec(kind);

/** Kinds modelled by the inventory, mapped to the inventory list they land in. */
const MODELLED = {
  ServiceAccount: "serviceAccounts",
  Role: "roles",
  ClusterRole: "clusterRoles",
  RoleBinding: "roleBindings",
  ClusterRoleBinding: "clusterRoleBindings",
  NetworkPolicy: "networkPolicies",
  Service: "services",
  Ingress: "ingresses",
  ConfigMap: "configMaps",
  Secret: "secrets",
  Node: "nodes",
} as const satisfies Record<string, keyof Inventory>;

const CLUSTER_SCOPED = new Set([
  "Namespace",
  "Node",
  "ClusterRole",
  "ClusterRoleBinding",
  "PersistentVolume",
  "StorageClass",
  "CustomResourceDefinition",
  "ValidatingWebhookConfiguration",
  "MutatingWebhookConfiguration",
  "PriorityClass",
  "IngressClass",
  "RuntimeClass",
  "APIService",
  "CertificateSigningRequest",
]);

export interface BuildOptions {
  ownership?: OwnershipConfig;
  /** Max objects accepted; the rest become one coverage entry. */
  maxObjects?: number;
  /**
   * Keep only what a scan reads of the objects a workload owns ({@link compactMember}): for callers whose
   * analyses read a member's metadata and status, never its pod template (the scan without node analysis).
   * About 40% of a large snapshot's memory is ReplicaSet templates and pod specs that repeat their workload's.
   * `"scan"`: keep even less, only what the scan's analyzers read of a member ({@link compactMember}'s `scanOnly`),
   * for a caller that keeps nothing of the inventory but the report (not one that stores the objects).
   */
  compactMembers?: boolean | "scan";
  /**
   * With `compactMembers: "scan"`: hold equal parts of the objects once ({@link valueSharing}; default true). It
   * hashes every part of every object as it is added: a seventh of a 100k-object scan's main-thread CPU for about
   * a tenth of its peak memory. A caller whose target is time rather than memory turns it off.
   */
  shareValues?: boolean;
}

/**
 * Expand `kind: List` and `*List` kinds into their items. Item sources point at `items[i]`.
 */
export function expandLists(raws: readonly RawObject[], coverage: CoverageEntry[]): RawObject[] {
  const out: RawObject[] = [];
  const visit = (r: RawObject, depth: number): void => {
    const kind = asString(r.object.kind);
    if (kind?.endsWith("List") && Array.isArray(r.object.items)) {
      if (depth > 4) {
        coverage.push({
          reason: "limit",
          message: "List nested deeper than 4 levels",
          subject: r.source?.file,
        });
        return;
      }
      r.object.items.forEach((item, i) => {
        if (!isRecord(item)) {
          coverage.push({
            reason: "invalid",
            message: `items[${i}] is not an object`,
            subject: r.source?.file,
          });
          return;
        }
        // Items of a typed list (PodList from the API server) name no kind: infer it as client-go does.
        const child: RawObject = { object: inferListItemType(r.object, item) };
        if (r.cluster !== undefined) child.cluster = r.cluster;
        if (r.origin !== undefined) child.origin = r.origin;
        if (r.source) {
          const parent = r.source;
          const loc = parent.locate?.(`items[${i}]`);
          child.source = {
            file: parent.file,
            line: loc?.line ?? parent.line,
            column: loc?.column ?? parent.column,
            index: parent.index ?? 0,
          };
          if (parent.locate) {
            const locate = parent.locate;
            child.source.locate = (p) =>
              locate(p === "" ? `items[${i}]` : `items[${i}]${p.startsWith("[") ? p : `.${p}`}`);
          }
        }
        visit(child, depth + 1);
      });
      return;
    }
    out.push(r);
  };
  for (const r of raws) visit(r, 0);
  return out;
}

/** Validate and normalise one raw object. Returns undefined (with a coverage entry) when it is not a Kubernetes object. */
export function normalizeObject(r: RawObject, coverage: CoverageEntry[]): KObject | undefined {
  const o = r.object;
  const apiVersion = asString(o.apiVersion);
  const kind = asString(o.kind);
  const meta = isRecord(o.metadata) ? o.metadata : undefined;
  const name = meta ? (asString(meta.name) ?? asString(meta.generateName)) : undefined;
  const where = r.source ? { file: r.source.file, line: r.source.line, column: r.source.column } : undefined;
  const missing = !apiVersion
    ? "apiVersion"
    : !kind
      ? "kind"
      : !meta
        ? "metadata"
        : !name
          ? "metadata.name"
          : undefined;
  if (missing !== undefined) {
    const e: CoverageEntry = {
      reason: "invalid",
      message: `not a Kubernetes object: missing or non-string field "${missing}"`,
    };
    if (where) e.location = where;
    if (r.source) e.subject = r.source.file;
    coverage.push(e);
    return undefined;
  }
  const ns = asString(meta?.namespace);
  // One literal per shape, not a field added later: V8 then keeps every field in the object itself (a ref per
  // object of a 1M-object snapshot).
  const ref: ResourceRef = CLUSTER_SCOPED.has(kind!)
    ? { apiVersion: apiVersion!, kind: kind!, name: name! }
    : { apiVersion: apiVersion!, kind: kind!, name: name!, namespace: ns && ns !== "" ? ns : "default" };
  // Secret values are dropped here (defence in depth: loaders drop them too). Only key names survive.
  const raw = kind === "Secret" && apiVersion === "v1" ? stripSecretValues(o) : o;
  let owners: KObject["ownerReferences"] = [];
  for (const x of asArray(meta?.ownerReferences)) {
    if (!isRecord(x)) continue;
    const entry: KObject["ownerReferences"][number] = {
      kind: asString(x.kind) ?? "",
      name: asString(x.name) ?? "",
      controller: x.controller === true,
    };
    const uid = asString(x.uid);
    if (uid !== undefined) entry.uid = uid;
    const apiVersion = asString(x.apiVersion);
    if (apiVersion !== undefined) entry.apiVersion = apiVersion;
    if (entry.kind !== "" && entry.name !== "") owners.push(entry);
  }
  // An array grown by push (or made by filter) keeps room for 16 more elements (136 bytes), and most objects of a
  // large snapshot (Pods, ReplicaSets) have one owner reference: a copy of exactly its length. The others share one
  // empty array (an empty array of its own is 32 bytes).
  owners = owners.length > 0 ? owners.slice() : NO_OWNERS;
  // Every field in the literal, those absent as undefined: fields added to an object after it was made go to a
  // separate backing store (40 bytes more per object of a large snapshot).
  return {
    ref,
    uid: asString(meta?.uid),
    // The metadata's own maps when the loader made them string maps (slimObject), so they are held once.
    labels: sharedStringMap(meta?.labels),
    // Annotations come from the stripped object: a Secret's last-applied annotation carries its values.
    annotations: sharedStringMap(isRecord(raw.metadata) ? raw.metadata.annotations : undefined),
    raw,
    source: r.source,
    cluster: r.cluster,
    origin: r.origin,
    ownerReferences: owners,
  };
}

/** kubectl's client-side apply annotation: on a Secret it holds the whole manifest, values included. */
export const LAST_APPLIED_ANNOTATION = "kubectl.kubernetes.io/last-applied-configuration";

/** What a non-empty Secret value becomes inside a sanitised last-applied annotation. */
export const REDACTED_VALUE = "(redacted)";

/**
 * A value that is not a credential written in the file: a SOPS-encrypted value (`ENC[AES256_GCM,data:...]`), or a
 * `${VAR}` reference that a GitOps tool substitutes at apply time (Flux post-build substitution, envsubst).
 */
const NOT_A_LITERAL = /^(?:ENC\[[A-Z0-9_]+,data:|\$\{[A-Za-z_][A-Za-z0-9_]*\}$)/;

/**
 * Replace every Secret value so no value is ever stored or printed: a literal value becomes {@link REDACTED_VALUE};
 * an empty or null value, or one that is not a literal (see {@link NOT_A_LITERAL}), becomes "". Rules can tell which
 * keys of which field held a value, and nothing more. Values also hide in the last-applied-configuration
 * annotation: there non-empty values are redacted too, and an annotation that cannot be parsed is replaced whole.
 * Idempotent: loaders strip, then the inventory.
 */
export function stripSecretValues(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...o };
  for (const field of ["data", "stringData"] as const) {
    const d = o[field];
    if (isRecord(d)) {
      const keys: Record<string, string> = {};
      for (const [k, v] of Object.entries(d))
        keys[k] =
          v === "" || v === null || (typeof v === "string" && NOT_A_LITERAL.test(v)) ? "" : REDACTED_VALUE;
      out[field] = keys;
    } else if (d !== undefined) {
      delete out[field];
    }
  }
  const meta = o.metadata;
  if (
    isRecord(meta) &&
    isRecord(meta.annotations) &&
    typeof meta.annotations[LAST_APPLIED_ANNOTATION] === "string"
  ) {
    const annotations = { ...meta.annotations };
    annotations[LAST_APPLIED_ANNOTATION] = redactLastApplied(annotations[LAST_APPLIED_ANNOTATION] as string);
    out.metadata = { ...meta, annotations };
  }
  return out;
}

function redactLastApplied(text: string): string {
  let parsed: unknown;
  try {
    // The API server caps all annotations together at 256 KiB; larger text is not a real annotation.
    parsed = text.length <= 512 * 1024 ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!isRecord(parsed)) return REDACTED_VALUE;
  const copy: Record<string, unknown> = { ...parsed };
  for (const field of ["data", "stringData"] as const) {
    const d = parsed[field];
    if (!isRecord(d)) {
      delete copy[field];
      continue;
    }
    const values: Record<string, string> = {};
    for (const [k, v] of Object.entries(d))
      values[k] = typeof v === "string" && v !== "" ? REDACTED_VALUE : "";
    copy[field] = values;
  }
  // Annotations of the applied manifest may carry the same text again (nested apply); drop them.
  if (isRecord(copy.metadata)) copy.metadata = { ...copy.metadata, annotations: {} };
  return JSON.stringify(copy);
}

function getPath(o: unknown, dotted: string): unknown {
  let cur: unknown = o;
  for (const seg of dotted.split(".")) {
    if (!isRecord(cur)) return undefined;
    cur = cur[seg];
  }
  return cur;
}

function keyOf(cluster: string | undefined, ns: string | undefined, kind: string, name: string): string {
  return `${cluster ?? ""}\u0000${ns ?? ""}\u0000${kind}\u0000${name}`;
}

/** Build the normalised inventory from loaded objects. Pure: no IO, deterministic for the same input order. */
export function buildInventory(raws: readonly RawObject[], options: BuildOptions = {}): Inventory {
  const b = inventoryBuilder({ ...options, compactAtLoad: false });
  for (const r of raws) b.add(r);
  return (b.finish() as { inventory: Inventory }).inventory;
}

/**
 * An inventory built as objects arrive (a streamed snapshot: the objects are never all held as loaded).
 * `add` in input order, then `finish` once: the inventory is the one {@link buildInventory} gives for the same
 * objects in the same order.
 */
export interface InventoryBuilder {
  add(raw: RawObject): void;
  /**
   * The inventory, or `reload` when `compactAtLoad` dropped a template that resolving the workloads turned out to
   * need (see {@link InventoryBuildOptions.compactAtLoad}): the caller reads its inputs again without it.
   * `ownership`: when known only after the objects (default: the options').
   */
  finish(ownership?: OwnershipConfig): { inventory: Inventory } | { reload: true };
  /**
   * With `compactAtLoad`: how many members keep their whole template so far, each standing for an owner not read
   * yet (at most one per owner reference; 0 without `compactAtLoad`). What the load holds beyond the inventory.
   */
  templatesHeld(): number;
}

export interface InventoryBuildOptions extends BuildOptions {
  /**
   * With `compactMembers`: compact a Pod, ReplicaSet or Job that names a controller owner as soon as it is added,
   * not after every object is in (a 1M-object snapshot is mostly such members, and their pod templates most of its
   * memory). Only one member per owner reference keeps its template while loading: the one that would stand for
   * the owner's template if the owner is absent ({@link representativeOf}'s order, kept as the best seen so far).
   * Where the owner graph turns out to need another member's template (an ownerReferences cycle, a reference whose
   * uid names another object, a Rollout whose workloadRef names nothing) `finish` says `reload`, so the result never
   * differs from compacting at the end.
   */
  compactAtLoad?: boolean;
  /**
   * Called with each object of a modelled kind that is not a workload (a ConfigMap, a Service, a Role...) as soon as
   * it is added, in input order: a streaming scan runs the rules that judge such an object alone, and may then
   * replace `raw` with what the rest of the analysis reads of it.
   */
  onObject?: (obj: KObject) => void;
}

/** Kinds compacted while loading: the members controllers create (never an owner that a Rollout adopts). */
const COMPACT_AT_LOAD = new Set(["Pod", "ReplicaSet", "Job"]);

export function inventoryBuilder(options: InventoryBuildOptions = {}): InventoryBuilder {
  /** Coverage in the order buildInventory always gave it: Lists, the object limit, objects, workloads. */
  const listCoverage: CoverageEntry[] = [];
  const objectCoverage: CoverageEntry[] = [];
  const inv: Inventory = {
    objects: [],
    namespaces: new Map(),
    workloads: [],
    serviceAccounts: [],
    roles: [],
    clusterRoles: [],
    roleBindings: [],
    clusterRoleBindings: [],
    networkPolicies: [],
    services: [],
    ingresses: [],
    configMaps: [],
    secrets: [],
    nodes: [],
    unknownKinds: new Map(),
    coverage: [],
  };
  const max = options.maxObjects ?? 2_000_000;
  const compactMembers = options.compactMembers === true || options.compactMembers === "scan";
  const scanOnly = options.compactMembers === "scan";
  const early = compactMembers && options.compactAtLoad === true ? new EarlyCompaction(scanOnly) : undefined;
  // A scan's inventory is read, never written, until the report is made: equal parts of its objects are held once.
  const sharing = scanOnly && options.shareValues !== false ? valueSharing() : undefined;
  let seen = 0;
  const candidates: KObject[] = [];
  const accept = (r: RawObject): void => {
    if (seen++ >= max) return;
    const obj = normalizeObject(r, objectCoverage);
    if (!obj) return;
    // Members are compacted to less than this (compactMember), and most of a snapshot: no copy for them.
    if (scanOnly && !(COMPACT_AT_LOAD.has(obj.ref.kind) && obj.ownerReferences.length > 0))
      obj.raw = withoutBookkeeping(obj.raw);
    inv.objects.push(obj);
    const kind = obj.ref.kind;
    if (workloadKindOf(obj.ref.apiVersion, kind) !== undefined) {
      candidates.push(obj);
      early?.add(obj);
      if (sharing) shareParts(obj, sharing);
      return;
    }
    // Only workload kinds own in the owner graph (their uid is read there, until it is resolved): a scan reads no
    // other object's uid. Not `delete`: V8 would keep the object as a hash table.
    if (scanOnly) obj.uid = undefined;
    if (kind === "Namespace") {
      const info: NamespaceInfo = {
        name: obj.ref.name,
        labels: obj.labels,
        annotations: obj.annotations,
        object: obj,
      };
      inv.namespaces.set(obj.ref.name, info);
    } else if (kind in MODELLED) {
      (inv[MODELLED[kind as keyof typeof MODELLED]] as KObject[]).push(obj);
      options.onObject?.(obj);
      if (sharing) shareParts(obj, sharing);
    } else {
      const k = `${obj.ref.apiVersion}/${kind}`;
      inv.unknownKinds.set(k, (inv.unknownKinds.get(k) ?? 0) + 1);
    }
  };
  let finished = false;
  return {
    add(raw) {
      if (finished) throw new Error("inventoryBuilder: add after finish");
      for (const r of expandLists([raw], listCoverage)) accept(r);
    },
    finish(ownership = options.ownership ?? DEFAULT_OWNERSHIP) {
      if (finished) throw new Error("inventoryBuilder: finish called twice");
      finished = true;
      const coverage = inv.coverage;
      appendAll(coverage, listCoverage);
      if (seen > max)
        coverage.push({
          reason: "limit",
          message: `${seen - max} objects beyond the limit of ${max} were not evaluated`,
        });
      appendAll(coverage, objectCoverage);
      // Namespaces referenced but not declared still exist for analysis (with no labels).
      for (const o of inv.objects) {
        const ns = o.ref.namespace;
        if (ns !== undefined && !inv.namespaces.has(ns))
          inv.namespaces.set(ns, { name: ns, labels: {}, annotations: {} });
      }
      if (!resolveWorkloads(inv, candidates, coverage, compactMembers, early, scanOnly))
        return { reload: true };
      assignTeams(inv, ownership);
      return { inventory: inv };
    },
    templatesHeld: () => early?.best.size ?? 0,
  };
}

/**
 * `obj.raw` with its parts equal to parts of objects added before held once ({@link valueSharing}): every field,
 * and every field of its metadata (not the metadata itself, which names the object: no other is equal to it). The
 * object's labels and annotations stay the maps its metadata holds.
 */
function shareParts(obj: KObject, sharing: ValueSharing): void {
  const raw = obj.raw;
  if (Object.isFrozen(raw)) return;
  const keys = Object.keys(raw);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i] as string;
    const v = raw[k];
    if (k !== "metadata" || !isRecord(v) || Object.isFrozen(v)) {
      const c = sharing.share(v);
      // Equal strings compare equal: a string is written back whatever it is (the canonical copy).
      if (c !== v || typeof c === "string") raw[k] = c;
      continue;
    }
    const fields = Object.keys(v);
    for (let j = 0; j < fields.length; j++) {
      const f = fields[j] as string;
      const before = v[f];
      const after = sharing.share(before);
      if (after === before && typeof after !== "string") continue;
      v[f] = after;
      if (obj.labels === before) obj.labels = after as Labels;
      if (obj.annotations === before) obj.annotations = after as Labels;
    }
  }
}

/** The owner reference a member is grouped under (in the member's cluster and namespace), if any. */
function memberOwnerRef(o: KObject): { kind: string; name: string; uid?: string } | undefined {
  if (!COMPACT_AT_LOAD.has(o.ref.kind)) return undefined;
  const ref = primaryOwnerRef(o.ownerReferences);
  if (!ref || !isGroupingOwner(ref)) return undefined;
  return ref;
}

/**
 * The key of the owner member `o`'s reference `ref` names (in the member's cluster and namespace), and of the member
 * group of that reference (the key and its uid).
 */
function ownerKeys(
  o: KObject,
  ref: { kind: string; name: string; uid?: string },
): { key: string; group: string } {
  const key = keyOf(o.cluster, o.ref.namespace, ref.kind, ref.name);
  return { key, group: `${key}\u0000${ref.uid ?? ""}` };
}

/**
 * Members compacted while loading ({@link InventoryBuildOptions.compactAtLoad}), with the one member per owner
 * reference that keeps its template, and the checks that make the result the same as compacting at the end.
 *
 * A member's template stands for its owner only when that owner is absent, so once an object of the owner's key
 * (cluster, namespace, kind, name) has been read, the best member of every group naming that key is compacted too,
 * and so is every later member naming it. That is a guess: the member still needs its template where the owner
 * graph turns out otherwise (its reference's uid names an object on an ownerReferences cycle, a Rollout whose
 * `workloadRef` names nothing takes the template of its members). `finish` checks each such case and asks for a
 * second read ({@link sameChoice}, and a compacted object that became a workload of its own).
 */
class EarlyCompaction {
  /** Per member group: the member that would stand for the owner's template among those added so far. */
  readonly best = new Map<string, KObject>();
  /** Per owner key not read yet: its member groups in {@link best}. */
  private readonly groupsOf = new Map<string, string[]>();
  /**
   * Owners read (of the kinds that group members: not Pods, so a few per workload). Every group naming one of
   * them has lost its template: its best member was compacted when the owner was read, or on arrival. Held for
   * the whole load: no key string per owner ({@link RefMap}).
   */
  private readonly owners = new RefMap<true>();
  readonly compacted = new Set<KObject>();

  constructor(private readonly scanOnly: boolean) {}

  add(o: KObject): void {
    this.ownerRead(o);
    const ref = memberOwnerRef(o);
    if (ref === undefined) return;
    if (this.owners.has(o.cluster, o.ref.namespace, ref.kind, ref.name)) {
      this.compact(o);
      return;
    }
    const { key, group } = ownerKeys(o, ref);
    const best = this.best.get(group);
    if (hasPodSpec(o) && (best === undefined || representativeOrder(o, best) < 0)) {
      this.best.set(group, o);
      if (best !== undefined) this.compact(best);
      else {
        const groups = this.groupsOf.get(key);
        if (groups === undefined) this.groupsOf.set(key, [group]);
        else groups.push(group);
      }
    } else this.compact(o);
  }

  /** `o` may own members: those read before it no longer keep a template for it (see the class comment). */
  private ownerRead(o: KObject): void {
    if (!isGroupingOwner(o.ref)) return;
    this.owners.set(o.cluster, o.ref.namespace, o.ref.kind, o.ref.name, true);
    if (this.groupsOf.size === 0) return;
    const key = keyOf(o.cluster, o.ref.namespace, o.ref.kind, o.ref.name);
    const groups = this.groupsOf.get(key);
    if (groups === undefined) return;
    this.groupsOf.delete(key);
    for (const g of groups) {
      const best = this.best.get(g);
      this.best.delete(g);
      if (best !== undefined) this.compact(best);
    }
  }

  private compact(o: KObject): void {
    compactMemberObject(o, this.scanOnly);
    this.compacted.add(o);
  }

  /**
   * Whether `members` (with `rep`, the member chosen for their template) are chosen from as they would be with
   * every template kept: no member's group lost its template because its owner was read, the best member of each
   * group any of them belongs to is among them, and `rep` was not compacted.
   */
  sameChoice(members: readonly KObject[], rep: KObject | undefined): boolean {
    if (rep !== undefined && this.compacted.has(rep)) return false;
    let set: Set<KObject> | undefined;
    for (const m of members) {
      if (!this.compacted.has(m)) continue;
      const ref = memberOwnerRef(m) as { kind: string; name: string; uid?: string };
      if (this.owners.has(m.cluster, m.ref.namespace, ref.kind, ref.name)) return false;
      set ??= new Set(members);
      const best = this.best.get(ownerKeys(m, ref).group);
      if (best !== undefined && !set.has(best)) return false;
    }
    return true;
  }
}

/**
 * Owner kinds a Pod (or a ReplicaSet, a Job) is grouped under when the owner object is not in the input: the
 * built-in controllers. Not `Node`: the kubelet gives each mirror pod of a static pod (kube-apiserver, etcd, ...)
 * an ownerReference to its Node with `controller: true`, yet every static pod is its own workload.
 */
const isGroupingOwner = (ref: { kind: string; apiVersion?: string }): boolean => {
  const k = workloadKindOf(ref.apiVersion, ref.kind);
  return k !== undefined && k !== "Pod";
};

/** An owner named by ownerReferences but absent from the input: its members are the topmost present objects. */
interface AbsentOwner {
  ref: KObject["ownerReferences"][number];
  kind: WorkloadKind;
  cluster: string | undefined;
  namespace: string | undefined;
  members: KObject[];
}

function resolveWorkloads(
  inv: Inventory,
  candidates: KObject[],
  coverage: CoverageEntry[],
  compactMembers: boolean,
  early: EarlyCompaction | undefined,
  scanOnly = false,
): boolean {
  const byKey = new RefMap<KObject>();
  const byUid = new UidMap<KObject>();
  for (const c of candidates) {
    byKey.set(c.cluster, c.ref.namespace, c.ref.kind, c.ref.name, c);
    if (c.uid) byUid.set(c.cluster, c.uid, c);
  }
  const { adoptedBy, templateOf, unresolved } = resolveWorkloadRefs(candidates, byKey);
  // The controller reference wins; without one, the first reference (as the garbage collector's owner walk does).
  const ownerRefOf = (o: KObject) => primaryOwnerRef(o.ownerReferences);
  const parentOf = (o: KObject): KObject | undefined => {
    // A Deployment named by a Rollout's workloadRef is the Rollout's template, not a workload of its own.
    const adopted = adoptedBy.get(o);
    if (adopted) return adopted;
    const ref = ownerRefOf(o);
    if (!ref) return undefined;
    if (ref.uid) {
      const u = byUid.get(o.cluster, ref.uid);
      if (u) return u;
    }
    return byKey.get(o.cluster, o.ref.namespace, ref.kind, ref.name);
  };
  // Owner chains are short in practice (Pod -> ReplicaSet -> Deployment, Pod -> Job -> CronJob). A cycle in
  // ownerReferences (hand-written or hostile manifests) must not make every member someone else's child, or
  // all of them would silently vanish: an object on a cycle is its own root.
  const rootOf = (o: KObject): KObject => {
    const seen = new Set<KObject>([o]);
    let cur = o;
    for (let depth = 0; depth < 8; depth++) {
      const p = parentOf(cur);
      if (!p) break;
      if (seen.has(p)) return o;
      seen.add(p);
      cur = p;
    }
    return cur;
  };
  // The topmost present object may itself name an owner that is not in the input (a `kubectl get pods` dump
  // holds Pods, not their ReplicaSets and DaemonSets). Its members are then grouped under that owner, by the
  // name and kind of the reference, exactly as they would be under the owner object: one workload, not one per
  // pod. The chain stops at the first absent owner: a Pod of an absent ReplicaSet `web-7d9f` belongs to that
  // ReplicaSet, because only the ReplicaSet's own ownerReferences could name its Deployment; the Deployment is
  // never guessed from the pod-template-hash suffix of the name. A present ReplicaSet whose Deployment is absent
  // does name it, so its pods belong to the Deployment.
  const absentOwnerOf = (top: KObject): { key: string; ref: AbsentOwner["ref"] } | undefined => {
    const ref = ownerRefOf(top);
    if (!ref || !isGroupingOwner(ref) || parentOf(top)) return undefined;
    return { key: keyOf(top.cluster, top.ref.namespace, ref.kind, ref.name), ref };
  };
  const absent = new Map<string, AbsentOwner>();
  const order: (KObject | AbsentOwner)[] = [];
  // Each member and the top of its owner chain, as two lists (a pair per member was an array each: 600k at 1M).
  const childObjs: KObject[] = [];
  const childTops: KObject[] = [];
  for (const c of candidates) {
    const top = rootOf(c);
    if (top !== c) {
      childObjs.push(c);
      childTops.push(top);
      continue;
    }
    const owner = absentOwnerOf(c);
    if (!owner) {
      order.push(c);
      continue;
    }
    let a = absent.get(owner.key);
    if (!a) {
      a = {
        ref: owner.ref,
        kind: owner.ref.kind as WorkloadKind,
        cluster: c.cluster,
        namespace: c.ref.namespace,
        members: [],
      };
      absent.set(owner.key, a);
      order.push(a);
    }
    a.members.push(c);
  }
  // A Rollout whose workloadRef names a Deployment absent from the input: its own ReplicaSets or pods, when
  // present, carry the template the Rollout runs.
  let same = true;
  const memberTemplate = (top: KObject): KObject | undefined => {
    const members: KObject[] = [];
    for (let i = 0; i < childTops.length; i++)
      if (childTops[i] === top) members.push(childObjs[i] as KObject);
    const rep = representativeOf(members);
    if (early && !early.sameChoice(members, rep)) same = false;
    return rep;
  };
  const workloads = new Map<KObject, Workload>();
  const parts = workloadParts();
  // What an absent owner asks for, when none of its pods are in the input (its spec is unknown).
  const wanted = new Map<Workload, number>();
  for (const entry of order) {
    if ("members" in entry) {
      if (early && !early.sameChoice(entry.members, representativeOf(entry.members) ?? entry.members[0]))
        same = false;
      const w = absentOwnerWorkload(entry, coverage, parts);
      if (!w) continue;
      for (const m of entry.members) workloads.set(m, w);
      wanted.set(
        w,
        entry.members.reduce((n, m) => n + memberReplicas(m), 0),
      );
    } else {
      const from = templateOf.get(entry) ?? (unresolved.has(entry) ? memberTemplate(entry) : undefined);
      if (!from && unresolved.has(entry)) {
        workloadRefCoverage(entry, unresolved.get(entry) as string, coverage);
        continue;
      }
      // A workload's own template (or the one it borrows) must not have been compacted while loading.
      if (early && (early.compacted.has(entry) || (from && early.compacted.has(from)))) same = false;
      const w = makeWorkload(from ? borrowTemplate(entry, from) : entry, coverage, parts);
      if (w) workloads.set(entry, w);
    }
  }
  for (let i = 0; i < childObjs.length; i++) {
    const c = childObjs[i] as KObject;
    const w = workloads.get(childTops[i] as KObject);
    if (!w) continue;
    w.owned.push(c.ref);
    if (c.ref.kind === "Pod") w.pods.push(c);
  }
  // After every workload took its template (a borrowed or representative template is referenced, not copied, so
  // it stays with the workload): members of a workload are then read for their metadata and status only.
  if (compactMembers) {
    // Every member compacted while loading must be one compacted here, or the inventory would differ.
    let again = 0;
    const compact = (o: KObject): void => {
      if (early?.compacted.has(o)) again++;
      else compactMemberObject(o, scanOnly);
    };
    const members: KObject[] = [];
    for (let i = 0; i < childObjs.length; i++)
      if (workloads.has(childTops[i] as KObject)) members.push(childObjs[i] as KObject);
    // Members of an absent owner (the keys that are not the workload's own object).
    for (const [m, w] of workloads) if (m.ref !== w.ref) members.push(m);
    for (const m of members) compact(m);
    if (early && again !== early.compacted.size) same = false;
    // The owner graph is resolved: a scan reads nothing more of a member's owner references and uid (about 0.25 KB
    // per Pod and 0.3 KB per ReplicaSet of a large snapshot: the array, the entry, the owner's name and uid).
    if (same && scanOnly) {
      for (const m of members) {
        m.ownerReferences = NO_OWNERS;
        // Not `delete`: V8 would keep the object as a hash table.
        m.uid = undefined;
      }
      // Nor the uid of a workload.
      for (const c of candidates) c.uid = undefined;
    }
  }
  if (!same) return false;
  const done = new Set<Workload>();
  for (const entry of order) {
    const w = "members" in entry ? workloads.get(entry.members[0] as KObject) : workloads.get(entry);
    if (!w || done.has(w)) continue;
    done.add(w);
    const asked = wanted.get(w);
    if (w.kind === "DaemonSet") {
      const desired = getPath(w.object.raw, "status.desiredNumberScheduled");
      w.replicas = typeof desired === "number" ? desired : Math.max(1, w.pods.length);
    } else if (asked !== undefined) w.replicas = w.pods.length > 0 ? w.pods.length : asked;
    // Arrays grown by push keep room for more (136 bytes past 1 element): copies of exactly their length.
    if (w.owned.length > 0) w.owned = w.owned.slice();
    if (w.pods.length > 0) w.pods = w.pods.slice();
    inv.workloads.push(w);
  }
  return true;
}

/**
 * A workload member (a ReplicaSet of a Deployment, a Pod of a ReplicaSet, a Job of a CronJob) as a scan reads it:
 * `apiVersion`, `kind`, `metadata`, `status`, and the scalar fields of `spec` (`replicas`, `nodeName`,
 * `serviceAccountName`...). The pod template and the pod spec's lists and objects are dropped: the workload
 * evaluates its own template, and what is read of members is where their pods run (status, node).
 *
 * `scanOnly`: only what the scan's own analyzers read of a member (issue: scale; a 1M-object snapshot is mostly
 * Pods and ReplicaSets): of `metadata`, the name, namespace and creation time (which member stands for an absent
 * owner's template: {@link representativeOrder}; labels, annotations and owner references are read from the
 * {@link KObject}, which keeps them); of `spec`, the replicas it asks for; of a Pod's `status`, the phase and its
 * addresses (NetworkPolicy reads which addresses the pods of a workload hold). Callers that keep the objects (ingest stores them, lineage reads a pod's
 * container statuses) use the plain form.
 */
export function compactMember(raw: Record<string, unknown>, scanOnly = false): Record<string, unknown> {
  const metadata = scanOnly ? pick(raw.metadata, SCAN_MEMBER_METADATA) : raw.metadata;
  const status = scanOnly && raw.kind === "Pod" ? scanPodStatus(raw.status) : raw.status;
  const spec = raw.spec;
  let compacted: Record<string, unknown> | undefined;
  if (isRecord(spec)) {
    const s: Record<string, unknown> = {};
    for (const k of scanOnly ? SCAN_MEMBER_SPEC : Object.keys(spec)) {
      const v = spec[k];
      if (v === null || (v !== undefined && typeof v !== "object")) s[k] = v;
    }
    // An empty object literal still takes 56 bytes: a Pod member keeps none of its spec's fields in a scan.
    compacted = scanOnly && Object.keys(s).length === 0 ? NO_FIELDS : s;
  }
  // The usual member has all five: one literal keeps them inside the object (see withMetadata).
  if ("apiVersion" in raw && "kind" in raw && "metadata" in raw && "status" in raw && compacted !== undefined)
    return { apiVersion: raw.apiVersion, kind: raw.kind, metadata, status, spec: compacted };
  const out: Record<string, unknown> = {};
  if ("apiVersion" in raw) out.apiVersion = raw.apiVersion;
  if ("kind" in raw) out.kind = raw.kind;
  if ("metadata" in raw) out.metadata = metadata;
  if ("status" in raw) out.status = status;
  if (compacted !== undefined) out.spec = compacted;
  return out;
}

/**
 * {@link compactMember} of a member's object, and with `scanOnly` its labels and annotations too: the scan's
 * analyzers read a workload's own labels and its pod template's, never a member's (Services, NetworkPolicies and
 * exceptions select by the template's labels). Only a compacted Pod's revision annotations are kept: it still has a
 * pod spec, so it is still compared when a member is chosen to stand for an absent owner's template
 * ({@link representativeOrder}; choosing a compacted one makes the builder read the inputs again). Labels and
 * annotations were about 0.17 KB per Pod and 0.14 KB per ReplicaSet of a large snapshot.
 */
function compactMemberObject(o: KObject, scanOnly: boolean): void {
  o.raw = compactMember(o.raw, scanOnly);
  if (!scanOnly) return;
  o.labels = NO_LABELS;
  let kept: Record<string, string> | undefined;
  // A compacted ReplicaSet or Job has no template left, so it is never compared; a compacted Pod keeps its spec.
  if (hasPodSpec(o))
    for (const a of REVISION_ANNOTATIONS) {
      const v = o.annotations[a];
      if (v === undefined) continue;
      kept ??= asStringMap(undefined);
      kept[a] = v;
    }
  o.annotations = kept ?? NO_LABELS;
}

/** A compacted member's spec with no field kept: shared, so frozen. */
const NO_FIELDS: Record<string, unknown> = Object.freeze({});
/** The labels (and annotations) of a compacted member: shared, so frozen. */
const NO_LABELS: Labels = sharedStringMap(undefined);
/** No owner references (an object naming none, a compacted member once the owner graph is resolved): shared, so frozen. */
const NO_OWNERS: KObject["ownerReferences"] = Object.freeze([]) as unknown as KObject["ownerReferences"];

/**
 * Metadata the API server keeps for its own bookkeeping, which no analysis of a scan reads: the uid (kept on the
 * {@link KObject}, where the owner graph reads it), the resourceVersion, the generation and the selfLink. About
 * 0.1 KB per object of a large snapshot, for the objects that are not compacted members.
 */
const BOOKKEEPING_METADATA: ReadonlySet<string> = new Set([
  "uid",
  "resourceVersion",
  "generation",
  "selfLink",
]);

/** `raw` without {@link BOOKKEEPING_METADATA} (a copy when there is any, the other fields in their order). */
function withoutBookkeeping(raw: Record<string, unknown>): Record<string, unknown> {
  const meta = raw.metadata;
  if (!isRecord(meta)) return raw;
  const keys = Object.keys(meta);
  if (!keys.some((k) => BOOKKEEPING_METADATA.has(k))) return raw;
  const m: Record<string, unknown> = {};
  for (const k of keys) if (!BOOKKEEPING_METADATA.has(k)) m[k] = meta[k];
  return withMetadata(raw, m);
}

/**
 * `raw` with `metadata` in place of its own, its fields in the same order. An object made field by field (or by
 * JSON.parse, or a spread of one) keeps its fields past the fourth in a separate backing store, 40 bytes more; the
 * usual top level of an object (`apiVersion`, `kind`, `metadata`, `spec`, `status`) is made by one literal instead,
 * which keeps all five inside the object (issue: scale, about 30 bytes per object of a large snapshot).
 */
function withMetadata(
  raw: Record<string, unknown>,
  metadata: Record<string, unknown>,
): Record<string, unknown> {
  const keys = Object.keys(raw);
  if (
    keys.length === 5 &&
    keys[0] === "apiVersion" &&
    keys[1] === "kind" &&
    keys[2] === "metadata" &&
    keys[3] === "spec" &&
    keys[4] === "status"
  )
    return { apiVersion: raw.apiVersion, kind: raw.kind, metadata, spec: raw.spec, status: raw.status };
  const out: Record<string, unknown> = {};
  for (const k of keys) out[k] = k === "metadata" ? metadata : raw[k];
  return out;
}

/** What a scan reads of a member's metadata beyond its {@link KObject} (see {@link compactMember}). */
const SCAN_MEMBER_METADATA = ["name", "generateName", "namespace", "creationTimestamp"] as const;
/**
 * What a scan reads of a member's spec: how many replicas it asks for (the `replicas` paths of core/k8s workload
 * kinds: a ReplicaSet's `spec.replicas`, a Job's `spec.parallelism`). The workload's own pod spec is what the
 * analyzers evaluate.
 */
const SCAN_MEMBER_SPEC = ["replicas", "parallelism"] as const;
/** What a scan reads of a Pod member's status: its phase (finished pods) and addresses (core/netpol). */
const SCAN_POD_STATUS = ["phase", "podIP", "podIPs"] as const;

/**
 * {@link SCAN_POD_STATUS} of a Pod's status, without `podIPs` when it only repeats `podIP` (`[{ip: podIP}]`, a
 * single-stack pod: podIP is podIPs' first entry), so NetworkPolicy reads the same addresses from it; about 0.1 KB
 * per Pod of a large snapshot.
 */
function scanPodStatus(status: unknown): unknown {
  const out = pick(status, SCAN_POD_STATUS);
  if (!isRecord(out) || !Array.isArray(out.podIPs) || out.podIPs.length !== 1) return out;
  const only: unknown = out.podIPs[0];
  if (
    typeof out.podIP !== "string" ||
    !isRecord(only) ||
    only.ip !== out.podIP ||
    Object.keys(only).length !== 1
  )
    return out;
  return out.phase === undefined ? { podIP: out.podIP } : { phase: out.phase, podIP: out.podIP };
}

/** The fields `keys` of a record, in that order; anything else as it is. */
function pick(v: unknown, keys: readonly string[]): unknown {
  if (!isRecord(v)) return v;
  const out: Record<string, unknown> = {};
  for (const k of keys) if (Object.hasOwn(v, k)) out[k] = v[k];
  return out;
}

/**
 * Argo Rollouts `spec.workloadRef` (argoproj.io/v1alpha1): instead of its own `spec.template`, a Rollout may
 * name a Deployment in its namespace whose template it runs (the Deployment is usually scaled to zero, and the
 * Rollout's ReplicaSets are built from its template). The Rollout is then the workload, with that template, and
 * the Deployment is one of the objects it owns, so the template is evaluated once, as what runs. Returns the
 * Deployment adopted by each Rollout, the template source per Rollout, and the Rollouts whose reference names
 * nothing in the input (with the reference as text).
 */
function resolveWorkloadRefs(
  candidates: readonly KObject[],
  byKey: RefMap<KObject>,
): { adoptedBy: Map<KObject, KObject>; templateOf: Map<KObject, KObject>; unresolved: Map<KObject, string> } {
  const adoptedBy = new Map<KObject, KObject>();
  const templateOf = new Map<KObject, KObject>();
  const unresolved = new Map<KObject, string>();
  for (const c of candidates) {
    if (c.ref.kind !== "Rollout") continue;
    const spec = c.raw.spec;
    // A Rollout with its own template ignores nothing: Argo rejects template and workloadRef together.
    if (!isRecord(spec) || isRecord(spec.template) || !isRecord(spec.workloadRef)) continue;
    const kind = asString(spec.workloadRef.kind) ?? "";
    const name = asString(spec.workloadRef.name) ?? "";
    const target =
      kind === "Deployment" && name !== ""
        ? byKey.get(c.cluster, c.ref.namespace, "Deployment", name)
        : undefined;
    if (target && !adoptedBy.has(target)) {
      adoptedBy.set(target, c);
      templateOf.set(c, target);
    } else unresolved.set(c, `${kind || "(no kind)"} "${name}"`);
  }
  return { adoptedBy, templateOf, unresolved };
}

function workloadRefCoverage(o: KObject, target: string, coverage: CoverageEntry[]): void {
  const e: CoverageEntry = {
    reason: "missing",
    message: `${o.ref.kind} ${o.ref.namespace}/${o.ref.name} runs the pod template of ${target} (spec.workloadRef), which is not in the input: its pods were not evaluated`,
    kind: o.ref.kind,
  };
  if (o.ref.namespace) e.namespace = o.ref.namespace;
  if (o.source) e.location = { file: o.source.file, line: o.source.line, column: o.source.column };
  coverage.push(e);
}

/**
 * `owner` with the pod template of `from` in place of its own: the template's field paths stay the owner kind's
 * (`spec.template.spec...`), and their positions point into `from`'s file, where the template is written.
 */
function borrowTemplate(owner: KObject, from: KObject): KObject {
  const paths = POD_SPEC_PATH(owner.ref.kind as WorkloadKind);
  const fromPaths = POD_SPEC_PATH(from.ref.kind as WorkloadKind);
  const template = { metadata: getPath(from.raw, fromPaths.meta), spec: getPath(from.raw, fromPaths.spec) };
  const spec = isRecord(owner.raw.spec) ? owner.raw.spec : {};
  const copy: KObject = { ...owner, raw: { ...owner.raw, spec: { ...spec, template } } };
  if (owner.source) {
    const own = owner.source.locate;
    const theirs = from.source?.locate;
    copy.source = {
      ...owner.source,
      locate: (p) => {
        const mapped = rebase(p, paths.spec, fromPaths.spec) ?? rebase(p, paths.meta, fromPaths.meta);
        return mapped !== undefined && theirs ? theirs(mapped) : own?.(p);
      },
    };
  }
  return copy;
}

/** Pods the kubelet no longer runs (core/v1 PodPhase). */
function isFinishedPod(o: KObject): boolean {
  const phase = getPath(o.raw, "status.phase");
  return phase === "Succeeded" || phase === "Failed";
}

/**
 * Which member of an absent owner stands for its pod template. All pods of one ReplicaSet, DaemonSet or Job share
 * the template, but members of a Deployment (ReplicaSets) or a CronJob (Jobs) can be old revisions: the current
 * one is preferred (a running pod, a ReplicaSet that has replicas, the highest Deployment revision, the newest),
 * then the name, so the choice never depends on input order.
 */
function representativeOf(members: readonly KObject[]): KObject | undefined {
  return members.filter(hasPodSpec).sort(representativeOrder)[0];
}

/** Whether a member has a pod spec where its kind keeps one: only those can stand for an owner's template. */
function hasPodSpec(m: KObject): boolean {
  return isRecord(getPath(m.raw, POD_SPEC_PATH(m.ref.kind as WorkloadKind).spec));
}

/** {@link representativeOf}'s order: negative when `a` stands for the template before `b`. */
function representativeOrder(a: KObject, b: KObject): number {
  const active = (m: KObject): number => {
    if (m.ref.kind === "Pod") return isFinishedPod(m) ? 0 : 1;
    const r = getPath(m.raw, "spec.replicas");
    return typeof r === "number" && r === 0 ? 0 : 1;
  };
  const revision = (m: KObject): number => {
    for (const a of REVISION_ANNOTATIONS) {
      const v = m.annotations[a];
      const n = v === undefined ? Number.NaN : Number(v);
      if (Number.isSafeInteger(n)) return n;
    }
    return -1;
  };
  const created = (m: KObject): string => asString(getPath(m.raw, "metadata.creationTimestamp")) ?? "";
  return (
    active(b) - active(a) ||
    revision(b) - revision(a) ||
    cmp(created(b), created(a)) ||
    cmp(a.ref.name, b.ref.name)
  );
}

/**
 * The revision a controller writes on the ReplicaSets or ReplicationControllers it creates: Deployment, Argo
 * Rollout, OpenShift DeploymentConfig.
 */
const REVISION_ANNOTATIONS = [
  "deployment.kubernetes.io/revision",
  "rollout.argoproj.io/revision",
  "openshift.io/deployment-config.latest-version",
] as const;

/** A field path under `from` rewritten under `to` (`spec.template.spec.x` -> `spec.x`), or undefined. */
function rebase(path: string, from: string, to: string): string | undefined {
  if (path === from) return to;
  if (path.startsWith(`${from}.`) || path.startsWith(`${from}[`)) return `${to}${path.slice(from.length)}`;
  return undefined;
}

/**
 * The workload of an owner that is not in the input, built from one member's pod template as if the owner were
 * present: its ref is the ownerReference's (kind, name, apiVersion), field paths are the owner kind's
 * (`spec.template.spec...`), and positions point into the member's file, where that template is written.
 */
function absentOwnerWorkload(
  a: AbsentOwner,
  coverage: CoverageEntry[],
  parts: WorkloadParts,
): Workload | undefined {
  const rep = representativeOf(a.members) ?? a.members[0];
  if (!rep) return undefined;
  const repPaths = POD_SPEC_PATH(rep.ref.kind as WorkloadKind);
  const paths = POD_SPEC_PATH(a.kind);
  const template = { metadata: getPath(rep.raw, repPaths.meta), spec: getPath(rep.raw, repPaths.spec) };
  const apiVersion = a.ref.apiVersion ?? workloadKindSpec(a.kind).apiVersion;
  const metadata: Record<string, unknown> = { name: a.ref.name };
  if (a.namespace !== undefined) metadata.namespace = a.namespace;
  if (a.ref.uid !== undefined) metadata.uid = a.ref.uid;
  const raw: Record<string, unknown> = {
    apiVersion,
    kind: a.kind,
    metadata,
    spec: a.kind === "CronJob" ? { jobTemplate: { spec: { template } } } : { template },
  };
  const ref: ResourceRef = { apiVersion, kind: a.kind, name: a.ref.name };
  if (a.namespace !== undefined) ref.namespace = a.namespace;
  const owner: KObject = { ref, labels: {}, annotations: {}, raw, ownerReferences: [] };
  if (a.ref.uid !== undefined) owner.uid = a.ref.uid;
  if (a.cluster !== undefined) owner.cluster = a.cluster;
  if (rep.source) {
    const src = rep.source;
    owner.source = { file: src.file, line: src.line, column: src.column };
    if (src.index !== undefined) owner.source.index = src.index;
    if (src.locate) {
      const locate = src.locate;
      owner.source.locate = (p) => {
        const mapped = rebase(p, paths.spec, repPaths.spec) ?? rebase(p, paths.meta, repPaths.meta);
        return mapped !== undefined ? locate(mapped) : undefined;
      };
    }
  }
  const w = makeWorkload(owner, coverage, parts);
  if (!w) return undefined;
  for (const m of a.members) {
    w.owned.push(m.ref);
    if (m.ref.kind === "Pod") w.pods.push(m);
  }
  return w;
}

/** Replicas a member of an absent owner asks for: a Pod is one, a ReplicaSet its replicas, a Job its parallelism. */
function memberReplicas(m: KObject): number {
  if (m.ref.kind === "Pod") return 1;
  const path = workloadKindSpec(m.ref.kind as WorkloadKind).replicas;
  const r = path !== undefined ? getPath(m.raw, path) : undefined;
  return typeof r === "number" && Number.isFinite(r) && r >= 0 ? r : 1;
}

/**
 * What the workloads of one inventory share instead of each making its own: the parse of each image string (a
 * large snapshot runs a few thousand images in hundreds of thousands of containers; an {@link ImageRef} is about
 * 0.2 KB) and each container's field path. Read-only once made.
 */
interface WorkloadParts {
  images: Map<string, ReturnType<typeof parseImageRef>>;
  paths: Map<string, string>;
}

const workloadParts = (): WorkloadParts => ({ images: new Map(), paths: new Map() });

/** `joinPath(spec, field, index)`, one string per distinct path. */
function sharedPath(parts: WorkloadParts, spec: string, field: string, index: number): string {
  const key = `${spec}\u0000${field}\u0000${index}`;
  let path = parts.paths.get(key);
  if (path === undefined) {
    path = joinPath(spec, field, index);
    parts.paths.set(key, path);
  }
  return path;
}

function makeWorkload(
  o: KObject,
  coverage: CoverageEntry[],
  parts: WorkloadParts = workloadParts(),
): Workload | undefined {
  const kind = o.ref.kind as WorkloadKind;
  const paths = POD_SPEC_PATH(kind);
  const spec = getPath(o.raw, paths.spec);
  if (!isRecord(spec)) {
    const e: CoverageEntry = {
      reason: "invalid",
      message: `${kind} ${o.ref.namespace}/${o.ref.name} has no pod spec at ${paths.spec}`,
      kind,
    };
    if (o.ref.namespace) e.namespace = o.ref.namespace;
    if (o.source) e.location = { file: o.source.file, line: o.source.line, column: o.source.column };
    coverage.push(e);
    return undefined;
  }
  const meta = getPath(o.raw, paths.meta);
  // Typed view for convenience only: the data is unvalidated, so analyzers compare with === and guard types.
  const podSpec = spec as unknown as PodSpec;
  const containers: ContainerInfo[] = [];
  const lists: [ContainerType, string][] = [
    ["initContainer", "initContainers"],
    ["container", "containers"],
    ["ephemeralContainer", "ephemeralContainers"],
  ];
  for (const [type, field] of lists) {
    asArray(spec[field]).forEach((c, index) => {
      if (!isRecord(c)) return;
      const imageString = asString(c.image) ?? "";
      const info: ContainerInfo = {
        name: asString(c.name) ?? `${field}[${index}]`,
        type,
        index,
        path: sharedPath(parts, paths.spec, field, index),
        imageString,
        spec: c as unknown as ContainerInfo["spec"],
      };
      let parsed = parts.images.get(imageString);
      if (parsed === undefined) {
        parsed = parseImageRef(imageString);
        parts.images.set(imageString, parsed);
      }
      if (parsed.ok) info.image = parsed.ref;
      else {
        const e: CoverageEntry = {
          reason: "invalid",
          message: `${o.ref.kind} ${o.ref.namespace}/${o.ref.name} container "${info.name}": ${parsed.error}`,
          kind: o.ref.kind,
        };
        if (o.ref.namespace) e.namespace = o.ref.namespace;
        coverage.push(e);
      }
      containers.push(info);
    });
  }
  let replicas = 1;
  const replicasPath = workloadKindSpec(kind).replicas;
  const r = replicasPath !== undefined ? getPath(o.raw, replicasPath) : undefined;
  if (typeof r === "number" && Number.isFinite(r) && r >= 0) replicas = r;
  return {
    object: o,
    ref: o.ref,
    kind,
    podLabels: sharedStringMap(isRecord(meta) ? meta.labels : undefined),
    podAnnotations: sharedStringMap(isRecord(meta) ? meta.annotations : undefined),
    podSpec,
    podSpecPath: paths.spec,
    podMetaPath: paths.meta,
    // Of exactly its length: an array grown by push keeps room for 16 more elements (136 bytes).
    containers: containers.slice(),
    replicas,
    owned: [],
    pods: [],
    serviceAccountName: asString(spec.serviceAccountName) ?? asString(spec.serviceAccount) ?? "default",
  };
}

/** Resolve a team for a namespace/labels/images combination by the ownership rules. */
export function resolveTeam(
  ownership: OwnershipConfig,
  input: {
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    podLabels?: Record<string, string>;
    namespace?: NamespaceInfo;
    images?: string[];
  },
): { team: string; source: string } | undefined {
  for (const key of ownership.keys) {
    const v = input.labels?.[key] ?? input.annotations?.[key] ?? input.podLabels?.[key];
    if (v) return { team: v, source: `workload ${key}` };
  }
  if (input.namespace) {
    for (const key of ownership.keys) {
      const v = input.namespace.labels[key] ?? input.namespace.annotations[key];
      if (v) return { team: v, source: `namespace ${key}` };
    }
    for (const m of ownership.namespaces) {
      if (globMatch(m.pattern, input.namespace.name))
        return { team: m.team, source: `owners file namespace ${m.pattern}` };
    }
  }
  for (const m of ownership.images) {
    for (const img of input.images ?? []) {
      if (globMatch(m.pattern, img)) return { team: m.team, source: `owners file image ${m.pattern}` };
    }
  }
  return undefined;
}

function assignTeams(inv: Inventory, ownership: OwnershipConfig): void {
  for (const ns of inv.namespaces.values()) {
    const t = resolveTeam(ownership, { namespace: ns });
    if (t) ns.team = t.team;
  }
  for (const w of inv.workloads) {
    const ns = w.ref.namespace !== undefined ? inv.namespaces.get(w.ref.namespace) : undefined;
    const input: Parameters<typeof resolveTeam>[1] = {
      labels: w.object.labels,
      annotations: w.object.annotations,
      podLabels: w.podLabels,
      images: w.containers.flatMap((c) => (c.image ? [c.image.name] : [])),
    };
    if (ns) input.namespace = ns;
    const t = resolveTeam(ownership, input);
    if (t) {
      w.team = t.team;
      w.teamSource = t.source;
    }
  }
}
