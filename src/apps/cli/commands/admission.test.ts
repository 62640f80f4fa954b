import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { runCli } from "../../../../test/support/cli.js";
import { makeTestCerts, type TestCerts } from "../../../../test/support/tls.js";
import { loadManifestPaths } from "../../../adapters/manifests/index.js";
import { reviewForCreate } from "../../../services/admission/index.js";

const DIR = "src/apps/cli/commands/__fixtures__/admission";
const CLUSTER = `${DIR}/cluster.yaml`;
const POLICY = `${DIR}/policy.yaml`;
const cli = (argv: string[]) => runCli(argv, { now: new Date("2026-06-01T00:00:00Z") });

interface Decision {
  resource: { kind: string; namespace: string; name: string };
  allowed: boolean;
  message?: string;
  warnings: string[];
  violations: { rule: string; mode: string; exception?: { id: string } }[];
}

describe("palisade admission test", () => {
  it("without a policy decides exactly as the namespace labels say, and exits 1 on a denial", async () => {
    const r = await cli(["admission", "test", "-f", CLUSTER, "-o", "json"]);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as { decisions: Decision[]; coverage: unknown[] };
    expect(out.coverage).toEqual([]);
    expect(
      out.decisions.map((d) => [
        d.resource.namespace,
        d.resource.kind,
        d.resource.name,
        d.allowed,
        d.warnings.length,
      ]),
    ).toEqual([
      ["shop", "Deployment", "web", true, 0],
      ["shop", "Pod", "privileged", false, 0],
      ["tools", "CronJob", "report", true, 0],
      ["tools", "Pod", "legacy", true, 0],
    ]);
    expect(out.decisions[1]?.message).toBe(
      'pods "privileged" is forbidden: violates PodSecurity "baseline:latest": privileged (container "app" must not set securityContext.privileged=true)',
    );
  });

  it("with a policy: enforce and warn per namespace, exceptions listed", async () => {
    const r = await cli(["admission", "test", "-f", CLUSTER, "--policy", POLICY, "-o", "json"]);
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as { decisions: Decision[] };
    const summary = out.decisions.map((d) => ({
      name: d.resource.name,
      allowed: d.allowed,
      rules: d.violations.map((v) => `${v.rule}:${v.exception ? `excepted(${v.exception.id})` : v.mode}`),
    }));
    expect(summary).toEqual([
      { name: "web", allowed: false, rules: ["image/registry:enforce", "image/forbidden-tag:enforce"] },
      { name: "privileged", allowed: false, rules: ["pss/privileged:enforce"] },
      { name: "report", allowed: true, rules: [] },
      { name: "legacy", allowed: true, rules: ["image/forbidden-tag:excepted(legacy-tag)"] },
    ]);
    const table = await cli(["admission", "test", "-f", CLUSTER, "--policy", POLICY]);
    expect(table.stdout).toContain("image/forbidden-tag(excepted:legacy-tag)");
  });

  it("a broken policy is a usage error naming the line", async () => {
    const r = await cli(["admission", "test", "-f", CLUSTER, "--policy", `${DIR}/broken-policy.yaml`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'broken-policy.yaml:3: defaultMode: must be one of enforce, warn, audit, got "block"',
    );
  });
});

describe("palisade admission install --print", () => {
  let dir: string;
  let certs: TestCerts;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "palisade-install-"));
    certs = makeTestCerts(dir);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const installPrint = (...extra: string[]) =>
    cli(["admission", "install", "--print", "--tls-cert", certs.ca, ...extra]);

  it("prints the webhook configuration with explicit failure behaviour, and a two-replica Deployment with a PDB", async () => {
    const r = await installPrint("--timeout-seconds", "5", "--mutate");
    expect(r.code).toBe(0);
    // biome-ignore lint/suspicious/noExplicitAny: reading printed YAML back, shape asserted below
    const docs = parseAllDocuments(r.stdout).map((d) => d.toJS() as Record<string, any>);
    expect(docs.map((d) => d.kind)).toEqual([
      "ValidatingWebhookConfiguration",
      "MutatingWebhookConfiguration",
      "ServiceAccount",
      "ClusterRole",
      "ClusterRoleBinding",
      "Deployment",
      "Service",
      "PodDisruptionBudget",
    ]);
    const hook = docs[0]?.webhooks[0];
    expect(hook).toMatchObject({
      failurePolicy: "Fail",
      timeoutSeconds: 5,
      sideEffects: "None",
      admissionReviewVersions: ["v1"],
      clientConfig: {
        service: { namespace: "palisade-system", name: "palisade-admission", path: "/validate" },
      },
      namespaceSelector: {
        matchExpressions: [
          {
            key: "kubernetes.io/metadata.name",
            operator: "NotIn",
            values: ["palisade-system", "kube-system"],
          },
        ],
      },
    });
    expect(Buffer.from(hook.clientConfig.caBundle, "base64").toString()).toBe(readFileSync(certs.ca, "utf8"));
    expect(hook.matchConditions.map((c: { name: string }) => c.name)).toEqual([
      "not-palisade-itself",
      "not-kubelets",
    ]);
    expect(docs[1]?.webhooks[0].clientConfig.service.path).toBe("/mutate");
    expect(docs[5]?.spec.replicas).toBe(2);
    expect(docs[5]?.spec.template.spec.containers[0].args).toContain("--deadline=4000ms");
    expect(docs[7]?.spec).toEqual({
      minAvailable: 1,
      selector: { matchLabels: docs[5]?.spec.selector.matchLabels },
    });
  });

  it("refuses to do anything but print", async () => {
    const r = await cli(["admission", "install", "--tls-cert", certs.ca]);
    expect(r.code).toBe(2);
  });

  it("passes --cluster to the webhook, and refuses a name that is not a DNS label", async () => {
    const r = await installPrint("--cluster", "prod-eu-1");
    expect(r.code).toBe(0);
    // biome-ignore lint/suspicious/noExplicitAny: reading printed YAML back, shape asserted below
    const docs = parseAllDocuments(r.stdout).map((d) => d.toJS() as Record<string, any>);
    const deployment = docs.find((d) => d.kind === "Deployment");
    expect(deployment?.spec.template.spec.containers[0].args).toContain("--cluster=prod-eu-1");
    const bad = await installPrint("--cluster", "Prod EU");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--cluster "Prod EU"');
  });
});

