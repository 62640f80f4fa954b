/**
 * The API server's bootstrap RBAC policy as defaults for inputs that lack it.
 *
 * Every kube-apiserver reconciles its bootstrap policy at start-up
 * (`plugin/pkg/auth/authorizer/rbac/bootstrappolicy`, the `rbac/bootstrap-roles` post-start hook): cluster-admin,
 * admin/edit/view and their aggregation, the system:* roles, the controller roles and their bindings. A manifest set
 * that binds a ServiceAccount to `cluster-admin` or `edit` refers to those objects, so analysing the manifests
 * without them answers as no real cluster would ("the role does not exist", can-i no). They are added here for
 * the Kubernetes version being analysed, unless the input already carries them:
 *
 * - objects read from a live API server (`KObject.cluster` is set only by the live adapter) include the cluster's
 *   own bootstrap policy, so nothing is assumed;
 * - a snapshot that lists a kind of RBAC object with the `kubernetes.io/bootstrapping: rbac-defaults` label (e.g.
 *   `kubectl get clusterroles -o json`) has that kind's bootstrap objects, so no defaults of that kind are added;
 * - otherwise each default is added unless an input object of the same kind, namespace and name exists: the
 *   input wins (a cluster's bootstrap role can be edited when its autoupdate annotation is false).
 */
import type { CoverageEntry } from "../findings/index.js";
import type { Inventory, KObject } from "../inventory/index.js";
import { BOOTSTRAP_SOURCES, bootstrapEntries, bootstrapRules } from "./bootstrap-data.js";
import type { BootstrapEntry } from "./bootstrap-types.js";
import type { RbacBinding, RbacRole } from "./model.js";

export const BOOTSTRAP_LABEL = "kubernetes.io/bootstrapping";
const RBAC_V1 = "rbac.authorization.k8s.io/v1";

/** Modelled Kubernetes minor versions (1.N), oldest first. */
export const BOOTSTRAP_MINORS: readonly number[] = BOOTSTRAP_SOURCES.map((s) => s[0]);
const FIRST = BOOTSTRAP_MINORS[0] ?? 0;
const LAST = BOOTSTRAP_MINORS[BOOTSTRAP_MINORS.length - 1] ?? 0;

/** How defaults are chosen. `false` (or absent) adds none. */
export interface DefaultRolesOptions {
  /**
   * `v1.N`, `1.N` or `v1.N.P` (a patch and a build suffix are ignored); absent = the newest kubelet among the
   * input's Nodes, else the newest modelled.
   */
  kubeVersion?: string | undefined;
}

/**
 * The minor version of a Kubernetes version string (`v1.30`, `1.30.2`, `v1.30.2-gke.1`), or undefined when it is
 * not a 1.N version.
 */
export function parseKubeVersion(s: string): number | undefined {
  const m = /^v?1\.(\d{1,3})(\.\d+)?([-+][0-9A-Za-z.+-]*)?$/.exec(s.trim());
  return m ? Number(m[1]) : undefined;
}

/** The modelled version used for a requested one, and how it was chosen (for the coverage note). */
export function resolveKubeVersion(requested: string | undefined): { minor: number; how: string } {
  if (requested === undefined)
    return { minor: LAST, how: "the newest modelled; --kube-version selects another" };
  const m = parseKubeVersion(requested);
  if (m === undefined)
    return {
      minor: LAST,
      how: `--kube-version ${JSON.stringify(requested)} is not a 1.N version; using the newest`,
    };
  if (m > LAST) return { minor: LAST, how: `--kube-version ${requested} is newer than the newest modelled` };
  if (m < FIRST)
    return { minor: FIRST, how: `--kube-version ${requested} is older than the oldest modelled` };
  return { minor: m, how: `--kube-version ${requested}` };
}

/**
 * The version suggested by the input's Nodes (a snapshot of `kubectl get nodes -o json`): the newest
 * `status.nodeInfo.kubeletVersion`. The API server is never older than its kubelets (version skew policy), so this
 * is the closest lower bound the input gives.
 */
export function versionFromNodes(inv: Inventory): { minor: number; how: string } | undefined {
  let best: { minor: number; text: string } | undefined;
  for (const n of inv.nodes) {
    const status = n.raw.status as { nodeInfo?: { kubeletVersion?: unknown } } | undefined;
    const v = status?.nodeInfo?.kubeletVersion;
    const m = typeof v === "string" ? parseKubeVersion(v) : undefined;
    if (m !== undefined && typeof v === "string" && (best === undefined || m > best.minor))
      best = { minor: m, text: v };
  }
  if (!best) return undefined;
  const r = resolveKubeVersion(best.text);
  return { minor: r.minor, how: r.how.replace("--kube-version", "the newest kubelet of the input's Nodes,") };
}

