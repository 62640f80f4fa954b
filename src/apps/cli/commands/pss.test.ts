import { describe, expect, it } from "vitest";
import { runCli } from "../../../../test/support/cli.js";

const FIXTURE = "src/apps/cli/commands/__fixtures__/pss/cluster.yaml";

const cli = (argv: string[]) => runCli(argv, { now: new Date(0) });

const ref = (apiVersion: string, kind: string, namespace: string, name: string) => ({
  apiVersion,
  kind,
  name,
  namespace,
});

describe("palisade pss --level", () => {
  it("prints one sorted entry per workload with upstream messages and exits 1", async () => {
    const r = await cli(["pss", "--level", "baseline", "--version", "v1.23", "-f", FIXTURE]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout)).toEqual([
      { resource: ref("apps/v1", "Deployment", "plain", "tool"), allowed: true, violations: [] },
      { resource: ref("apps/v1", "Deployment", "team-a", "web"), allowed: true, violations: [] },
      { resource: ref("v1", "Pod", "team-a", "root-pod"), allowed: true, violations: [] },
      {
        resource: ref("apps/v1", "DaemonSet", "team-b", "agent"),
        allowed: false,
        violations: [
          { check: "hostNamespaces", message: "host namespaces (hostNetwork=true)" },
          {
            check: "privileged",
            message: 'privileged (container "agent" must not set securityContext.privileged=true)',
          },
        ],
      },
      { resource: ref("batch/v1", "CronJob", "team-c", "report"), allowed: true, violations: [] },
    ]);
  });

  it("the same pod passes restricted v1.22 and fails v1.23 (runAsUser)", async () => {
    const at = async (version: string) => {
      const r = await cli(["pss", "--level", "restricted", "--version", version, "-f", FIXTURE]);
      const entries = JSON.parse(r.stdout) as { resource: { name: string }; violations: unknown[] }[];
      return entries.find((e) => e.resource.name === "root-pod")?.violations;
    };
    expect(await at("v1.22")).toEqual([]);
    expect(await at("v1.23")).toEqual([
      { check: "runAsUser", message: 'runAsUser=0 (container "app" must not set runAsUser=0)' },
    ]);
  });

  it("prints a table", async () => {
    const r = await cli(["pss", "--level", "baseline", "-o", "table", "-f", FIXTURE]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(
      [
        "NAMESPACE  KIND        NAME      ALLOWED  VIOLATION",
        "plain      Deployment  tool      yes",
        "team-a     Deployment  web       yes",
        "team-a     Pod         root-pod  yes",
        "team-b     DaemonSet   agent     no       host namespaces (hostNetwork=true)",
        '                                          privileged (container "agent" must not set securityContext.privileged=true)',
        "team-c     CronJob     report    yes",
        "",
      ].join("\n"),
    );
  });

  it("exits 2 on usage errors", async () => {
    expect(await cli(["pss", "--level", "strict", "-f", FIXTURE])).toEqual({
      code: 2,
      stdout: "",
      stderr:
        "palisade: option '--level <level>' argument 'strict' is invalid. Allowed choices are baseline, restricted.\n",
    });
    expect((await cli(["pss", "--level", "baseline", "--version", "1.23", "-f", FIXTURE])).code).toBe(2);
    expect((await cli(["pss", "--level", "baseline", "-o", "yaml", "-f", FIXTURE])).code).toBe(2);
    expect((await cli(["pss", "--level", "baseline"])).code).toBe(2);
  });
});

describe("palisade pss --namespaces", () => {
  it("reports label policies, rejected workloads and unlabelled namespaces", async () => {
    const r = await cli(["pss", "-f", FIXTURE]);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as {
      namespaces: {
        namespace: string;
        labelled: boolean;
        enforce: unknown;
        warn: unknown;
        errors: unknown[];
        rejected: { resource: { name: string }; violations: { check: string }[] }[];
        warned: { resource: { name: string } }[];
      }[];
      unlabelled: string[];
      coverage: { reason: string; message: string }[];
    };
    expect(out.unlabelled).toEqual(["plain"]);
    expect(
      out.namespaces.map((n) => ({
        namespace: n.namespace,
        enforce: n.enforce,
        rejected: n.rejected.map((x) => `${x.resource.name}:${x.violations.map((v) => v.check).join("+")}`),
        warned: n.warned.map((x) => x.resource.name),
      })),
    ).toEqual([
      {
        namespace: "plain",
        enforce: { level: "privileged", version: "latest", evaluatedVersion: "v1.37" },
        rejected: [],
        warned: [],
      },
      {
        namespace: "team-a",
        enforce: { level: "restricted", version: "v1.23", evaluatedVersion: "v1.23" },
        rejected: ["root-pod:runAsUser"],
        // no warn label: warn follows the enforce label (upstream's PolicyToEvaluate)
        warned: ["root-pod"],
      },
      {
        namespace: "team-b",
        enforce: { level: "baseline", version: "latest", evaluatedVersion: "v1.37" },
        rejected: ["agent:hostNamespaces+privileged"],
        warned: ["agent"],
      },
      {
        namespace: "team-c",
        enforce: { level: "restricted", version: "latest", evaluatedVersion: "v1.37" },
        rejected: [
          "report:allowPrivilegeEscalation+capabilities_restricted+runAsNonRoot+seccompProfile_restricted",
        ],
        warned: [],
      },
    ]);
    expect(out.coverage).toEqual([
      {
        reason: "invalid",
        message:
          'namespace "team-c": label pod-security.kubernetes.io/enforce="Restricted" is invalid (must be one of privileged, baseline, restricted); evaluated as restricted',
        subject: "team-c",
        namespace: "team-c",
        kind: "Namespace",
        evaluated: true,
      },
    ]);
  });

  it("--level with --namespaces sets the default enforce policy for unlabelled namespaces", async () => {
    const r = await cli(["pss", "--namespaces", "--level", "restricted", "-f", FIXTURE]);
    const out = JSON.parse(r.stdout) as { namespaces: { namespace: string; rejected: unknown[] }[] };
    expect(out.namespaces.find((n) => n.namespace === "plain")?.rejected.length).toBe(1);
  });
});
