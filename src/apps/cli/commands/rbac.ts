import { type Command, Option } from "commander";
import { PalisadeError } from "../../../core/errors/index.js";
import type { ResourceRef } from "../../../core/findings/index.js";
import { addAllowPartialOption, completeExit, requireObjects } from "../completeness.js";
import type { CliContext } from "../context.js";
import { EXIT } from "../exit-codes.js";
import { addInputOptions, type InputOptions, inventoryInputs } from "../inputs.js";
import { collect, outputOption } from "../options.js";
import { addRbacDefaultsOptions, type RbacDefaultsFlags, rbacBuildOptions } from "../rbac-options.js";
import { formatColumns, writeCoverage, writeText } from "../text.js";

interface RbacFlags extends InputOptions, RbacDefaultsFlags {
  output: string;
  as?: string;
  asGroup?: string[];
  subresource?: string;
  to?: string;
  subject?: string;
  allowPartial?: boolean;
}

/** --subresource of can-i and who-can (kubectl auth can-i's flag). */
const subresourceOption = (): Option =>
  new Option("--subresource <sub>", "subresource, e.g. exec, log, scale");

const refText = (r: ResourceRef) => `${r.kind}/${r.namespace ? `${r.namespace}/` : ""}${r.name}`;

/**
 * What every rbac command hands its service: the sources and readers the flags name, the bootstrap defaults, and
 * the refusal of an input without objects once it is loaded.
 */
async function serviceInputs(flags: RbacFlags, ctx: CliContext) {
  const service = await import("../../../services/rbac/index.js");
  const { sources, readers } = await inventoryInputs(flags, [], ctx);
  const build = await rbacBuildOptions(flags);
  const hooks = {
    loaded: (loaded: import("../inputs.js").LoadedInventory) => requireObjects(ctx, loaded, flags, []),
  };
  return { service, sources, readers, build, hooks };
}

/** kubectl's `VERB TYPE[/NAME] | VERB NONRESOURCEURL` argument pair, as request attributes. */
async function requestFrom(verb: string, target: string, flags: RbacFlags) {
  const rbac = await import("../../../core/rbac/index.js");
  if (verb === "") throw new PalisadeError("USAGE", "VERB must not be empty");
  if (target.startsWith("/")) {
    if (flags.subresource)
      throw new PalisadeError("USAGE", "--subresource can not be used with NonResourceURL");
    return { verb, nonResourceURL: target };
  }
  const r = rbac.parseResourceArg(target);
  if (r.resource === "") throw new PalisadeError("USAGE", `invalid resource "${target}"`);
  const req: {
    verb: string;
    resource: string;
    apiGroup: string;
    name?: string;
    subresource?: string;
    namespace?: string;
  } = { verb, resource: r.resource, apiGroup: r.apiGroup };
  if (r.name !== undefined) req.name = r.name;
  if (flags.subresource) req.subresource = flags.subresource;
  if (flags.namespace) req.namespace = flags.namespace;
  return req;
}

const HELP_CAN_I = `
Answers as the Kubernetes RBAC authorizer would for the objects given (-f, --snapshot or --kubeconfig), plus
for manifests and snapshots the API server's bootstrap policy (cluster-admin, admin/edit/view, system:*) of
--kube-version (default: the input's newest kubelet, else the newest modelled); input objects replace
defaults of the same name;
--no-default-roles uses the input alone.
RESOURCE is kubectl's TYPE[/NAME]: pods, deployments.apps, jobs.batch/nightly; built-in short names and
group-less built-ins (deployments -> apps) are resolved from a static table. A target starting with "/"
is a non-resource URL. Without -n the request is cluster-wide (only ClusterRoleBindings apply).
--as is required. The identity is built as the API server's impersonation filter builds it: without
--as-group a ServiceAccount username (system:serviceaccount:NS:NAME) gets system:serviceaccounts and
system:serviceaccounts:NS; then every user other than system:anonymous gets system:authenticated (also with
--as-group, unless system:authenticated or system:unauthenticated is given), and system:anonymous gets
system:unauthenticated.
Output: {allowed, reasons: [{binding, role, rule}]} (+ privilegedGroup for system:masters).
Exit 0 if allowed, 1 if not, 2 on usage or input errors.`;

