import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable, Writable } from "node:stream";
import type { Command } from "commander";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { LIVE_KINDS } from "../../src/adapters/kube/index.js";
import type { CliContext } from "../../src/apps/cli/context.js";
import { buildProgram } from "../../src/apps/cli/program.js";
import { admissionInstallManifests } from "../../src/apps/webhook/index.js";
import { runCli } from "../support/cli.js";
import { CHART, helm, helmTestsEnabled, NAMESPACE, RELEASE, RENDERED, ROOT, templateArgs } from "./helm.js";

/**
 * Issue 17 (Deploy): the Helm chart deploy/helm/palisade and the plain manifests rendered from it. The committed
 * manifests are checked here with Palisade's own analyses (scan, Pod Security restricted, the sensor's RBAC against
 * what the live reader lists, the webhook against `palisade admission install`); the chart itself with a real helm
 * (lint, template with default and all-features values, and the committed file equal to a fresh render).
 */

// biome-ignore lint/suspicious/noExplicitAny: rendered manifests are walked field by field; a wrong path fails the assertion
type Obj = Record<string, any>;

function parseManifests(text: string): Obj[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as Obj | null)
    .filter((d): d is Obj => d !== null);
}

const byKind = (docs: Obj[], kind: string) => docs.filter((d) => d.kind === kind);
const named = (docs: Obj[], kind: string, name: string): Obj => {
  const d = docs.find((x) => x.kind === kind && x.metadata?.name === name);
  if (d === undefined) throw new Error(`no ${kind} ${name} in the rendered manifests`);
  return d;
};
const podSpecs = (docs: Obj[]): [string, Obj][] =>
  byKind(docs, "Deployment").map((d) => [d.metadata.name as string, d.spec.template.spec as Obj]);

/** A CLI context that prints nothing, for building the command tree. */
const quietContext = (): CliContext => {
  const sink = () => new Writable({ write: (_c, _e, cb) => cb() });
  return {
    stdout: sink(),
    stderr: sink(),
    stdin: Readable.from([]),
    env: {},
    cwd: ROOT,
    now: () => new Date(0),
    exitCode: 0,
  };
};

const committed = parseManifests(readFileSync(RENDERED, "utf8"));
const NAME = (component: string) => `${RELEASE}-${component}`;

/** Checks every workload of a render must pass, with or without helm. */
function expectHardened(docs: Obj[]): void {
  const specs = podSpecs(docs);
  expect(specs.length).toBeGreaterThan(0);
  for (const [name, spec] of specs) {
    expect({ name, pod: spec.securityContext }).toMatchObject({
      name,
      pod: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
    });
    expect(spec.hostNetwork ?? false).toBe(false);
    const mounts = new Set<string>();
    for (const c of spec.containers as Obj[]) {
      expect({ name, c: c.securityContext }).toEqual({
        name,
        c: {
          runAsNonRoot: true,
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          privileged: false,
          capabilities: { drop: ["ALL"] },
        },
      });
      expect(Object.keys(c.resources.requests).sort()).toEqual(["cpu", "memory"]);
      expect(Object.keys(c.resources.limits).sort()).toEqual(["cpu", "memory"]);
      // The paths each program serves: central and the webhook /healthz and /readyz, the sensor /metrics only.
      const probes = {
        live: c.livenessProbe?.httpGet.path,
        ready: c.readinessProbe?.httpGet.path,
      };
      expect({ name, probes }).toEqual({
        name,
        probes: name.endsWith("-sensor")
          ? { live: "/metrics", ready: undefined }
          : { live: "/healthz", ready: "/readyz" },
      });
      for (const m of c.volumeMounts as Obj[]) mounts.add(m.mountPath);
    }
    // A writable /tmp on an emptyDir, since the root filesystem is read-only.
    expect(mounts.has("/tmp")).toBe(true);
    const tmp = (spec.volumes as Obj[]).find((v) => v.name === "tmp");
    expect(tmp?.emptyDir?.sizeLimit).toBeTruthy();
  }
}

