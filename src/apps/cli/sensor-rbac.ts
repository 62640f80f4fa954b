/**
 * The sensor's ClusterRole: `list` and `watch` on exactly the kinds it reads (a reflector lists, then watches; it
 * never gets single objects), nothing else. Secrets are left out by default: any get/list/watch on secrets
 * cluster-wide reads every Secret's value over the wire (RBAC cannot grant "metadata only"), which Palisade's own
 * RBAC analysis rates high (PAL-RBAC-002). `--with-secrets` adds them for the analyses that need which Secrets
 * exist (legacy ServiceAccount token Secrets in escalation paths, Secret key names); the sensor still drops every
 * value before a delta leaves it.
 */
import type { KindDescriptor } from "../../adapters/kube/index.js";

/** The group of an apiVersion ("" for the core group). */
const groupOf = (apiVersion: string): string => (apiVersion.includes("/") ? apiVersion.split("/")[0]! : "");

/** ServiceAccount, ClusterRole and ClusterRoleBinding of a sensor reading `kinds`, as YAML. */
export function sensorRbacYaml(kinds: readonly KindDescriptor[], namespace = "palisade-system"): string {
  const groups = new Map<string, Set<string>>();
  for (const k of kinds) {
    const g = groupOf(k.apiVersion);
    const set = groups.get(g) ?? new Set<string>();
    set.add(k.resource);
    groups.set(g, set);
  }
  const rules = [...groups.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(
      ([g, rs]) =>
        `  - apiGroups: [${JSON.stringify(g)}]\n    resources: [${[...rs]
          .sort()
          .map((r) => JSON.stringify(r))
          .join(", ")}]\n    verbs: ["list", "watch"]`,
    )
    .join("\n");
  const secrets = kinds.some((k) => k.kind === "Secret");
  return `# Palisade sensor: read-only access to exactly the kinds it lists and watches (palisade sensor --print-rbac${secrets ? " --with-secrets" : ""}).
${secrets ? "# Includes secrets (--with-secrets): rated high by Palisade's own RBAC analysis (PAL-RBAC-002); values never leave the sensor.\n" : "# No secrets: see docs/fleet.md (Sensor, RBAC) for --with-secrets.\n"}apiVersion: v1
kind: ServiceAccount
metadata:
  name: palisade-sensor
  namespace: ${namespace}
automountServiceAccountToken: true
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: palisade-sensor
rules:
${rules}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: palisade-sensor
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: palisade-sensor
subjects:
  - kind: ServiceAccount
    name: palisade-sensor
    namespace: ${namespace}
`;
}
