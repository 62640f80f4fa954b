import { describe, expect, it } from "vitest";
import { CHECKS, type CheckResult } from "./checks.js";
import type { Obj } from "./pod-view.js";

/** Run one check revision directly, as upstream's check_*_test.go do. */
function run(id: string, minor: number, spec: Obj, annotations: Record<string, string> = {}): CheckResult {
  const def = CHECKS.find((c) => c.id === id);
  if (!def) throw new Error(`no check ${id}`);
  let current: (typeof def.versions)[number] | undefined;
  for (const v of def.versions) if (v.minimum <= minor) current = v;
  if (!current) throw new Error(`check ${id} has no revision at 1.${minor}`);
  return current.check({ annotations }, spec);
}

const deny = (reason: string, detail: string): CheckResult => ({ allowed: false, reason, detail });
const ALLOWED: CheckResult = { allowed: true };

describe("check registry", () => {
  it("registers exactly upstream's check ids", () => {
    expect(CHECKS.map((c) => `${c.level}:${c.id}`).sort()).toEqual(
      [
        "baseline:appArmorProfile",
        "baseline:capabilities_baseline",
        "baseline:hostNamespaces",
        "baseline:hostPathVolumes",
        "baseline:hostPorts",
        "baseline:hostProbesAndHostLifecycle",
        "baseline:privileged",
        "baseline:procMount",
        "baseline:seLinuxOptions",
        "baseline:seccompProfile_baseline",
        "baseline:sysctls",
        "baseline:windowsHostProcess",
        "restricted:allowPrivilegeEscalation",
        "restricted:capabilities_restricted",
        "restricted:procMount_restricted",
        "restricted:restrictedVolumes",
        "restricted:runAsNonRoot",
        "restricted:runAsUser",
        "restricted:seccompProfile_restricted",
      ].sort(),
    );
  });

  it("keeps revisions strictly increasing and overrides on restricted checks only", () => {
    for (const c of CHECKS) {
      const mins = c.versions.map((v) => v.minimum);
      expect(mins).toEqual([...new Set(mins)].sort((a, b) => a - b));
      if (c.level === "baseline") expect(c.versions.every((v) => v.overrides === undefined)).toBe(true);
    }
  });
});