const inVersion = (e: BootstrapEntry, minor: number): boolean => {
  for (let i = 0; i + 1 < e.v.length; i += 2) if (minor >= e.v[i]! && minor <= e.v[i + 1]!) return true;
  return false;
};

/** The bootstrap objects of one modelled minor version, as the API server stores them (plain JSON). */
export function bootstrapObjects(minor: number): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  const rules = bootstrapRules();
  for (const e of bootstrapEntries()) {
    if (!inVersion(e, minor)) continue;
    const metadata: Record<string, unknown> = {
      name: e.name,
      labels: { [BOOTSTRAP_LABEL]: "rbac-defaults", ...(e.labels ?? {}) },
      annotations: { "rbac.authorization.kubernetes.io/autoupdate": "true" },
    };
    if (e.namespace !== undefined) metadata.namespace = e.namespace;
    const o: Record<string, unknown> = { apiVersion: RBAC_V1, kind: e.kind, metadata };
    if (e.kind === "ClusterRole" || e.kind === "Role") {
      o.rules = (e.rules ?? []).map((i) => {
        const [verbs, apiGroups, resources, resourceNames, nonResourceURLs] = rules[i]!;
        const r: Record<string, unknown> = { verbs: [...verbs] };
        if (apiGroups.length) r.apiGroups = [...apiGroups];
        if (resources.length) r.resources = [...resources];
        if (resourceNames.length) r.resourceNames = [...resourceNames];
        if (nonResourceURLs.length) r.nonResourceURLs = [...nonResourceURLs];
        return r;
      });
      if (e.aggregate)
        o.aggregationRule = { clusterRoleSelectors: e.aggregate.map((m) => ({ matchLabels: { ...m } })) };
    } else {
      const [kind, name] = e.roleRef ?? [];
      o.roleRef = { apiGroup: "rbac.authorization.k8s.io", kind, name };
      o.subjects = (e.subjects ?? []).map(([kind, name, namespace]) =>
        kind === "ServiceAccount"
          ? { kind, name, namespace }
          : { apiGroup: "rbac.authorization.k8s.io", kind, name },
      );
    }
    out.push(o);
  }
  return out;
}

function toKObject(raw: Record<string, unknown>): KObject {
  const md = raw.metadata as { name: string; namespace?: string; labels: Record<string, string> };
  const ref: KObject["ref"] = { apiVersion: RBAC_V1, kind: String(raw.kind), name: md.name };
  if (md.namespace !== undefined) ref.namespace = md.namespace;
  return {
    ref,
    labels: md.labels,
    annotations: { "rbac.authorization.kubernetes.io/autoupdate": "true" },
    raw,
    ownerReferences: [],
  };
}

type RbacKind = "ClusterRole" | "ClusterRoleBinding" | "Role" | "RoleBinding";

/** Default objects to add, by kind, and the coverage entry that says so. */
export interface DefaultPolicy {
  objects: Record<RbacKind, KObject[]>;
  coverage: CoverageEntry[];
  /** `v1.N` when defaults were assumed. */
  version?: string;
}

const objectKey = (kind: string, ns: string | undefined, name: string) =>
  `${kind}\u0000${ns ?? ""}\u0000${name}`;

/**
 * Which bootstrap objects to assume for this inventory. Returns no objects for a live cluster, per kind for
 * snapshots that already carry that kind's bootstrap objects, and never one that the input names itself.
 */
export function planDefaultPolicy(inv: Inventory, opts: DefaultRolesOptions): DefaultPolicy {
  const objects: Record<RbacKind, KObject[]> = {
    ClusterRole: [],
    ClusterRoleBinding: [],
    Role: [],
    RoleBinding: [],
  };
  const byKind: Record<RbacKind, readonly KObject[]> = {
    ClusterRole: inv.clusterRoles,
    ClusterRoleBinding: inv.clusterRoleBindings,
    Role: inv.roles,
    RoleBinding: inv.roleBindings,
  };
  // Objects read from a live API server add none: it has its own defaults. Without a recorded origin, the live
  // adapter is the only source that sets `cluster`; a stored snapshot is marked with its cluster but is a snapshot.
  if (inv.objects.some((o) => o.origin === "cluster" || (o.origin === undefined && o.cluster !== undefined)))
    return { objects, coverage: [] };
  const { minor, how } =
    opts.kubeVersion === undefined
      ? (versionFromNodes(inv) ?? resolveKubeVersion(undefined))
      : resolveKubeVersion(opts.kubeVersion);
  const version = `v1.${minor}`;
  const present = new Set<string>();
  const carried: RbacKind[] = [];
  for (const kind of Object.keys(byKind) as RbacKind[]) {
    const list = byKind[kind];
    if (list.some((o) => o.labels[BOOTSTRAP_LABEL] === "rbac-defaults")) carried.push(kind);
    for (const o of list) present.add(objectKey(kind, o.ref.namespace, o.ref.name));
  }
  let added = 0;
  let replaced = 0;
  for (const raw of bootstrapObjects(minor)) {
    const o = toKObject(raw);
    const kind = o.ref.kind as RbacKind;
    if (carried.includes(kind)) continue;
    if (present.has(objectKey(kind, o.ref.namespace, o.ref.name))) {
      replaced++;
      continue;
    }
    objects[kind].push(o);
    added++;
  }
  const coverage: CoverageEntry[] = [];
  if (added > 0) {
    const counts = (Object.keys(objects) as RbacKind[])
      .filter((k) => objects[k].length > 0)
      .map((k) => `${objects[k].length} ${k}${objects[k].length === 1 ? "" : "s"}`)
      .join(", ");
    coverage.push({
      reason: "assumed",
      message:
        `assumed the API server's bootstrap RBAC policy of Kubernetes ${version} (${how}): ${counts}` +
        (replaced > 0 ? `; ${replaced} replaced by input objects of the same name` : "") +
        (carried.length > 0 ? `; none of kind ${carried.join(", ")}, which the input carries` : "") +
        ". --no-default-roles analyses the input alone",
      subject: "bootstrap RBAC policy",
      kind: "ClusterRole",
    });
  }
  return { objects, coverage, version };
}

