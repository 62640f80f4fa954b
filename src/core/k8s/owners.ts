/**
 * ownerReferences. Kubernetes marks at most one reference `controller: true` (the API server rejects a second:
 * "Only one reference can have Controller set to true"); `metav1.GetControllerOf` returns it. Objects written by
 * hand or hostile input may carry several; the first marked one wins, as in GetControllerOf.
 */

/** The fields of an ownerReference that resolution reads. */
export interface OwnerReferenceLike {
  kind: string;
  name: string;
  controller?: boolean | undefined;
}

/** `metav1.GetControllerOf`: the first reference with `controller: true`, or undefined. */
export function controllerRef<R extends OwnerReferenceLike>(refs: readonly R[]): R | undefined {
  return refs.find((r) => r.controller === true);
}

/**
 * The owner an object belongs to for grouping: its controller reference, or without one its first reference
 * (the garbage collector's owner walk starts there too). Undefined for an object without owners.
 */
export function primaryOwnerRef<R extends OwnerReferenceLike>(refs: readonly R[]): R | undefined {
  return controllerRef(refs) ?? refs[0];
}