// Cases below copy the expectations of upstream's policy/check_*_test.go.
describe("baseline checks", () => {
  it("privileged", () => {
    expect(
      run("privileged", 35, {
        initContainers: [{ name: "i", securityContext: { privileged: true } }],
        containers: [
          { name: "a", securityContext: { privileged: false } },
          { name: "b", securityContext: { privileged: true } },
        ],
      }),
    ).toEqual(deny("privileged", 'containers "i", "b" must not set securityContext.privileged=true'));
    expect(
      run("privileged", 35, { containers: [{ name: "a", securityContext: { privileged: true } }] }),
    ).toEqual(deny("privileged", 'container "a" must not set securityContext.privileged=true'));
  });

  it("hostNamespaces lists the namespaces sorted", () => {
    expect(run("hostNamespaces", 35, { hostPID: true, hostNetwork: true, hostIPC: true })).toEqual(
      deny("host namespaces", "hostIPC=true, hostNetwork=true, hostPID=true"),
    );
    expect(run("hostNamespaces", 35, { hostNetwork: false })).toEqual(ALLOWED);
  });

  it("hostPorts (check_hostPorts_test.go)", () => {
    expect(
      run("hostPorts", 35, {
        containers: [
          { name: "a", ports: [{ hostPort: 0 }] },
          { name: "b", ports: [{ hostPort: 0 }, { hostPort: 20 }] },
        ],
      }),
    ).toEqual(deny("hostPort", 'container "b" uses hostPort 20'));
    expect(
      run("hostPorts", 35, {
        containers: [
          { name: "a", ports: [{ hostPort: 0 }] },
          { name: "b", ports: [{ hostPort: 0 }, { hostPort: 10 }, { hostPort: 20 }] },
          { name: "c", ports: [{ hostPort: 0 }, { hostPort: 10 }, { hostPort: 30 }] },
        ],
      }),
    ).toEqual(deny("hostPort", 'containers "b", "c" use hostPorts 10, 20, 30'));
  });

  it("hostPorts sorts ports as strings, like sets.String", () => {
    expect(
      run("hostPorts", 35, { containers: [{ name: "a", ports: [{ hostPort: 9 }, { hostPort: 10 }] }] }),
    ).toEqual(deny("hostPort", 'container "a" uses hostPorts 10, 9'));
  });

  it("hostPathVolumes", () => {
    expect(
      run("hostPathVolumes", 35, {
        volumes: [
          { name: "a", hostPath: { path: "/" } },
          { name: "b", emptyDir: {} },
          { name: "c", hostPath: {} },
        ],
      }),
    ).toEqual(deny("hostPath volumes", 'volumes "a", "c"'));
  });

  it("capabilities_baseline", () => {
    expect(
      run("capabilities_baseline", 35, {
        containers: [
          { name: "a", securityContext: { capabilities: { add: ["FOO", "BAR", "CHOWN"] } } },
          { name: "b", securityContext: { capabilities: { add: ["BAR", "BAZ"] } } },
          { name: "c", securityContext: { capabilities: { add: ["NET_BIND_SERVICE", "CHOWN"] } } },
        ],
      }),
    ).toEqual(
      deny(
        "non-default capabilities",
        'containers "a", "b" must not include "BAR", "BAZ", "FOO" in securityContext.capabilities.add',
      ),
    );
    expect(
      run("capabilities_baseline", 35, {
        containers: [{ name: "a", securityContext: { capabilities: { add: ["NET_RAW"] } } }],
      }),
    ).toEqual(
      deny(
        "non-default capabilities",
        'container "a" must not include "NET_RAW" in securityContext.capabilities.add',
      ),
    );
  });

  it("appArmorProfile fields (check_appArmorProfile_test.go)", () => {
    expect(
      run("appArmorProfile", 35, { securityContext: { appArmorProfile: { type: "Unconfined" } } }),
    ).toEqual(deny("forbidden AppArmor profile", 'pod must not set AppArmor profile type to "Unconfined"'));
    expect(
      run("appArmorProfile", 35, {
        securityContext: { appArmorProfile: { type: "RuntimeDefault" } },
        containers: [{ name: "foo", securityContext: { appArmorProfile: { type: "Unconfined" } } }],
      }),
    ).toEqual(
      deny(
        "forbidden AppArmor profile",
        'container "foo" must not set AppArmor profile type to "Unconfined"',
      ),
    );
    expect(
      run("appArmorProfile", 35, {
        securityContext: { appArmorProfile: { type: "RuntimeDefault" } },
        containers: [{ name: "foo" }],
        initContainers: [{ name: "bar", securityContext: { appArmorProfile: { type: "Unconfined" } } }],
      }),
    ).toEqual(
      deny(
        "forbidden AppArmor profile",
        'container "bar" must not set AppArmor profile type to "Unconfined"',
      ),
    );
    expect(
      run("appArmorProfile", 0, {
        containers: [{ name: "foo", securityContext: { appArmorProfile: { type: "Localhost" } } }],
      }),
    ).toEqual(ALLOWED);
  });

  it("appArmorProfile annotations (check_appArmorProfile_test.go, multiple containers)", () => {
    expect(
      run(
        "appArmorProfile",
        35,
        {},
        {
          "container.apparmor.security.beta.kubernetes.io/": "bogus",
          "container.apparmor.security.beta.kubernetes.io/a": "",
          "container.apparmor.security.beta.kubernetes.io/b": "runtime/default",
          "container.apparmor.security.beta.kubernetes.io/c": "localhost/",
          "container.apparmor.security.beta.kubernetes.io/d": "localhost/foo",
          "container.apparmor.security.beta.kubernetes.io/e": "unconfined",
          "container.apparmor.security.beta.kubernetes.io/f": "unknown",
        },
      ),
    ).toEqual(
      deny(
        "forbidden AppArmor profiles",
        "annotations must not set AppArmor profile type to " +
          [
            '"container.apparmor.security.beta.kubernetes.io/="bogus""',
            '"container.apparmor.security.beta.kubernetes.io/e="unconfined""',
            '"container.apparmor.security.beta.kubernetes.io/f="unknown""',
          ].join(", "),
      ),
    );
    expect(
      run(
        "appArmorProfile",
        35,
        {},
        { "container.apparmor.security.beta.kubernetes.io/test": "runtime/default", env: "prod" },
      ),
    ).toEqual(ALLOWED);
  });

  it("seLinuxOptions (check_seLinuxOptions_test.go)", () => {
    const containers = [
      { name: "a", securityContext: { seLinuxOptions: { type: "container_t" } } },
      { name: "b", securityContext: { seLinuxOptions: { type: "container_init_t" } } },
      { name: "c", securityContext: { seLinuxOptions: { type: "container_kvm_t" } } },
    ];
    const bad = [
      { name: "d", securityContext: { seLinuxOptions: { type: "bar" } } },
      { name: "e", securityContext: { seLinuxOptions: { user: "bar" } } },
      { name: "f", securityContext: { seLinuxOptions: { role: "baz" } } },
    ];
    const badPod = { seLinuxOptions: { type: "foo", user: "bar", role: "baz" } };
    expect(
      run("seLinuxOptions", 35, { securityContext: badPod, containers: [...containers, ...bad] }),
    ).toEqual(
      deny(
        "seLinuxOptions",
        'pod and containers "d", "e", "f" set forbidden securityContext.seLinuxOptions: types "bar", "foo"; user may not be set; role may not be set',
      ),
    );
    expect(run("seLinuxOptions", 35, { securityContext: badPod, containers })).toEqual(
      deny(
        "seLinuxOptions",
        'pod set forbidden securityContext.seLinuxOptions: type "foo"; user may not be set; role may not be set',
      ),
    );
    expect(
      run("seLinuxOptions", 35, {
        securityContext: { seLinuxOptions: {} },
        containers: [...containers, ...bad],
      }),
    ).toEqual(
      deny(
        "seLinuxOptions",
        'containers "d", "e", "f" set forbidden securityContext.seLinuxOptions: type "bar"; user may not be set; role may not be set',
      ),
    );
    expect(run("seLinuxOptions", 35, { containers: [bad[1]!] })).toEqual(
      deny(
        "seLinuxOptions",
        'container "e" set forbidden securityContext.seLinuxOptions: user may not be set',
      ),
    );
  });

  it("seLinuxOptions allows container_engine_t from 1.31", () => {
    const spec = { securityContext: { seLinuxOptions: { type: "container_engine_t" } } };
    expect(run("seLinuxOptions", 30, spec)).toEqual(
      deny("seLinuxOptions", 'pod set forbidden securityContext.seLinuxOptions: type "container_engine_t"'),
    );
    expect(run("seLinuxOptions", 31, spec)).toEqual(ALLOWED);
  });

  it("procMount", () => {
    const spec = {
      containers: [
        { name: "a", securityContext: { procMount: "Default" } },
        { name: "b", securityContext: { procMount: "Unmasked" } },
        { name: "c", securityContext: { procMount: "other" } },
        { name: "d", securityContext: {} },
      ],
    };
    const expected = deny(
      "procMount",
      'containers "b", "c" must not set securityContext.procMount to "Unmasked", "other"',
    );
    expect(run("procMount", 34, spec)).toEqual(expected);
    expect(run("procMount", 35, spec)).toEqual(expected);
    expect(run("procMount", 34, { ...spec, hostUsers: false })).toEqual(expected);
    expect(run("procMount", 35, { ...spec, hostUsers: false })).toEqual(ALLOWED);
    expect(run("procMount_restricted", 35, { ...spec, hostUsers: false })).toEqual(expected);
  });

  it("seccompProfile_baseline 1.0 reads the alpha annotations", () => {
    expect(
      run(
        "seccompProfile_baseline",
        18,
        { containers: [{ name: "a" }, { name: "b" }] },
        {
          "seccomp.security.alpha.kubernetes.io/pod": "unconfined",
          "container.seccomp.security.alpha.kubernetes.io/a": "runtime/default",
          "container.seccomp.security.alpha.kubernetes.io/b": "unconfined",
          "container.seccomp.security.alpha.kubernetes.io/c": "unconfined",
        },
      ),
    ).toEqual(
      deny(
        "seccompProfile",
        'forbidden annotations container.seccomp.security.alpha.kubernetes.io/b="unconfined", seccomp.security.alpha.kubernetes.io/pod="unconfined"',
      ),
    );
    expect(
      run(
        "seccompProfile_baseline",
        18,
        {},
        { "seccomp.security.alpha.kubernetes.io/pod": "docker/default" },
      ),
    ).toEqual(ALLOWED);
  });

  it("seccompProfile_baseline 1.19 reads the fields", () => {
    expect(
      run("seccompProfile_baseline", 19, {
        securityContext: { seccompProfile: { type: "Unconfined" } },
        containers: [
          { name: "a", securityContext: { seccompProfile: { type: "RuntimeDefault" } } },
          { name: "b", securityContext: { seccompProfile: { type: "Unconfined" } } },
          { name: "c", securityContext: { seccompProfile: {} } },
          { name: "d" },
        ],
      }),
    ).toEqual(
      deny(
        "seccompProfile",
        'pod and containers "b", "c" must not set securityContext.seccompProfile.type to "", "Unconfined"',
      ),
    );
    expect(run("seccompProfile_baseline", 19, { containers: [{ name: "d" }] })).toEqual(ALLOWED);
  });

  it("sysctls lists forbidden names in order", () => {
    const spec = {
      securityContext: {
        sysctls: [
          { name: "net.ipv4.tcp_rmem", value: "1" },
          { name: "kernel.msgmax", value: "1" },
          { name: "kernel.shm_rmid_forced", value: "0" },
          { name: "net.ipv4.ip_local_reserved_ports", value: "1" },
          { name: "net.ipv4.tcp_keepalive_time", value: "1" },
        ],
      },
    };
    expect(run("sysctls", 26, spec)).toEqual(
      deny(
        "forbidden sysctls",
        "net.ipv4.tcp_rmem, kernel.msgmax, net.ipv4.ip_local_reserved_ports, net.ipv4.tcp_keepalive_time",
      ),
    );
    expect(run("sysctls", 27, spec)).toEqual(
      deny("forbidden sysctls", "net.ipv4.tcp_rmem, kernel.msgmax, net.ipv4.tcp_keepalive_time"),
    );
    expect(run("sysctls", 29, spec)).toEqual(deny("forbidden sysctls", "net.ipv4.tcp_rmem, kernel.msgmax"));
    expect(run("sysctls", 32, spec)).toEqual(deny("forbidden sysctls", "kernel.msgmax"));
  });

  it("windowsHostProcess", () => {
    expect(
      run("windowsHostProcess", 35, {
        securityContext: { windowsOptions: { hostProcess: true } },
        containers: [
          { name: "a", securityContext: { windowsOptions: { hostProcess: true } } },
          { name: "b", securityContext: { windowsOptions: { hostProcess: false } } },
        ],
      }),
    ).toEqual(
      deny(
        "hostProcess",
        'pod and container "a" must not set securityContext.windowsOptions.hostProcess=true',
      ),
    );
  });

  it("hostProbesAndHostLifecycle (check_hostProbesAndhostLifecycle_test.go)", () => {
    expect(
      run("hostProbesAndHostLifecycle", 34, {
        containers: [
          {
            name: "a",
            livenessProbe: { httpGet: { host: "127.0.0.1" } },
            readinessProbe: { tcpSocket: { host: "::1" } },
            startupProbe: { httpGet: { host: "localhost" } },
          },
        ],
      }),
    ).toEqual(
      deny(
        "probe or lifecycle host",
        'container "a" uses probe or lifecycle hosts "127.0.0.1", "::1", "localhost"',
      ),
    );
    expect(
      run("hostProbesAndHostLifecycle", 34, {
        containers: [
          { name: "valid" },
          { name: "invalid1", livenessProbe: { httpGet: { host: "a.com" } } },
          {
            name: "invalid2",
            lifecycle: { preStop: { tcpSocket: { host: "b.com" } } },
            startupProbe: { httpGet: { host: "a.com" } },
          },
        ],
      }),
    ).toEqual(
      deny(
        "probe or lifecycle host",
        'containers "invalid1", "invalid2" use probe or lifecycle hosts "a.com", "b.com"',
      ),
    );
    expect(
      run("hostProbesAndHostLifecycle", 34, {
        initContainers: [{ name: "init", livenessProbe: { httpGet: { host: "invalid.init.host" } } }],
      }),
    ).toEqual(
      deny("probe or lifecycle host", 'container "init" uses probe or lifecycle host "invalid.init.host"'),
    );
    expect(
      run("hostProbesAndHostLifecycle", 34, {
        containers: [
          {
            name: "a",
            livenessProbe: { httpGet: {} },
            readinessProbe: { tcpSocket: {} },
            lifecycle: { postStart: { httpGet: {} } },
          },
        ],
      }),
    ).toEqual(ALLOWED);
  });
});