describe("the webhook and the offline check agree (same objects to both)", () => {
  let dir: string;
  let certs: TestCerts;
  let proc: ChildProcess;
  let port = 0;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "palisade-agree-"));
    certs = makeTestCerts(dir);
    proc = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        "src/apps/cli/bin.ts",
        "admission",
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--tls-cert",
        certs.cert,
        "--tls-key",
        certs.key,
        "--policy",
        POLICY,
        "--namespaces",
        CLUSTER,
        "--db",
        join(dir, "none.db"),
        // The agreement is about decisions: no load shedding while a loaded machine holds the loop.
        "--shed-after",
        "1h",
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    port = await new Promise<number>((resolve, reject) => {
      let err = "";
      proc.stderr?.on("data", (c: Buffer) => {
        err += c.toString();
        const m = /listening on https:\/\/[^:]+:(\d+)/.exec(err);
        if (m) resolve(Number(m[1]));
      });
      proc.once("exit", (code) => reject(new Error(`serve exited ${code}: ${err}`)));
    });
  }, 60_000);
  afterAll(async () => {
    // The launcher passes SIGTERM to the served process and exits when it has: no webhook is left behind.
    const launcher = proc?.pid;
    const children =
      launcher === undefined
        ? []
        : readFileSync(`/proc/${launcher}/task/${launcher}/children`, "utf8")
            .trim()
            .split(" ")
            .filter(Boolean);
    const exited = new Promise((resolve) => proc?.once("exit", resolve));
    proc?.kill("SIGTERM");
    await exited;
    for (const c of children) expect(existsSync(`/proc/${c}`)).toBe(false);
    rmSync(dir, { recursive: true, force: true });
  });

  const post = (
    body: unknown,
  ): Promise<{ response: { allowed: boolean; status?: { message: string }; warnings?: string[] } }> =>
    new Promise((resolve, reject) => {
      const req = request(
        {
          host: "127.0.0.1",
          port,
          method: "POST",
          path: "/validate",
          ca: readFileSync(certs.ca),
          headers: { "content-type": "application/json" },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => resolve(JSON.parse(Buffer.concat(chunks).toString())));
        },
      );
      req.on("error", reject);
      req.end(JSON.stringify(body));
    });

  it("the webhook's launcher relaunches it with its collector on one thread, and passes SIGTERM on", async () => {
    // heap.ts webhookGcFlags: the served process is the launcher's only child, started with --single-threaded-gc.
    const launcher = proc.pid as number;
    const children = readFileSync(`/proc/${launcher}/task/${launcher}/children`, "utf8")
      .trim()
      .split(" ")
      .filter(Boolean);
    expect(children).toHaveLength(1);
    const child = Number(children[0]);
    const words = readFileSync(`/proc/${child}/cmdline`, "utf8").split("\0");
    expect(words).toContain("--single-threaded-gc");
    expect(words.slice(words.indexOf("admission"), words.indexOf("admission") + 2)).toEqual([
      "admission",
      "serve",
    ]);
    expect(readFileSync(`/proc/${launcher}/cmdline`, "utf8").split("\0")).not.toContain(
      "--single-threaded-gc",
    );
  });

  it("every workload of the manifests gets the same allowed, message and warnings from both", async () => {
    const offline = JSON.parse(
      (await cli(["admission", "test", "-f", CLUSTER, "--policy", POLICY, "-o", "json"])).stdout,
    ) as {
      decisions: Decision[];
    };
    const loaded = await loadManifestPaths([CLUSTER], { cwd: process.cwd() });
    const objects = loaded.objects.map((o) => o.object).filter((o) => o.kind !== "Namespace");
    expect(objects).toHaveLength(offline.decisions.length);
    for (const object of objects) {
      const meta = object.metadata as { name: string; namespace: string };
      const online = (await post(reviewForCreate(object, `agree-${meta.name}`))).response;
      const d = offline.decisions.find(
        (x) => x.resource.name === meta.name && x.resource.namespace === meta.namespace,
      );
      expect({
        name: meta.name,
        allowed: online.allowed,
        message: online.status?.message,
        warnings: online.warnings ?? [],
      }).toEqual({
        name: meta.name,
        allowed: d?.allowed,
        message: d?.message,
        warnings: d?.warnings,
      });
    }
  });
});

