import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { inBatches, kubeTestsEnabled, prng, type RealCluster, startCluster } from "./kube-apiserver.js";

/**
 * Issue 13: Pod Security differential against a real kube-apiserver. Generated pods are created with server-side
 * dry-run in namespaces labelled pod-security.kubernetes.io/enforce=LEVEL and enforce-version=VERSION; the real
 * PodSecurity admission plugin admits or rejects each. `palisade pss --namespaces` over the same namespaces and
 * pods must reject exactly the pods the server rejected. Pods the server refuses for another reason (API
 * validation, 422) are not compared, and are counted so that the comparison stays meaningful.
 *
 * Versions: the server is v1.35, so policy versions up to v1.35 are compared; "latest" is not (the server's latest
 * is v1.35, Palisade's is newer).
 */

const SEED = 0x9055_13;
const MODES: [string, string][] = [
  ["baseline", "v1.23"],
  ["baseline", "v1.35"],
  ["restricted", "v1.22"],
  ["restricted", "v1.25"],
  ["restricted", "v1.30"],
  ["restricted", "v1.35"],
];
const PODS = 70;

describe.runIf(kubeTestsEnabled())("Pod Security differential against a real kube-apiserver", () => {
  let c: RealCluster;
  const rand = prng(SEED);
  const chance = (p: number) => rand() < p;
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const maybe = <T>(p: number, v: () => T): T | undefined => (chance(p) ? v() : undefined);
  /** Drop undefined fields so the pod is what the server stores. */
  const clean = (o: Record<string, unknown>): Record<string, unknown> =>
    Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

  /**
   * A container securityContext: random, or (hardened) one that restricted admits with at most one field changed,
   * so that every level sees admitted and rejected pods near its boundary.
   */
  function containerSecurityContext(hardened: boolean) {
    if (hardened) {
      const base: Record<string, unknown> = {
        allowPrivilegeEscalation: false,
        capabilities: { drop: ["ALL"] },
        runAsNonRoot: true,
        seccompProfile: { type: "RuntimeDefault" },
      };
      if (chance(0.3)) {
        const other = randomSecurityContext();
        const keys = Object.keys(other);
        if (keys.length > 0) {
          const k = pick(keys);
          base[k] = other[k];
        }
      }
      return base;
    }
    return chance(0.2) ? undefined : randomSecurityContext();
  }

  function randomSecurityContext(): Record<string, unknown> {
    return clean({
      privileged: maybe(0.1, () => true),
      allowPrivilegeEscalation: maybe(0.6, () => chance(0.7) === false),
      runAsNonRoot: maybe(0.4, () => chance(0.8)),
      runAsUser: maybe(0.3, () => pick([0, 1000, 65534])),
      capabilities: maybe(0.6, () =>
        clean({
          drop: maybe(0.7, () => ["ALL"]),
          add: maybe(0.4, () => [
            pick(["NET_BIND_SERVICE", "NET_RAW", "SYS_ADMIN", "CHOWN", "KILL", "AUDIT_WRITE"]),
          ]),
        }),
      ),
      seccompProfile: maybe(0.5, () =>
        pick([
          { type: "RuntimeDefault" },
          { type: "Unconfined" },
          { type: "Localhost", localhostProfile: "p.json" },
        ]),
      ),
      seLinuxOptions: maybe(0.1, () =>
        pick([{ type: "container_t" }, { type: "spc_t" }, { user: "system_u" }, { level: "s0" }]),
      ),
      appArmorProfile: maybe(0.1, () => pick([{ type: "RuntimeDefault" }, { type: "Unconfined" }])),
      procMount: maybe(0.05, () => "Unmasked"),
    });
  }

  function pod(i: number) {
    const hardened = chance(0.45);
    const names = ["app", "side"].slice(0, chance(0.3) ? 2 : 1);
    const containers = names.map((name) =>
      clean({
        name,
        image: "registry.example/app:1",
        securityContext: containerSecurityContext(hardened),
        ports: maybe(0.1, () => [{ containerPort: 8080, hostPort: pick([8080, 0]) }]),
      }),
    );
    const volumes = [
      maybe(0.3, () => ({ name: "scratch", emptyDir: {} })),
      maybe(hardened ? 0.04 : 0.15, () => ({ name: "host", hostPath: { path: "/var/tmp" } })),
      maybe(0.2, () => ({ name: "cfg", configMap: { name: "cfg" } })),
      maybe(0.1, () => ({ name: "nfs", nfs: { server: "10.0.0.1", path: "/x" } })),
      maybe(0.1, () => ({ name: "claim", persistentVolumeClaim: { claimName: "data" } })),
    ].filter((v) => v !== undefined);
    const spec = clean({
      hostNetwork: maybe(hardened ? 0.02 : 0.08, () => true),
      hostPID: maybe(hardened ? 0.02 : 0.06, () => true),
      hostIPC: maybe(hardened ? 0.02 : 0.06, () => true),
      securityContext: maybe(0.6, () =>
        clean({
          runAsNonRoot: maybe(0.5, () => chance(0.85)),
          runAsUser: maybe(0.2, () => pick([0, 1000])),
          seccompProfile: maybe(0.5, () => pick([{ type: "RuntimeDefault" }, { type: "Unconfined" }])),
          sysctls: maybe(0.15, () => [
            pick([
              { name: "kernel.shm_rmid_forced", value: "0" },
              { name: "net.ipv4.ip_local_port_range", value: "1024 65000" },
              { name: "net.ipv4.ip_unprivileged_port_start", value: "0" },
              { name: "net.ipv4.tcp_keepalive_time", value: "60" },
              { name: "kernel.msgmax", value: "8192" },
            ]),
          ]),
        }),
      ),
      initContainers: maybe(0.15, () =>
        [{ name: "init", image: "busybox:1", securityContext: containerSecurityContext(hardened) }].map(
          clean,
        ),
      ),
      containers,
      volumes: volumes.length > 0 ? volumes : undefined,
    });
    const annotations = maybe(0.08, () => ({
      [`container.apparmor.security.beta.kubernetes.io/${names[0]}`]: pick(["unconfined", "runtime/default"]),
    }));
    return { apiVersion: "v1", kind: "Pod", metadata: clean({ name: `pod-${i}`, annotations }), spec };
  }

  const nsName = ([level, version]: [string, string]) => `${level}-${version.replace(".", "-")}`;

  beforeAll(async () => {
    c = await startCluster();
    for (const m of MODES) {
      const r = await c.api("POST", "/api/v1/namespaces", {
        metadata: {
          name: nsName(m),
          labels: {
            "pod-security.kubernetes.io/enforce": m[0],
            "pod-security.kubernetes.io/enforce-version": m[1],
          },
        },
      });
      if (r.status !== 201) throw new Error(`namespace ${nsName(m)}: ${r.status} ${JSON.stringify(r.body)}`);
    }
  }, 300_000);

  afterAll(async () => {
    await c?.stop();
  });

  it(`palisade pss rejects exactly the pods the real PodSecurity admission rejects (${PODS} pods x ${MODES.length} namespaces)`, async () => {
    const pods = Array.from({ length: PODS }, (_, i) => pod(i));
    const cases = MODES.flatMap((m) => pods.map((p) => ({ ns: nsName(m), pod: p })));
    const answers = await inBatches(cases, 16, async ({ ns, pod: p }) => {
      const r = await c.api("POST", `/api/v1/namespaces/${ns}/pods?dryRun=All`, p);
      if (r.status === 201) return "admitted" as const;
      const message = String(r.body.message ?? "");
      if (r.status === 403 && message.includes("violates PodSecurity")) return "rejected" as const;
      return `invalid (${r.status}: ${message.slice(0, 160)})`;
    });
    // The same namespaces (with their labels) and pods, as manifests for Palisade.
    const docs = [
      ...MODES.map((m) => ({
        apiVersion: "v1",
        kind: "Namespace",
        metadata: {
          name: nsName(m),
          labels: {
            "pod-security.kubernetes.io/enforce": m[0],
            "pod-security.kubernetes.io/enforce-version": m[1],
          },
        },
      })),
      ...cases
        .filter((_, i) => answers[i] === "admitted" || answers[i] === "rejected")
        .map(({ ns, pod: p }) => ({ ...p, metadata: { ...p.metadata, namespace: ns } })),
    ];
    const file = join(c.dir, "pods.json");
    writeFileSync(file, JSON.stringify({ apiVersion: "v1", kind: "List", items: docs }));
    const r = await runCli(["pss", file, "--namespaces", "-o", "json"]);
    expect(r.stderr).toBe("");
    const report = JSON.parse(r.stdout) as {
      namespaces: { namespace: string; rejected: { resource: { name: string } }[] }[];
    };
    const palisadeRejects = new Set(
      report.namespaces.flatMap((n) => n.rejected.map((x) => `${n.namespace}/${x.resource.name}`)),
    );
    const mismatches: string[] = [];
    cases.forEach(({ ns, pod: p }, i) => {
      const server = answers[i];
      if (server !== "admitted" && server !== "rejected") return;
      const palisade = palisadeRejects.has(`${ns}/${p.metadata.name}`) ? "rejected" : "admitted";
      if (palisade !== server)
        mismatches.push(
          `seed ${SEED}: ${ns}/${p.metadata.name}: server ${server}, palisade ${palisade}: ${JSON.stringify(p.spec)}`,
        );
    });
    expect(mismatches).toEqual([]);
    // Meaningful: most generated pods are valid, and both verdicts occur in every namespace.
    const invalid = answers.filter((a) => a !== "admitted" && a !== "rejected");
    expect(invalid.length, invalid.slice(0, 5).join("\n")).toBeLessThan(cases.length * 0.2);
    for (const m of MODES) {
      const mine = answers.filter((_, i) => cases[i]?.ns === nsName(m));
      expect(mine.filter((a) => a === "admitted").length, nsName(m)).toBeGreaterThan(3);
      expect(mine.filter((a) => a === "rejected").length, nsName(m)).toBeGreaterThan(3);
    }
  });
});