interface KnownDefault {
  rules: Set<string>;
  aggregate: Set<string>;
  roleRefs: Set<string>;
  subjects: Set<string>;
}
let known: Map<string, KnownDefault> | undefined;

/** Every modelled version's content per object, by `kind\0namespace\0name` (built once, on first use). */
function knownDefaults(): Map<string, KnownDefault> {
  if (known) return known;
  known = new Map();
  const rules = bootstrapRules();
  for (const e of bootstrapEntries()) {
    const k = objectKey(e.kind, e.namespace, e.name);
    const d = known.get(k) ?? {
      rules: new Set(),
      aggregate: new Set(),
      roleRefs: new Set(),
      subjects: new Set(),
    };
    known.set(k, d);
    for (const i of e.rules ?? []) d.rules.add(JSON.stringify(rules[i]));
    // Keyed like a parsed selector's matchLabels: [key, value] pairs sorted by key.
    if (e.aggregate)
      d.aggregate.add(
        JSON.stringify(
          e.aggregate.map((m) => Object.entries(m).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
        ),
      );
    if (e.roleRef) d.roleRefs.add(JSON.stringify(e.roleRef));
    for (const sub of e.subjects ?? []) d.subjects.add(JSON.stringify(sub));
  }
  return known;
}

const platformCache = new WeakMap<RbacRole | RbacBinding, boolean>();

/**
 * Is this role or binding the platform's own bootstrap object? Assumed defaults are (`builtin`). An input object
 * (a snapshot of a real cluster) is when it carries the `kubernetes.io/bootstrapping: rbac-defaults` label AND is
 * what some modelled Kubernetes version creates under that name: the same aggregation (aggregated roles), only
 * rules upstream gives that role, the same roleRef and only upstream's subjects. The label alone is not enough:
 * anyone can copy it onto a ClusterRoleBinding of their own to cluster-admin, and a subject or rule an
 * administrator added to a bootstrap object (reconciliation keeps them) is the administrator's.
 */
export function isPlatformObject(x: RbacRole | RbacBinding): boolean {
  if (x.builtin) return true;
  if (x.object.labels[BOOTSTRAP_LABEL] !== "rbac-defaults") return false;
  const cached = platformCache.get(x);
  if (cached !== undefined) return cached;
  const answer = matchesUpstream(x);
  platformCache.set(x, answer);
  return answer;
}

function matchesUpstream(x: RbacRole | RbacBinding): boolean {
  const d = knownDefaults().get(objectKey(x.kind, x.namespace, x.name));
  if (!d) return false;
  if ("roleRef" in x) {
    if (!d.roleRefs.has(JSON.stringify([x.roleRef.kind, x.roleRef.name]))) return false;
    return x.subjects.every((sub) =>
      d.subjects.has(
        JSON.stringify(
          sub.kind === "ServiceAccount" ? [sub.kind, sub.name, sub.namespace ?? ""] : [sub.kind, sub.name],
        ),
      ),
    );
  }
  if (x.aggregationRule && x.aggregationRule.length > 0) {
    if (x.aggregationRule.some((sel) => sel.matchExpressions.length > 0)) return false;
    return d.aggregate.has(JSON.stringify(x.aggregationRule.map((sel) => sel.matchLabels)));
  }
  return x.declaredRules.every((r) =>
    d.rules.has(JSON.stringify([r.verbs, r.apiGroups, r.resources, r.resourceNames, r.nonResourceURLs])),
  );
}
