import type { Command } from "commander";
import { PalisadeError } from "../../core/errors/index.js";
import type { RbacBuildOptions } from "../../core/rbac/index.js";

/** Flags that choose the bootstrap RBAC defaults (scan and the rbac commands). */
export interface RbacDefaultsFlags {
  /** commander's `--no-default-roles` sets this to false. */
  defaultRoles?: boolean;
  kubeVersion?: string;
}

/** Add --kube-version and --no-default-roles to a command. */
export function addRbacDefaultsOptions(cmd: Command): Command {
  return cmd
    .option(
      "--kube-version <v1.N>",
      "Kubernetes version whose bootstrap RBAC policy (cluster-admin, admin/edit/view, system:*) is assumed for manifests and snapshots that lack it (default: the newest kubelet version among the input's Nodes, else the newest modelled)",
    )
    .option(
      "--no-default-roles",
      "do not assume the API server's bootstrap RBAC policy: analyse the input alone",
    );
}

/** The RBAC build options the flags ask for; a malformed --kube-version is a usage error. */
export async function rbacBuildOptions(flags: RbacDefaultsFlags): Promise<RbacBuildOptions> {
  if (flags.defaultRoles === false) return { defaultRoles: false };
  if (flags.kubeVersion !== undefined) {
    const { parseKubeVersion } = await import("../../core/rbac/index.js");
    if (parseKubeVersion(flags.kubeVersion) === undefined)
      throw new PalisadeError(
        "USAGE",
        `invalid --kube-version "${flags.kubeVersion}" (expected v1.N, e.g. v1.30)`,
      );
  }
  const { assumedRbacDefaults } = await import("../../services/rbac/index.js");
  return assumedRbacDefaults(flags.kubeVersion);
}
