import { describe, expect, it } from "vitest";
import {
  applyApiDefaults,
  checksFor,
  effectiveMinor,
  evaluatePss,
  LATEST_POLICY_MINOR,
  type PssLevel,
  type PssResult,
  type PssVersion,
  parsePssVersion,
} from "./evaluate.js";
import { compareGo, goQuote } from "./go-format.js";

/** A pod that passes restricted at every version (the base of upstream's testdata fixtures). */
function restrictedSpec(): Record<string, unknown> {
  return {
    containers: [
      {
        name: "container1",
        image: "registry.k8s.io/pause",
        securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
      },
    ],
    initContainers: [
      {
        name: "initcontainer1",
        image: "registry.k8s.io/pause",
        securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
      },
    ],
    securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
  };
}

const evalSpec = (spec: unknown, level: PssLevel, version: PssVersion, annotations = {}): PssResult =>
  evaluatePss({ annotations }, spec, level, version);

const checksOf = (r: PssResult): string[] => r.violations.map((v) => v.check);

describe("version resolution", () => {
  it("parses versions like api.ParseVersion", () => {
    expect(parsePssVersion("latest")).toBe("latest");
    expect(parsePssVersion("v1.0")).toBe("v1.0");
    expect(parsePssVersion("v1.23")).toBe("v1.23");
    expect(parsePssVersion("v1.99")).toBe("v1.99");
    for (const bad of ["v1.01", "1.23", "v2.0", "v1.", "V1.23", "v1.23.0", " v1.23", "Latest", "", "v1.-1"])
      expect(parsePssVersion(bad)).toBeUndefined();
  });

  it("clamps latest, invalid and future versions to the newest policy", () => {
    expect(LATEST_POLICY_MINOR).toBe(37);
    expect(effectiveMinor("latest")).toBe(37);
    expect(effectiveMinor("v1.99")).toBe(37);
    expect(effectiveMinor("v1.01")).toBe(37);
    expect(effectiveMinor("v1.36")).toBe(36);
    expect(effectiveMinor("v1.22")).toBe(22);
  });

  it("orders checks like the upstream registry: baseline ids sorted, then restricted", () => {
    expect(checksFor("restricted", 35).map((c) => c.id)).toEqual([
      "appArmorProfile",
      "hostNamespaces",
      "hostPorts",
      "hostProbesAndHostLifecycle",
      "privileged",
      "seLinuxOptions",
      "sysctls",
      "windowsHostProcess",
      "allowPrivilegeEscalation",
      "capabilities_restricted",
      "procMount_restricted",
      "restrictedVolumes",
      "runAsNonRoot",
      "runAsUser",
      "seccompProfile_restricted",
    ]);
    expect(checksFor("restricted", 0).map((c) => c.id)).toEqual([
      "appArmorProfile",
      "capabilities_baseline",
      "hostNamespaces",
      "hostPorts",
      "privileged",
      "procMount",
      "seLinuxOptions",
      "seccompProfile_baseline",
      "sysctls",
      "windowsHostProcess",
      "restrictedVolumes",
      "runAsNonRoot",
    ]);
    expect(checksFor("baseline", 33).map((c) => c.id)).toEqual([
      "appArmorProfile",
      "capabilities_baseline",
      "hostNamespaces",
      "hostPathVolumes",
      "hostPorts",
      "privileged",
      "procMount",
      "seLinuxOptions",
      "seccompProfile_baseline",
      "sysctls",
      "windowsHostProcess",
    ]);
  });
});