/** Every pod is selected by the default-deny policy and by one policy of its own with both policy types. */
function expectNetworkPolicies(docs: Obj[]): void {
  const policies = byKind(docs, "NetworkPolicy");
  const selects = (p: Obj, labels: Record<string, string>) =>
    Object.entries(p.spec.podSelector.matchLabels as Record<string, string>).every(
      ([k, v]) => labels[k] === v,
    );
  for (const d of byKind(docs, "Deployment")) {
    const labels = d.spec.template.metadata.labels as Record<string, string>;
    const mine = policies.filter((p) => selects(p, labels));
    const deny = mine.find((p) => p.metadata.name.endsWith("-default-deny"));
    expect(deny?.spec).toMatchObject({ policyTypes: ["Ingress", "Egress"] });
    expect(deny?.spec.ingress).toBeUndefined();
    expect(deny?.spec.egress).toBeUndefined();
    const own = mine.filter((p) => p !== deny);
    expect({ deployment: d.metadata.name, own: own.length }).toEqual({
      deployment: d.metadata.name,
      own: 1,
    });
    expect(own[0]?.spec.policyTypes).toEqual(["Ingress", "Egress"]);
  }
}

async function expectPssRestricted(file: string, docs: Obj[]): Promise<void> {
  const r = await runCli(["pss", "--level", "restricted", "--version", "latest", "-o", "json", file]);
  expect(r.stderr).toBe("");
  const verdicts = JSON.parse(r.stdout) as {
    resource: { kind: string; name: string };
    allowed: boolean;
  }[];
  // One verdict per workload, every one of them allowed.
  expect(verdicts.map((v) => `${v.resource.kind}/${v.resource.name}`).sort()).toEqual(
    byKind(docs, "Deployment")
      .map((d) => `Deployment/${d.metadata.name}`)
      .sort(),
  );
  expect(verdicts.filter((v) => !v.allowed)).toEqual([]);
  expect(r.code).toBe(0);
}

async function scanHighAndCritical(file: string): Promise<{ ruleId: string; resource: Obj }[]> {
  const r = await runCli(["scan", file, "-o", "json"]);
  const report = JSON.parse(r.stdout) as {
    summary: { notEvaluated: number };
    findings: {
      ruleId: string;
      severity: string;
      resource: Obj;
      suppressed?: boolean;
    }[];
  };
  expect(report.summary.notEvaluated).toBe(0);
  return report.findings
    .filter((f) => f.severity === "critical" || f.severity === "high")
    .map((f) => ({ ruleId: f.ruleId, resource: f.resource }));
}

