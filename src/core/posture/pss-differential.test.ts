/**
 * Differential test: posture rules that carry a Pod Security Standards reference against the exact PSS evaluator
 * (core/pss, a port of k8s.io/pod-security-admission). On random well-typed pod specs, a PSS check fails exactly
 * when one of the mapped posture rules fires.
 *
 * Deliberate differences, kept out of the generator (each with its reason):
 * - seccompProfile, runAsUser and runAsNonRoot: false at pod level: PSS fails a forbidden pod-level value even
 *   when every container overrides it; posture rules report the EFFECTIVE value (container overrides pod, as the
 *   kubelet applies it). The generator sets seccompProfile and runAsUser at container level only, and pod-level
 *   runAsNonRoot only to true.
 * - AppArmor annotations: PSS allows only `runtime/default` and `localhost/*`; PAL-POD-024 reports only
 *   `unconfined` (other values are rejected by API validation since v1.30). The generator uses those two values.
 * - Capability names: PSS compares case-sensitively; posture normalises case and the `CAP_` prefix. The generator
 *   uses canonical upper-case names.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { buildInventory } from "../inventory/index.js";
import { evaluateWorkloadPss } from "../pss/index.js";
import { evaluatePosture } from "./index.js";

/** PSS check id -> posture rules that together implement it (rule NET_RAW counts only for an explicit add). */
const MAPPING: Record<string, string[]> = {
  privileged: ["PAL-POD-001"],
  hostNamespaces: ["PAL-POD-002", "PAL-POD-003", "PAL-POD-004"],
  hostPorts: ["PAL-POD-005"],
  // Every hostPath volume gets exactly one of these, by what its path exposes.
  hostPathVolumes: ["PAL-POD-006", "PAL-POD-007", "PAL-POD-008", "PAL-POD-009", "PAL-POD-039"],
  capabilities_baseline: ["PAL-POD-010", "PAL-POD-011", "PAL-POD-012", "PAL-POD-013/add", "PAL-POD-014"],
  seLinuxOptions: ["PAL-POD-025"],
  sysctls: ["PAL-POD-026"],
  procMount: ["PAL-POD-027"],
  windowsHostProcess: ["PAL-POD-028"],
  allowPrivilegeEscalation: ["PAL-POD-016"],
  runAsNonRoot: ["PAL-POD-017"],
  runAsUser: ["PAL-POD-018"],
  seccompProfile_baseline: ["PAL-POD-023"],
  appArmorProfile: ["PAL-POD-024"],
};

const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
const CAPS = [
  "CHOWN",
  "NET_BIND_SERVICE",
  "SYS_ADMIN",
  "NET_RAW",
  "NET_ADMIN",
  "SYS_NICE",
  "ALL",
  "KILL",
  "BPF",
];

const containerSc = fc.record(
  {
    privileged: opt(fc.boolean()),
    allowPrivilegeEscalation: opt(fc.boolean()),
    runAsNonRoot: opt(fc.boolean()),
    runAsUser: opt(fc.constantFrom(0, 1000, 20000)),
    procMount: opt(fc.constantFrom("Default", "Unmasked")),
    capabilities: opt(
      fc.record(
        { add: opt(fc.subarray(CAPS)), drop: opt(fc.subarray(["ALL", "NET_RAW"])) },
        { requiredKeys: [] },
      ),
    ),
    seccompProfile: opt(fc.record({ type: fc.constantFrom("RuntimeDefault", "Unconfined", "Localhost") })),
    appArmorProfile: opt(fc.record({ type: fc.constantFrom("RuntimeDefault", "Unconfined") })),
    seLinuxOptions: opt(
      fc.record(
        { type: fc.constantFrom("container_t", "spc_t", ""), user: fc.constantFrom("", "system_u") },
        { requiredKeys: [] },
      ),
    ),
    windowsOptions: opt(fc.record({ hostProcess: fc.boolean() })),
  },
  { requiredKeys: [] },
);

const container = (name: string) =>
  fc.record(
    {
      name: fc.constant(name),
      image: fc.constant("registry.example.com/app:1"),
      securityContext: opt(containerSc),
      ports: opt(
        fc.array(fc.record({ containerPort: fc.constant(80), hostPort: opt(fc.constantFrom(0, 8080)) })),
      ),
    },
    { requiredKeys: ["name", "image"] },
  );

const podSpec = fc.record(
  {
    containers: fc.tuple(container("a"), opt(container("b"))).map(([a, b]) => (b ? [a, b] : [a])),
    initContainers: opt(container("init").map((c) => [c])),
    hostPID: opt(fc.boolean()),
    hostIPC: opt(fc.boolean()),
    hostNetwork: opt(fc.boolean()),
    securityContext: opt(
      fc.record(
        {
          // Pod-level false is a PSS violation even when every container sets true (see header).
          runAsNonRoot: opt(fc.constant(true)),
          seLinuxOptions: opt(fc.record({ type: fc.constantFrom("container_init_t", "unconfined_t") })),
          sysctls: opt(
            fc.subarray([
              { name: "net.ipv4.tcp_syncookies", value: "1" },
              { name: "kernel.msgmax", value: "1" },
            ]),
          ),
          windowsOptions: opt(fc.record({ hostProcess: fc.boolean() })),
        },
        { requiredKeys: [] },
      ),
    ),
    volumes: opt(
      fc.subarray([
        { name: "h", hostPath: { path: "/var/log" } },
        { name: "e", emptyDir: {} },
      ]),
    ),
  },
  { requiredKeys: ["containers"] },
);

const annotations = opt(
  fc
    .constantFrom("runtime/default", "unconfined")
    .map((v) => ({ "container.apparmor.security.beta.kubernetes.io/a": v })),
);

describe("differential: posture rules with PSS references agree with the exact PSS evaluator", () => {
  it("agrees on 400 random pods, check by check", () => {
    fc.assert(
      fc.property(podSpec, annotations, (spec, ann) => {
        const pod = {
          apiVersion: "v1",
          kind: "Pod",
          metadata: { name: "p", namespace: "shop", ...(ann ? { annotations: ann } : {}) },
          spec,
        };
        const inv = buildInventory([{ object: JSON.parse(JSON.stringify(pod)) as Record<string, unknown> }]);
        const w = inv.workloads[0];
        if (!w) throw new Error("pod not modelled");
        // Restricted checks override their baseline counterparts (capabilities_restricted hides
        // capabilities_baseline), so both levels are evaluated and their failed checks united.
        const failedChecks = new Set(
          (["baseline", "restricted"] as const).flatMap((level) =>
            evaluateWorkloadPss(w, level, "latest").violations.map((v) => v.check),
          ),
        );
        const fired = new Set<string>();
        for (const f of evaluatePosture(inv).findings) {
          fired.add(f.ruleId);
          if (f.ruleId === "PAL-POD-013" && /capabilities\.add\[\d+\]$/.test(f.fieldPath ?? ""))
            fired.add("PAL-POD-013/add");
        }
        for (const [check, rules] of Object.entries(MAPPING)) {
          const posture = rules.some((r) => fired.has(r));
          expect({ check, posture }).toEqual({ check, posture: failedChecks.has(check) });
        }
      }),
      { numRuns: 400, seed: 7 },
    );
  });
});