describe("evaluatePss", () => {
  it("privileged allows everything", () => {
    expect(evalSpec({ hostPID: true }, "privileged", "latest")).toEqual({ allowed: true, violations: [] });
  });

  it("aggregates violations with upstream's message shape", () => {
    const spec = {
      hostNetwork: true,
      containers: [{ name: "app", securityContext: { privileged: true } }],
    };
    expect(evalSpec(spec, "baseline", "latest")).toEqual({
      allowed: false,
      violations: [
        {
          check: "hostNamespaces",
          reason: "host namespaces",
          detail: "hostNetwork=true",
          message: "host namespaces (hostNetwork=true)",
        },
        {
          check: "privileged",
          reason: "privileged",
          detail: 'container "app" must not set securityContext.privileged=true',
          message: 'privileged (container "app" must not set securityContext.privileged=true)',
        },
      ],
    });
    expect(checksOf(evalSpec(spec, "restricted", "latest"))).toEqual([
      "hostNamespaces",
      "privileged",
      "allowPrivilegeEscalation",
      "capabilities_restricted",
      "runAsNonRoot",
      "seccompProfile_restricted",
    ]);
  });

  it("restricted includes baseline checks", () => {
    const spec = restrictedSpec();
    (spec.securityContext as Record<string, unknown>).sysctls = [{ name: "kernel.msgmax", value: "1" }];
    expect(checksOf(evalSpec(spec, "restricted", "latest"))).toEqual(["sysctls"]);
  });
});