describe("deploy/manifests/palisade.yaml (the chart's default render)", () => {
  it("holds central, sensor and webhook with their Services, RBAC, PDBs and NetworkPolicies", () => {
    const kinds = committed.map((d) => `${d.kind}/${d.metadata.name}`).sort();
    expect(kinds).toEqual(
      [
        "Certificate/palisade-admission",
        "Certificate/palisade-admission-ca",
        "ClusterRole/palisade-admission",
        "ClusterRole/palisade-sensor",
        "ClusterRoleBinding/palisade-admission",
        "ClusterRoleBinding/palisade-sensor",
        "Deployment/palisade-admission",
        "Deployment/palisade-central",
        "Deployment/palisade-sensor",
        "Issuer/palisade-admission-ca",
        "Issuer/palisade-admission-selfsigned",
        "NetworkPolicy/palisade-admission",
        "NetworkPolicy/palisade-central",
        "NetworkPolicy/palisade-default-deny",
        "NetworkPolicy/palisade-sensor",
        "PodDisruptionBudget/palisade-admission",
        "PodDisruptionBudget/palisade-central",
        "Service/palisade-admission",
        "Service/palisade-central",
        "ServiceAccount/palisade-admission",
        "ServiceAccount/palisade-central",
        "ServiceAccount/palisade-sensor",
        "ValidatingWebhookConfiguration/palisade-admission",
      ].sort(),
    );
    for (const d of committed)
      if (!d.kind.startsWith("Cluster") && d.kind !== "ValidatingWebhookConfiguration")
        expect({ name: d.metadata.name, ns: d.metadata.namespace }).toEqual({
          name: d.metadata.name,
          ns: NAMESPACE,
        });
  });

  it("has restricted pod and container security, requests and limits, probes and a writable /tmp", () => {
    expectHardened(committed);
  });

  it("passes Pod Security restricted (palisade pss) for every pod template", async () => {
    await expectPssRestricted(RENDERED, committed);
  });

  it("has no high or critical finding in palisade scan", async () => {
    expect(await scanHighAndCritical(RENDERED)).toEqual([]);
  });

  it("denies all traffic to and from its pods but what each component's own policy allows", () => {
    expectNetworkPolicies(committed);
  });

  it("mounts no service account token where the pod never calls the API (central)", () => {
    const spec = named(committed, "Deployment", NAME("central")).spec.template.spec;
    expect(spec.automountServiceAccountToken).toBe(false);
    expect(
      named(committed, "Deployment", NAME("sensor")).spec.template.spec.automountServiceAccountToken,
    ).toBe(true);
  });

  it("gives the sensor the ClusterRole of deploy/sensor-rbac.yaml: list/watch on the kinds the live reader lists", () => {
    const role = named(committed, "ClusterRole", NAME("sensor"));
    const shipped = named(
      parseManifests(readFileSync(join(ROOT, "deploy", "sensor-rbac.yaml"), "utf8")),
      "ClusterRole",
      NAME("sensor"),
    );
    expect(role.rules).toEqual(shipped.rules);
    const granted = new Set<string>();
    for (const rule of role.rules as Obj[]) {
      expect(rule.verbs).toEqual(["list", "watch"]);
      for (const g of rule.apiGroups as string[])
        for (const r of rule.resources as string[]) granted.add(`${g}/${r}`);
    }
    const read = LIVE_KINDS.map(
      (k) => `${k.apiVersion.includes("/") ? k.apiVersion.split("/")[0] : ""}/${k.resource}`,
    );
    // Secrets are read only with sensor.readSecrets (--with-secrets).
    expect([...granted].sort()).toEqual(read.filter((r) => r !== "/secrets").sort());
    expect(
      named(committed, "Deployment", NAME("sensor")).spec.template.spec.containers[0].args,
    ).not.toContain("--with-secrets");
  });

  it("passes each program only flags its command declares (palisade serve, sensor, admission serve)", async () => {
    const program = await buildProgram(quietContext());
    for (const d of byKind(committed, "Deployment")) {
      const args = d.spec.template.spec.containers[0].args as string[];
      const path = args.filter((a) => !a.startsWith("-"));
      let cmd: Command | undefined = program;
      for (const p of path) cmd = cmd?.commands.find((c) => c.name() === p);
      expect({ deployment: d.metadata.name, command: cmd?.name() }).toEqual({
        deployment: d.metadata.name,
        command: path.at(-1),
      });
      const known = new Set(cmd?.options.map((o) => o.long));
      const unknown = args.filter((a) => a.startsWith("--") && !known.has(a.split("=")[0]));
      expect({ deployment: d.metadata.name, unknown }).toEqual({
        deployment: d.metadata.name,
        unknown: [],
      });
    }
  });

  it("installs the webhook as palisade admission install --print does", () => {
    const cli = admissionInstallManifests({
      namespace: NAMESPACE,
      name: NAME("admission"),
      image: "unused",
      caBundle: "unused",
      tlsSecret: `${NAME("admission")}-tls`,
      failurePolicy: "Fail",
      timeoutSeconds: 5,
      mutate: false,
      policyFile: false,
      cluster: "default",
    }) as Obj[];
    const cliHook = named(cli, "ValidatingWebhookConfiguration", NAME("admission"));
    const cliDeployment = named(cli, "Deployment", NAME("admission"));
    const cliPdb = named(cli, "PodDisruptionBudget", NAME("admission"));
    const cliRole = named(cli, "ClusterRole", NAME("admission"));
    const chartHook = named(committed, "ValidatingWebhookConfiguration", NAME("admission"));
    // The CA comes from cert-manager's injector in the chart, from --tls-cert in the CLI.
    const { caBundle: _ca, ...cliClient } = cliHook.webhooks[0].clientConfig as Obj;
    expect(chartHook.webhooks).toEqual([{ ...cliHook.webhooks[0], clientConfig: cliClient }]);
    expect(chartHook.metadata.annotations).toEqual({
      "cert-manager.io/inject-ca-from": `${NAMESPACE}/${NAME("admission")}`,
    });

    const chartDeployment = named(committed, "Deployment", NAME("admission"));
    expect(chartDeployment.spec.replicas).toBe(cliDeployment.spec.replicas);
    const chartPod = chartDeployment.spec.template.spec;
    const cliPod = cliDeployment.spec.template.spec;
    expect(chartPod.serviceAccountName).toBe(cliPod.serviceAccountName);
    const [chartC] = chartPod.containers as Obj[];
    const [cliC] = cliPod.containers as Obj[];
    for (const field of ["name", "args", "ports"])
      expect({ field, value: chartC?.[field] }).toEqual({
        field,
        value: cliC?.[field],
      });
    expect(chartC?.livenessProbe.httpGet).toEqual(cliC?.livenessProbe.httpGet);
    expect(chartC?.readinessProbe.httpGet).toEqual(cliC?.readinessProbe.httpGet);
    expect(chartC?.resources).toEqual(cliC?.resources);
    expect(chartPod.volumes.find((v: Obj) => v.name === "tls")).toEqual(
      cliPod.volumes.find((v: Obj) => v.name === "tls"),
    );
    expect(named(committed, "PodDisruptionBudget", NAME("admission")).spec.minAvailable).toBe(
      cliPdb.spec.minAvailable,
    );
    expect(named(committed, "ClusterRole", NAME("admission")).rules).toEqual(cliRole.rules);
    // The webhook's own namespace and kube-system are never sent to it.
    expect(chartHook.webhooks[0].namespaceSelector.matchExpressions).toEqual([
      {
        key: "kubernetes.io/metadata.name",
        operator: "NotIn",
        values: [NAMESPACE, "kube-system"],
      },
    ]);
  });

  it("serves the probes on the paths the server and the webhook answer", () => {
    const server = readFileSync(join(ROOT, "src/apps/server/server.ts"), "utf8");
    const webhook = readFileSync(join(ROOT, "src/apps/webhook/server.ts"), "utf8");
    for (const path of ["/healthz", "/readyz"]) {
      expect(server).toContain(`url: "${path}"`);
      expect(webhook).toContain(`"${path}"`);
    }
    const central = named(committed, "Deployment", NAME("central")).spec.template.spec.containers[0];
    expect(central.args).toContain("--listen=0.0.0.0:8080");
    expect(central.ports).toEqual([{ name: "http", containerPort: 8080 }]);
  });
});