const HELP_PERMISSIONS = `
Lists every rule reaching the subject through any binding, as the RBAC authorizer evaluates them:
cluster-wide grants (ClusterRoleBindings) first, then per namespace (RoleBindings), each binding with
its role and rules, then bindings that reference a missing role (they grant nothing).
A ServiceAccount includes its groups system:serviceaccounts, system:serviceaccounts:NS and
system:authenticated; a User includes system:authenticated (other groups come from the identity
provider and are unknown offline); a Group is just that group.
With -n NS only what applies in NS is shown: cluster-wide grants and the RoleBindings of NS.`;

export function register(program: Command, ctx: CliContext): void {
  const rbacCmd = program
    .command("rbac")
    .description("Exact RBAC analysis: can-i, who-can, effective permissions, escalation paths");

  const canI = rbacCmd
    .command("can-i")
    .description("Check whether an identity may perform an action (kubectl auth can-i, offline)")
    .argument("<verb>", "API verb: get, list, create, impersonate, ...")
    .argument("<resource>", "TYPE[/NAME] or a non-resource URL starting with /")
    .option("--as <user>", "username to check (system:serviceaccount:NS:NAME for a ServiceAccount)")
    .option("--as-group <group>", "group of the user (repeatable)", collect)
    .addOption(subresourceOption())
    .addOption(outputOption(["json", "table"], "json"))
    .addHelpText("after", HELP_CAN_I);
  addInputOptions(canI);
  addRbacDefaultsOptions(canI);
  addAllowPartialOption(canI);
  canI.action(async (verb: string, target: string, flags: RbacFlags) => {
    if (!flags.as)
      throw new PalisadeError("USAGE", "--as USER is required (there is no current user offline)");
    const req = await requestFrom(verb, target, flags);
    const { service, sources, readers, build, hooks } = await serviceInputs(flags, ctx);
    const { answer: res, coverage } = await service.rbacCanI(
      { sources, build, request: { ...req, user: flags.as, groups: flags.asGroup ?? [] } },
      { readers },
      hooks,
    );
    const rbac = await import("../../../core/rbac/index.js");
    writeCoverage(ctx, coverage);
    if (flags.output === "json") ctx.stdout.write(`${JSON.stringify(res, null, 2)}\n`);
    else {
      writeText(ctx, `${res.allowed ? "yes" : "no"}\n`);
      for (const r of res.reasons)
        writeText(ctx, `  ${refText(r.binding)} -> ${refText(r.role)} ${rbac.formatRule(r.rule)}\n`);
      if (res.privilegedGroup) writeText(ctx, `  member of ${res.privilegedGroup}\n`);
    }
    ctx.exitCode = completeExit(ctx, res.allowed ? EXIT.OK : EXIT.FINDINGS, coverage, flags.allowPartial);
  });

  const whoCan = rbacCmd
    .command("who-can")
    .description("List every subject that may perform an action, with the bindings that grant it")
    .argument("<verb>", "API verb")
    .argument("<resource>", "TYPE[/NAME] or a non-resource URL starting with /")
    .addOption(subresourceOption())
    .addOption(outputOption(["json", "table"], "json"));
  addInputOptions(whoCan);
  addRbacDefaultsOptions(whoCan);
  addAllowPartialOption(whoCan);
  whoCan.action(async (verb: string, target: string, flags: RbacFlags) => {
    const req = await requestFrom(verb, target, flags);
    const { service, sources, readers, build, hooks } = await serviceInputs(flags, ctx);
    const { answer: res, coverage } = await service.rbacWhoCan(
      { sources, build, request: req },
      { readers },
      hooks,
    );
    writeCoverage(ctx, coverage);
    if (flags.output === "json") ctx.stdout.write(`${JSON.stringify(res, null, 2)}\n`);
    else {
      const rows = [["KIND", "NAMESPACE", "NAME", "BINDING", "ROLE"]];
      for (const s of res.subjects) {
        if (s.via.length === 0) rows.push([s.kind, s.namespace ?? "", s.name, "(privileged group)", ""]);
        for (const v of s.via)
          rows.push([s.kind, s.namespace ?? "", s.name, refText(v.binding), refText(v.role)]);
      }
      ctx.stdout.write(`${formatColumns(rows)}\n`);
    }
    ctx.exitCode = completeExit(ctx, EXIT.OK, coverage, flags.allowPartial);
  });

  const perms = rbacCmd
    .command("permissions")
    .description("Effective permissions of one subject: every grant, cluster-wide and per namespace")
    .option("--subject <KIND:[NS/]NAME>", "ServiceAccount:payments/api, User:alice or Group:devs")
    .addOption(outputOption(["json", "table"], "json"))
    .addHelpText("after", HELP_PERMISSIONS);
  addInputOptions(perms);
  addRbacDefaultsOptions(perms);
  addAllowPartialOption(perms);
  perms.action(async (flags: RbacFlags) => {
    if (!flags.subject) throw new PalisadeError("USAGE", "--subject KIND:[NS/]NAME is required");
    const rbac = await import("../../../core/rbac/index.js");
    const parsed = rbac.parseSubjectArg(flags.subject);
    if ("error" in parsed) throw new PalisadeError("USAGE", `--subject: ${parsed.error}`);
    const { service, sources, readers, build, hooks } = await serviceInputs(flags, ctx);
    const { answer: res, coverage } = await service.rbacPermissions(
      { sources, build, subject: parsed.subject, namespace: flags.namespace },
      { readers },
      hooks,
    );
    writeCoverage(ctx, coverage);
    if (flags.output === "json") ctx.stdout.write(`${JSON.stringify(res, null, 2)}\n`);
    else {
      const rows = [["SCOPE", "BINDING", "ROLE", "RULE"]];
      const add = (scope: string, g: (typeof res.clusterWide)[number]) => {
        for (const r of g.rules) rows.push([scope, refText(g.binding), refText(g.role), rbac.formatRule(r)]);
        for (const r of g.inertRules ?? [])
          rows.push([
            scope,
            refText(g.binding),
            refText(g.role),
            `(inert via RoleBinding) ${rbac.formatRule(r)}`,
          ]);
      };
      for (const g of res.clusterWide) add("(cluster)", g);
      for (const ns of res.namespaces) for (const g of ns.bindings) add(ns.namespace, g);
      for (const d of res.danglingBindings)
        rows.push([
          d.binding.namespace ?? "(cluster)",
          refText(d.binding),
          `${d.roleRef.kind}/${d.binding.namespace && d.roleRef.kind === "Role" ? `${d.binding.namespace}/` : ""}${d.roleRef.name}`,
          "(missing role: grants nothing)",
        ]);
      if (res.privilegedGroup)
        rows.push(["(cluster)", "", "", `member of ${res.privilegedGroup}: allowed everything`]);
      ctx.stdout.write(`${formatColumns(rows)}\n`);
    }
    ctx.exitCode = completeExit(ctx, EXIT.OK, coverage, flags.allowPartial);
  });

  const paths = rbacCmd
    .command("paths")
    .description(
      "Which subjects can reach cluster-admin-equivalent power, and by which steps (subjects named only by the bootstrap policy are marked)",
    )
    .addOption(
      new Option("--to <target>", "target power").choices(["cluster-admin"]).default("cluster-admin"),
    )
    .addOption(outputOption(["json", "table"], "json"));
  addInputOptions(paths);
  addRbacDefaultsOptions(paths);
  addAllowPartialOption(paths);
  paths.action(async (flags: RbacFlags) => {
    const { service, sources, readers, build, hooks } = await serviceInputs(flags, ctx);
    const { answer: res, coverage } = await service.rbacEscalationPaths(
      { sources, build, to: "cluster-admin" },
      { readers },
      hooks,
    );
    writeCoverage(ctx, coverage);
    if (flags.output === "json") ctx.stdout.write(`${JSON.stringify({ paths: res }, null, 2)}\n`);
    else {
      const rows = [["SUBJECT", "STEP", "MECHANISM", "DETAIL"]];
      for (const p of res) {
        const who = `${p.subject.kind}/${p.subject.namespace ? `${p.subject.namespace}/` : ""}${p.subject.name}${p.builtin ? " (bootstrap)" : ""}`;
        for (const [i, s] of p.steps.entries())
          rows.push([
            i === 0 ? who : "",
            String(i + 1),
            s.mechanism,
            `${s.detail}${s.to ? ` => ${s.to}` : ""}`,
          ]);
      }
      ctx.stdout.write(`${formatColumns(rows)}\n`);
    }
    ctx.exitCode = completeExit(ctx, EXIT.OK, coverage, flags.allowPartial);
  });
}