describe("version boundaries", () => {
  it("runAsUser=0 is allowed by restricted v1.22 and rejected from v1.23", () => {
    // Port of upstream testdata restricted/v1.23/fail/runasuser1.yaml.
    const spec = restrictedSpec();
    const c = (spec.containers as Record<string, Record<string, unknown>>[])[0]!;
    (c.securityContext as Record<string, unknown>).runAsUser = 0;
    expect(evalSpec(spec, "restricted", "v1.22")).toEqual({ allowed: true, violations: [] });
    expect(evalSpec(spec, "restricted", "v1.23")).toEqual({
      allowed: false,
      violations: [
        {
          check: "runAsUser",
          reason: "runAsUser=0",
          detail: 'container "container1" must not set runAsUser=0',
          message: 'runAsUser=0 (container "container1" must not set runAsUser=0)',
        },
      ],
    });
  });

  it("capabilities_restricted applies from v1.22, overriding capabilities_baseline", () => {
    // Port of upstream testdata restricted/v1.23/fail/capabilities_restricted0.yaml.
    const spec = restrictedSpec();
    const c = (spec.containers as Record<string, Record<string, unknown>>[])[0]!;
    c.securityContext = { allowPrivilegeEscalation: false, capabilities: { add: ["NET_RAW"] } };
    expect(checksOf(evalSpec(spec, "restricted", "v1.21"))).toEqual(["capabilities_baseline"]);
    expect(evalSpec(spec, "restricted", "v1.22").violations).toEqual([
      {
        check: "capabilities_restricted",
        reason: "unrestricted capabilities",
        detail:
          'container "container1" must set securityContext.capabilities.drop=["ALL"]; container "container1" must not include "NET_RAW" in securityContext.capabilities.add',
        message:
          'unrestricted capabilities (container "container1" must set securityContext.capabilities.drop=["ALL"]; container "container1" must not include "NET_RAW" in securityContext.capabilities.add)',
      },
    ]);
  });

  it("allowPrivilegeEscalation starts at v1.8", () => {
    const spec = { securityContext: { runAsNonRoot: true }, containers: [{ name: "a" }] };
    expect(evalSpec(spec, "restricted", "v1.7")).toEqual({ allowed: true, violations: [] });
    expect(checksOf(evalSpec(spec, "restricted", "v1.8"))).toEqual(["allowPrivilegeEscalation"]);
  });

  it("seccomp reads annotations before v1.19 and fields from v1.19", () => {
    const annotations = { "seccomp.security.alpha.kubernetes.io/pod": "unconfined" };
    const spec = { containers: [{ name: "a", securityContext: { seccompProfile: { type: "Unconfined" } } }] };
    expect(evalSpec(spec, "baseline", "v1.18", annotations).violations).toEqual([
      {
        check: "seccompProfile_baseline",
        reason: "seccompProfile",
        detail: 'forbidden annotation seccomp.security.alpha.kubernetes.io/pod="unconfined"',
        message:
          'seccompProfile (forbidden annotation seccomp.security.alpha.kubernetes.io/pod="unconfined")',
      },
    ]);
    expect(evalSpec(spec, "baseline", "v1.19", annotations).violations).toEqual([
      {
        check: "seccompProfile_baseline",
        reason: "seccompProfile",
        detail: 'container "a" must not set securityContext.seccompProfile.type to "Unconfined"',
        message:
          'seccompProfile (container "a" must not set securityContext.seccompProfile.type to "Unconfined")',
      },
    ]);
  });

  it("restricted v1.23 rejects an Unconfined init container (testdata seccompprofile_baseline2.yaml)", () => {
    const spec = restrictedSpec();
    const init = (spec.initContainers as Record<string, Record<string, unknown>>[])[0]!;
    (init.securityContext as Record<string, unknown>).seccompProfile = { type: "Unconfined" };
    expect(evalSpec(spec, "restricted", "v1.23").violations).toEqual([
      {
        check: "seccompProfile_restricted",
        reason: "seccompProfile",
        detail: 'container "initcontainer1" must not set securityContext.seccompProfile.type to "Unconfined"',
        message:
          'seccompProfile (container "initcontainer1" must not set securityContext.seccompProfile.type to "Unconfined")',
      },
    ]);
  });

  it("the five original safe sysctls pass restricted v1.23 (testdata pass/sysctls1.yaml)", () => {
    const spec = restrictedSpec();
    (spec.securityContext as Record<string, unknown>).sysctls = [
      { name: "kernel.shm_rmid_forced", value: "0" },
      { name: "net.ipv4.ip_local_port_range", value: "1024 65535" },
      { name: "net.ipv4.tcp_syncookies", value: "0" },
      { name: "net.ipv4.ping_group_range", value: "1 0" },
      { name: "net.ipv4.ip_unprivileged_port_start", value: "1024" },
    ];
    expect(evalSpec(spec, "restricted", "v1.23")).toEqual({ allowed: true, violations: [] });
  });

  it("sysctl additions at v1.27, v1.29, v1.32 and v1.37", () => {
    const withSysctl = (name: string) => ({ securityContext: { sysctls: [{ name, value: "1" }] } });
    const allowedAt = (name: string, v: PssVersion) => evalSpec(withSysctl(name), "baseline", v).allowed;
    expect([
      allowedAt("net.ipv4.ip_local_reserved_ports", "v1.26"),
      allowedAt("net.ipv4.ip_local_reserved_ports", "v1.27"),
    ]).toEqual([false, true]);
    expect([
      allowedAt("net.ipv4.tcp_fin_timeout", "v1.28"),
      allowedAt("net.ipv4.tcp_fin_timeout", "v1.29"),
    ]).toEqual([false, true]);
    expect([allowedAt("net.ipv4.tcp_wmem", "v1.31"), allowedAt("net.ipv4.tcp_wmem", "v1.32")]).toEqual([
      false,
      true,
    ]);
    // check_sysctls.go (k8s.io/pod-security-admission v0.37): sysctlsAllowedV1Dot37.
    for (const name of ["net.ipv4.tcp_slow_start_after_idle", "net.ipv4.tcp_notsent_lowat"])
      expect([name, allowedAt(name, "v1.35"), allowedAt(name, "v1.36"), allowedAt(name, "v1.37")]).toEqual([
        name,
        false,
        false,
        true,
      ]);
    expect(allowedAt("net.ipv4.tcp_slow_start_after_idle", "latest")).toBe(true);
    expect(allowedAt("net.ipv4.tcp_slow_start_after_idle", "v1.99")).toBe(true);
  });

  it("probe and lifecycle hosts are checked from v1.34", () => {
    const spec = { containers: [{ name: "a", startupProbe: { httpGet: { host: "localhost", port: 80 } } }] };
    expect(evalSpec(spec, "baseline", "v1.33").allowed).toBe(true);
    expect(evalSpec(spec, "baseline", "v1.34").violations).toEqual([
      {
        check: "hostProbesAndHostLifecycle",
        reason: "probe or lifecycle host",
        detail: 'container "a" uses probe or lifecycle host "localhost"',
        message: 'probe or lifecycle host (container "a" uses probe or lifecycle host "localhost")',
      },
    ]);
  });

  it("Windows pods are exempt from Linux-only restricted checks from v1.25", () => {
    const spec = {
      os: { name: "windows" },
      securityContext: { runAsNonRoot: true },
      containers: [{ name: "win" }],
    };
    expect(checksOf(evalSpec(spec, "restricted", "v1.24"))).toEqual([
      "allowPrivilegeEscalation",
      "capabilities_restricted",
      "seccompProfile_restricted",
    ]);
    expect(evalSpec(spec, "restricted", "v1.25")).toEqual({ allowed: true, violations: [] });
    // Upstream quirk kept: the restricted seccomp check overrides the baseline one, so a Windows pod
    // with an Unconfined profile passes restricted but not baseline.
    const unconfined = {
      ...spec,
      securityContext: { runAsNonRoot: true, seccompProfile: { type: "Unconfined" } },
    };
    expect(evalSpec(unconfined, "restricted", "v1.25").allowed).toBe(true);
    expect(checksOf(evalSpec(unconfined, "baseline", "v1.25"))).toEqual(["seccompProfile_baseline"]);
  });

  it("user-namespace pods relax runAsNonRoot, runAsUser and baseline procMount from v1.35", () => {
    const spec = {
      hostUsers: false,
      securityContext: { seccompProfile: { type: "RuntimeDefault" }, runAsUser: 0 },
      containers: [
        {
          name: "a",
          securityContext: {
            allowPrivilegeEscalation: false,
            capabilities: { drop: ["ALL"] },
            procMount: "Unmasked",
          },
        },
      ],
    };
    expect(checksOf(evalSpec(spec, "restricted", "v1.34"))).toEqual([
      "procMount",
      "runAsNonRoot",
      "runAsUser",
    ]);
    expect(checksOf(evalSpec(spec, "restricted", "v1.35"))).toEqual(["procMount_restricted"]);
    expect(checksOf(evalSpec(spec, "baseline", "v1.34"))).toEqual(["procMount"]);
    expect(evalSpec(spec, "baseline", "v1.35").allowed).toBe(true);
  });

  it("image volumes and appArmorProfile fields apply at every version (patched into 1.0 upstream)", () => {
    const spec = { ...restrictedSpec(), volumes: [{ name: "img", image: { reference: "x" } }] };
    expect(evalSpec(spec, "restricted", "v1.0").allowed).toBe(true);
    expect(
      checksOf(
        evalSpec({ securityContext: { appArmorProfile: { type: "Unconfined" } } }, "baseline", "v1.0"),
      ),
    ).toEqual(["appArmorProfile"]);
  });

  it("latest equals the newest version and future versions", () => {
    const spec = {
      hostIPC: true,
      containers: [{ name: "a", readinessProbe: { tcpSocket: { host: "h", port: 1 } } }],
    };
    const latest = evalSpec(spec, "restricted", "latest");
    expect(evalSpec(spec, "restricted", "v1.35")).toEqual(latest);
    expect(evalSpec(spec, "restricted", "v1.99")).toEqual(latest);
  });
});