describe("Dockerfile", () => {
  const text = readFileSync(join(ROOT, "Dockerfile"), "utf8");
  const lines = text.split("\n").filter((l) => !l.startsWith("#"));
  const froms = lines.filter((l) => /^FROM\s/i.test(l));

  it("pins every base image by digest and builds on Node 20", () => {
    expect(froms.length).toBeGreaterThanOrEqual(2);
    for (const f of froms) expect(f).toMatch(/^FROM \S+:\S+@sha256:[0-9a-f]{64}( AS \w+)?$/);
    expect(froms[0]).toMatch(/^FROM node:20-/);
    expect(froms.at(-1)).toMatch(/^FROM gcr\.io\/distroless\/nodejs20-debian12:nonroot@/);
  });

  it("runs as a numeric non-root user with production dependencies and better-sqlite3 built from source", () => {
    const users = lines.filter((l) => /^USER\s/.test(l));
    expect(users).toEqual(["USER 65532:65532"]);
    // The chart's runAsUser is the image's user.
    expect(named(committed, "Deployment", NAME("central")).spec.template.spec.securityContext.runAsUser).toBe(
      65532,
    );
    expect(text).toMatch(/npm ci --omit=dev/);
    expect(text).toMatch(/npm_config_build_from_source=true/);
    expect(text).toMatch(/npm rebuild better-sqlite3/);
    // Exec form: no shell at run time.
    expect(lines.find((l) => l.startsWith("ENTRYPOINT"))).toBe(
      'ENTRYPOINT ["/nodejs/bin/node", "/app/dist/cli/palisade.js"]',
    );
  });

  it("has a .dockerignore keeping node_modules, dist and .git out of the build context", () => {
    const ignore = readFileSync(join(ROOT, ".dockerignore"), "utf8").split("\n");
    for (const p of [".git", "node_modules", "dist"]) expect(ignore).toContain(p);
  });
});

