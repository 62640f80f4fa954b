/**
 * Identities as the API server builds them. ServiceAccount usernames and groups follow
 * `k8s.io/apiserver/pkg/authentication/serviceaccount` (MakeUsername, SplitUsername, MakeGroupNames); the
 * defaults for an impersonated identity follow the impersonation filter
 * (`k8s.io/apiserver/pkg/endpoints/filters/impersonation.go`), which is what `kubectl --as` exercises.
 */
import { appendAll } from "../util/index.js";
import type { Subject, UserInfo } from "./model.js";
import { isValidNamespaceName, isValidServiceAccountName } from "./parse.js";

export const SA_USERNAME_PREFIX = "system:serviceaccount:";
export const ALL_SERVICE_ACCOUNTS = "system:serviceaccounts";
export const ALL_AUTHENTICATED = "system:authenticated";
export const ALL_UNAUTHENTICATED = "system:unauthenticated";
export const ANONYMOUS = "system:anonymous";
/** Members are allowed everything by the privileged-group authorizer placed before RBAC in kube-apiserver. */
export const SYSTEM_MASTERS = "system:masters";

export function serviceAccountUsername(namespace: string, name: string): string {
  return `${SA_USERNAME_PREFIX}${namespace}:${name}`;
}

/** `SplitUsername`: the namespace and name of a ServiceAccount username, or undefined if it is not one. */
export function splitServiceAccountUsername(user: string): { namespace: string; name: string } | undefined {
  if (!user.startsWith(SA_USERNAME_PREFIX)) return undefined;
  const parts = user.slice(SA_USERNAME_PREFIX.length).split(":");
  if (parts.length !== 2) return undefined;
  const [namespace, name] = parts as [string, string];
  if (!isValidNamespaceName(namespace) || !isValidServiceAccountName(name)) return undefined;
  return { namespace, name };
}

/** `MakeGroupNames`: the groups every ServiceAccount of a namespace belongs to. */
export function serviceAccountGroups(namespace: string): string[] {
  return [ALL_SERVICE_ACCOUNTS, `${ALL_SERVICE_ACCOUNTS}:${namespace}`];
}

/**
 * The identity `kubectl --as USER [--as-group G]...` produces (impersonation.go, WithImpersonation). Without groups,
 * a ServiceAccount username gets its fixed groups (MakeGroupNames). Then, WITH or without given groups, a
 * non-anonymous user gets system:authenticated appended unless system:authenticated or system:unauthenticated is
 * already among them, and system:anonymous gets system:unauthenticated appended unless present. (The upstream
 * comment "if they are specified, then they are the authority" predates that code and no longer describes it.)
 */
export function impersonatedUserInfo(user: string, groups: readonly string[] = []): UserInfo {
  const out = [...groups];
  if (out.length === 0) {
    const sa = splitServiceAccountUsername(user);
    if (sa) appendAll(out, serviceAccountGroups(sa.namespace));
  }
  if (user !== ANONYMOUS) {
    if (!out.includes(ALL_AUTHENTICATED) && !out.includes(ALL_UNAUTHENTICATED)) out.push(ALL_AUTHENTICATED);
  } else if (!out.includes(ALL_UNAUTHENTICATED)) out.push(ALL_UNAUTHENTICATED);
  return { user, groups: out };
}

/**
 * The identity a binding subject stands for: a ServiceAccount authenticates with its username and groups plus
 * system:authenticated; a User with its name plus system:authenticated (other group memberships come from the
 * identity provider and are unknown here); a Group stands for exactly that group (empty username).
 */
export function subjectUserInfo(s: Subject): UserInfo {
  if (s.kind === "ServiceAccount")
    return impersonatedUserInfo(serviceAccountUsername(s.namespace ?? "", s.name));
  if (s.kind === "User") return impersonatedUserInfo(s.name);
  return { user: "", groups: [s.name] };
}

/** Stable text key of a subject: `User:name`, `Group:name`, `ServiceAccount:ns/name`. */
export function subjectKey(s: Subject): string {
  return s.kind === "ServiceAccount"
    ? `ServiceAccount:${s.namespace ?? ""}/${s.name}`
    : `${s.kind}:${s.name}`;
}