describe("API defaulting", () => {
  it("a volume without a source becomes emptyDir, as the API server defaults it", () => {
    expect(applyApiDefaults({ volumes: [{ name: "a" }, { name: "b", nfs: {} }] })).toEqual({
      volumes: [
        { name: "a", emptyDir: {} },
        { name: "b", nfs: {} },
      ],
    });
    const spec = { volumes: [{ name: "b", nfs: {} }] };
    expect(applyApiDefaults(spec)).toBe(spec);
  });
});

describe("Go formatting", () => {
  it("quotes like strconv.Quote", () => {
    expect(goQuote('a"b\\c\n\t')).toBe('"a\\"b\\\\c\\n\\t"');
    expect(goQuote("\x01\x7f")).toBe('"\\x01\\x7f"');
    expect(goQuote("é😀")).toBe('"é😀"');
    expect(goQuote("\u00a0\u200b")).toBe('"\\u00a0\\u200b"');
  });

  it("sorts by code point like Go", () => {
    expect(["\uffff", "😀", "a", "B"].sort(compareGo)).toEqual(["B", "a", "\uffff", "😀"]);
  });
});

describe("pathological cases", () => {
  it("a missing or non-object spec reads as an empty spec", () => {
    for (const spec of [undefined, null, "pod", 42, [], true])
      expect(evalSpec(spec, "restricted", "latest")).toEqual({ allowed: true, violations: [] });
  });

  it("wrong-typed fields read as unset and never throw", () => {
    const spec = {
      hostNetwork: "true",
      containers: [
        "not-a-container",
        null,
        {
          name: 7,
          securityContext: "privileged",
          ports: [{ hostPort: "80" }, { hostPort: Number.NaN }, null],
        },
        { name: "b", securityContext: { privileged: "true", capabilities: { add: [1, null, "SYS_ADMIN"] } } },
      ],
      volumes: "hostPath",
      securityContext: { sysctls: [null, { name: 5 }], seLinuxOptions: [] },
    };
    expect(evalSpec(spec, "baseline", "latest").violations).toEqual([
      {
        check: "capabilities_baseline",
        reason: "non-default capabilities",
        detail: 'container "b" must not include "SYS_ADMIN" in securityContext.capabilities.add',
        message:
          'non-default capabilities (container "b" must not include "SYS_ADMIN" in securityContext.capabilities.add)',
      },
      {
        check: "sysctls",
        reason: "forbidden sysctls",
        detail: "",
        message: "forbidden sysctls",
      },
    ]);
  });

  it("hostile annotation keys and values are quoted, never interpreted", () => {
    const annotations = JSON.parse(
      '{"__proto__":"x","container.apparmor.security.beta.kubernetes.io/a":"un\\"conf\\nined"}',
    ) as Record<string, unknown>;
    expect(evaluatePss({ annotations }, {}, "baseline", "latest").violations).toEqual([
      {
        check: "appArmorProfile",
        reason: "forbidden AppArmor profile",
        detail:
          'annotation must not set AppArmor profile type to "container.apparmor.security.beta.kubernetes.io/a="un\\"conf\\nined""',
        message:
          'forbidden AppArmor profile (annotation must not set AppArmor profile type to "container.apparmor.security.beta.kubernetes.io/a="un\\"conf\\nined"")',
      },
    ]);
  });

  it("a huge container list is evaluated completely", () => {
    const containers = Array.from({ length: 20_000 }, (_, i) => ({
      name: `c${i}`,
      securityContext: { privileged: i % 2 === 0 },
    }));
    const r = evalSpec({ containers }, "baseline", "latest");
    expect(r.allowed).toBe(false);
    const detail = r.violations[0]?.detail ?? "";
    expect(detail.startsWith('containers "c0", "c2", "c4"')).toBe(true);
    expect(detail.split('", "').length).toBe(10_000);
  });

  it("an invalid version evaluates as latest, like upstream", () => {
    const spec = { containers: [{ name: "a", livenessProbe: { httpGet: { host: "h" } } }] };
    expect(evalSpec(spec, "baseline", "v1.01" as PssVersion)).toEqual(evalSpec(spec, "baseline", "latest"));
  });
});