describe("palisade admission test --signatures (keys and bundles made here)", () => {
  it("admits the signed image and denies the unsigned one with the reason", async () => {
    const { generateKeyPairSync, sign } = await import("node:crypto");
    const { mkdirSync, writeFileSync } = await import("node:fs");
    const dir = mkdtempSync(join(tmpdir(), "palisade-sig-cli-"));
    try {
      const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
      writeFileSync(join(dir, "release.pub"), publicKey.export({ type: "spki", format: "pem" }));
      mkdirSync(join(dir, "bundles"));
      const signed = `sha256:${"a".repeat(64)}`;
      const unsigned = `sha256:${"b".repeat(64)}`;
      const payloadType = "application/vnd.dev.cosign.simplesigning.v1+json";
      const payload = Buffer.from(
        JSON.stringify({ critical: { image: { "docker-manifest-digest": signed } } }),
      );
      const pae = Buffer.concat([
        Buffer.from(`DSSEv1 ${payloadType.length} ${payloadType} ${payload.length} `),
        payload,
      ]);
      writeFileSync(
        join(dir, "bundles", `sha256-${"a".repeat(64)}.sigstore.json`),
        JSON.stringify({
          mediaType: "application/vnd.dev.sigstore.bundle.v0.3+json",
          verificationMaterial: { publicKey: { hint: "release" }, tlogEntries: [] },
          dsseEnvelope: {
            payload: payload.toString("base64"),
            payloadType,
            signatures: [{ sig: sign("sha256", pae, privateKey).toString("base64"), keyid: "" }],
          },
        }),
      );
      writeFileSync(
        join(dir, "policy.yaml"),
        'apiVersion: palisade.dev/v1alpha1\nkind: AdmissionPolicy\ndefaultMode: enforce\nsignatures:\n  - {images: ["registry.acme.internal/*"], keys: [release.pub], from: dir}\n',
      );
      const pod = (name: string, digest: string) =>
        `apiVersion: v1\nkind: Pod\nmetadata: {name: ${name}, namespace: shop}\nspec:\n  containers: [{name: app, image: "registry.acme.internal/api@${digest}"}]\n`;
      writeFileSync(
        join(dir, "pods.yaml"),
        `apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n---\n${pod("signed", signed)}---\n${pod("unsigned", unsigned)}`,
      );
      const r = await cli([
        "admission",
        "test",
        "-f",
        join(dir, "pods.yaml"),
        "--policy",
        join(dir, "policy.yaml"),
        "--signatures",
        join(dir, "bundles"),
        "-o",
        "json",
      ]);
      expect(r.code).toBe(1);
      const out = JSON.parse(r.stdout) as { decisions: Decision[] };
      expect(out.decisions.map((d) => [d.resource.name, d.allowed])).toEqual([
        ["signed", true],
        ["unsigned", false],
      ]);
      expect(out.decisions[1]?.message).toContain(
        `must be signed: no signature bundle for ${unsigned} [image/signature]`,
      );
      const without = await cli([
        "admission",
        "test",
        "-f",
        join(dir, "pods.yaml"),
        "--policy",
        join(dir, "policy.yaml"),
      ]);
      expect(without.code).toBe(2);
      expect(without.stderr).toContain("--signatures DIR");
      // The rule that reads the directory only is named with its line.
      expect(without.stderr).toContain(`${join(dir, "policy.yaml")}:5: signatures[0]`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