describe("restricted checks", () => {
  it("allowPrivilegeEscalation", () => {
    expect(
      run("allowPrivilegeEscalation", 35, {
        containers: [
          { name: "a" },
          { name: "b", securityContext: {} },
          { name: "c", securityContext: { allowPrivilegeEscalation: true } },
          { name: "d", securityContext: { allowPrivilegeEscalation: false } },
        ],
      }),
    ).toEqual(
      deny(
        "allowPrivilegeEscalation != false",
        'containers "a", "b", "c" must set securityContext.allowPrivilegeEscalation=false',
      ),
    );
  });

  it("runAsNonRoot: explicit false wins over implicit", () => {
    expect(
      run("runAsNonRoot", 35, {
        securityContext: { runAsNonRoot: false },
        containers: [{ name: "a", securityContext: { runAsNonRoot: false } }, { name: "b" }],
      }),
    ).toEqual(
      deny("runAsNonRoot != true", 'pod and container "a" must not set securityContext.runAsNonRoot=false'),
    );
    expect(
      run("runAsNonRoot", 35, {
        containers: [{ name: "a" }, { name: "b", securityContext: { runAsNonRoot: true } }],
      }),
    ).toEqual(
      deny("runAsNonRoot != true", 'pod or container "a" must set securityContext.runAsNonRoot=true'),
    );
    expect(
      run("runAsNonRoot", 35, { securityContext: { runAsNonRoot: true }, containers: [{ name: "a" }] }),
    ).toEqual(ALLOWED);
  });

  it("runAsUser", () => {
    expect(
      run("runAsUser", 23, {
        securityContext: { runAsUser: 0 },
        containers: [
          { name: "a", securityContext: { runAsUser: 0 } },
          { name: "b", securityContext: { runAsUser: 1000 } },
          { name: "c", securityContext: { runAsUser: 0 } },
        ],
      }),
    ).toEqual(deny("runAsUser=0", 'pod and containers "a", "c" must not set runAsUser=0'));
  });

  it("seccompProfile_restricted", () => {
    expect(run("seccompProfile_restricted", 25, { containers: [{ name: "a" }, { name: "b" }] })).toEqual(
      deny(
        "seccompProfile",
        'pod or containers "a", "b" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"',
      ),
    );
    expect(
      run("seccompProfile_restricted", 25, {
        containers: [
          { name: "a" },
          { name: "b", securityContext: { seccompProfile: { type: "Unconfined" } } },
        ],
      }),
    ).toEqual(
      deny(
        "seccompProfile",
        'container "b" must not set securityContext.seccompProfile.type to "Unconfined"',
      ),
    );
    expect(
      run("seccompProfile_restricted", 25, {
        securityContext: { seccompProfile: { type: "Localhost", localhostProfile: "p.json" } },
        containers: [{ name: "a" }],
      }),
    ).toEqual(ALLOWED);
  });

  it("capabilities_restricted (check_capabilities_restricted_test.go)", () => {
    expect(
      run("capabilities_restricted", 22, {
        containers: [
          { name: "a", securityContext: { capabilities: { add: ["FOO", "BAR"] } } },
          { name: "b", securityContext: { capabilities: { add: ["BAR", "BAZ"] } } },
          {
            name: "c",
            securityContext: { capabilities: { add: ["NET_BIND_SERVICE", "CHOWN"], drop: ["ALL", "FOO"] } },
          },
        ],
      }),
    ).toEqual(
      deny(
        "unrestricted capabilities",
        'containers "a", "b" must set securityContext.capabilities.drop=["ALL"]; containers "a", "b", "c" must not include "BAR", "BAZ", "CHOWN", "FOO" in securityContext.capabilities.add',
      ),
    );
  });

  it("restrictedVolumes (check_restrictedVolumes_test.go)", () => {
    const allowed = [
      "emptyDir",
      "secret",
      "persistentVolumeClaim",
      "downwardAPI",
      "configMap",
      "projected",
      "csi",
      "ephemeral",
      "image",
    ];
    const restricted = [
      "hostPath",
      "gcePersistentDisk",
      "awsElasticBlockStore",
      "gitRepo",
      "nfs",
      "iscsi",
      "glusterfs",
      "rbd",
      "flexVolume",
      "cinder",
      "cephfs",
      "flocker",
      "fc",
      "azureFile",
      "vsphereVolume",
      "quobyte",
      "azureDisk",
      "photonPersistentDisk",
      "portworxVolume",
      "scaleIO",
      "storageos",
    ];
    const volumes = [
      ...allowed.map((k, i) => ({ name: `a${i + 1}`, [k]: {} })),
      ...restricted.map((k, i) => ({ name: `b${i + 1}`, [k]: {} })),
      { name: "c1" },
    ];
    expect(run("restrictedVolumes", 0, { volumes })).toEqual(
      deny(
        "restricted volume types",
        'volumes "b1", "b2", "b3", "b4", "b5", "b6", "b7", "b8", "b9", "b10", "b11", "b12", "b13", "b14", "b15", "b16", "b17", "b18", "b19", "b20", "b21", "c1"' +
          " use restricted volume types " +
          '"awsElasticBlockStore", "azureDisk", "azureFile", "cephfs", "cinder", "fc", "flexVolume", "flocker", "gcePersistentDisk", "gitRepo", "glusterfs", ' +
          '"hostPath", "iscsi", "nfs", "photonPersistentDisk", "portworxVolume", "quobyte", "rbd", "scaleIO", "storageos", "unknown", "vsphereVolume"',
      ),
    );
    expect(run("restrictedVolumes", 0, { volumes: [{ name: "x", nfs: {} }] })).toEqual(
      deny("restricted volume types", 'volume "x" uses restricted volume type "nfs"'),
    );
  });
});