describe.runIf(helmTestsEnabled())(
  "the Helm chart with a real helm (needs helm: scripts/helm-path.sh)",
  () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), "palisade-helm-"));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    const VALUES = ["ci/all-features-values.yaml", "ci/own-certificate-values.yaml"];

    it("passes helm lint --strict with default values and every ci/ values file", () => {
      for (const extra of [[], ...VALUES.map((v) => ["--values", join(CHART, v)])]) {
        const r = helm(["lint", "--strict", CHART, "--namespace", NAMESPACE, ...extra], dir);
        expect({
          extra,
          status: r.status,
          out: r.stdout + r.stderr,
        }).toMatchObject({ extra, status: 0 });
        expect(r.stdout).toContain("0 chart(s) failed");
      }
    });

    it("renders the committed deploy/manifests/palisade.yaml exactly (scripts/render-manifests.sh)", () => {
      const r = helm(templateArgs(), dir);
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      const header = readFileSync(RENDERED, "utf8").split("\n---\n")[0]?.split("\n") ?? [];
      const headerText = `${header.filter((l) => l.startsWith("# ") && !l.startsWith("# Source:")).join("\n")}\n`;
      expect(readFileSync(RENDERED, "utf8")).toBe(headerText + r.stdout);
    });

    it("renders every feature (ingress, NATS, database URL, admin token, Secrets, policy) hardened", async () => {
      const r = helm(templateArgs(["--values", join(CHART, VALUES[0] ?? "")]), dir);
      expect(r.status).toBe(0);
      const file = join(dir, "all-features.yaml");
      writeFileSync(file, r.stdout);
      const docs = parseManifests(r.stdout);
      expectHardened(docs);
      expectNetworkPolicies(docs);
      await expectPssRestricted(file, docs);
      expect(byKind(docs, "Ingress").map((d) => d.spec.rules[0].host)).toEqual(["palisade.example.com"]);
      expect(named(docs, "ConfigMap", `${NAME("admission")}-policy`).data["policy.yaml"]).toContain(
        "AdmissionPolicy",
      );
      const sensor = named(docs, "Deployment", NAME("sensor")).spec.template.spec.containers[0];
      expect(sensor.args).toContain("--nats=nats://nats.nats.svc:4222");
      expect(sensor.args).toContain("--cluster=prod-eu-1");
      expect(sensor.args).toContain("--with-secrets");
      const withSecrets = await runCli([
        "sensor",
        "--print-rbac",
        "--with-secrets",
        "--namespace",
        NAMESPACE,
      ]);
      expect(named(docs, "ClusterRole", NAME("sensor")).rules).toEqual(
        named(parseManifests(withSecrets.stdout), "ClusterRole", NAME("sensor")).rules,
      );
      // The two high findings are what these values ask for: the sensor reads Secrets (sensor.readSecrets), and the
      // database URL sits in the rendered Secret (database.url instead of an existing Secret).
      expect(
        (await scanHighAndCritical(file)).map((f) => `${f.ruleId} ${f.resource.kind}/${f.resource.name}`),
      ).toEqual(["PAL-SEC-007 Secret/palisade-database", "PAL-RBAC-002 ClusterRoleBinding/palisade-sensor"]);
    });

    it("uses the certificate Secret and CA bundle given instead of cert-manager", () => {
      const r = helm(templateArgs(["--values", join(CHART, VALUES[1] ?? "")]), dir);
      expect(r.status).toBe(0);
      const docs = parseManifests(r.stdout);
      expect(docs.filter((d) => String(d.apiVersion).startsWith("cert-manager.io/"))).toEqual([]);
      const hook = named(docs, "ValidatingWebhookConfiguration", NAME("admission"));
      expect(hook.metadata.annotations).toBeUndefined();
      expect(hook.webhooks[0].clientConfig.caBundle).toMatch(/^LS0t/);
      expect(hook.webhooks[0].failurePolicy).toBe("Ignore");
      expect(hook.webhooks[0].timeoutSeconds).toBe(10);
      const pod = named(docs, "Deployment", NAME("admission")).spec.template.spec;
      expect(pod.volumes.find((v: Obj) => v.name === "tls")).toEqual({
        name: "tls",
        secret: { secretName: "my-webhook-tls" },
      });
      expect(pod.containers[0].args).toContain("--deadline=9000ms");
    });

    it("refuses values the API server would refuse, naming the value", () => {
      for (const [set, message] of [
        ["admission.timeoutSeconds=31", "admission.timeoutSeconds must be 1-30"],
        ["admission.failurePolicy=Sometimes", "admission.failurePolicy must be Fail or Ignore"],
        ["database.existingSecret=", "database.existingSecret or database.url is required"],
      ] as const) {
        const r = helm(templateArgs(["--set", set]), dir);
        expect({ set, status: r.status }).toEqual({ set, status: 1 });
        expect(r.stderr).toContain(message);
      }
    });
  },
);
