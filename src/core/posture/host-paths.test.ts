/**
 * hostPath volumes: one finding per volume, from the rule that owns the path's case, with a message that says what
 * that path exposes.
 */
import { describe, expect, it } from "vitest";
import { buildInventory } from "../inventory/index.js";
import { type Json, raws, safeContainer, workload } from "./__fixtures__/builders.js";
import { evaluatePosture } from "./index.js";

const HOST_PATH_RULES = new Set(["PAL-POD-006", "PAL-POD-007", "PAL-POD-008", "PAL-POD-009", "PAL-POD-039"]);

/** Findings of the hostPath rules for one volume mounted by the main container (and optionally a sidecar). */
function hostPathFindings(path: string, readOnly: boolean | undefined, sidecarReadOnly?: boolean) {
  const inv = buildInventory(
    raws(
      workload((spec, c) => {
        spec.volumes = [{ name: "h", hostPath: { path } }];
        c.volumeMounts = [{ name: "h", mountPath: "/host", ...(readOnly === undefined ? {} : { readOnly }) }];
        if (sidecarReadOnly !== undefined) {
          const side: Json = safeContainer("side");
          side.volumeMounts = [{ name: "h", mountPath: "/h2", readOnly: sidecarReadOnly }];
          (spec.containers as Json[]).push(side);
        }
      }),
    ),
  );
  return evaluatePosture(inv)
    .findings.filter((f) => HOST_PATH_RULES.has(f.ruleId))
    .map((f) => [f.ruleId, f.fieldPath, f.evidence, f.message]);
}

const RW = '[container "app" at /host, writable]';
const RO = '[container "app" at /host, read-only]';

describe("hostPath volumes", () => {
  it.each([
    // [path, readOnly, rule, what the message says it mounts]
    [
      "/",
      true,
      "PAL-POD-039",
      "the node's root filesystem (/): every file on the node, kubelet credentials and the container runtime socket included",
    ],
    ["/var/run/docker.sock", true, "PAL-POD-007", "the Docker daemon socket (/var/run/docker.sock)"],
    [
      "/run/containerd/containerd.sock",
      false,
      "PAL-POD-007",
      "the containerd socket (/run/containerd/containerd.sock)",
    ],
    ["/var/run/crio/crio.sock", true, "PAL-POD-007", "the CRI-O socket (/var/run/crio/crio.sock)"],
    ["/opt/rt/containerd.sock", true, "PAL-POD-007", "a containerd socket (/opt/rt/containerd.sock)"],
    [
      "/run/containerd/",
      true,
      "PAL-POD-007",
      "/run/containerd, which holds the containerd socket (/run/containerd/containerd.sock)",
    ],
    [
      "/var/run",
      true,
      "PAL-POD-007",
      "/var/run, which holds the container runtime sockets (docker.sock, cri-dockerd.sock, containerd/containerd.sock, crio/crio.sock, podman/podman.sock, dockershim.sock)",
    ],
    // `..` resolves lexically, as the kubelet sees it: /var/lib/.. is /var.
    ["/var/lib/../run/crio/crio.sock", true, "PAL-POD-007", "the CRI-O socket (/var/run/crio/crio.sock)"],
    [
      "/etc",
      true,
      "PAL-POD-008",
      "the node's configuration (/etc/shadow, /etc/kubernetes, systemd units, cron) (/etc)",
    ],
    [
      "/etc/kubernetes/pki",
      true,
      "PAL-POD-008",
      "/etc/kubernetes/pki, inside kubeadm's node configuration (kubeconfigs such as admin.conf, the cluster PKI and static pod manifests) (/etc/kubernetes)",
    ],
    [
      "/proc",
      true,
      "PAL-POD-008",
      "the host's /proc (every node process's command line, environment and memory, and kernel settings in /proc/sys) (/proc)",
    ],
    [
      "/sys/fs/cgroup",
      true,
      "PAL-POD-008",
      "/sys/fs/cgroup, inside the host's /sys (kernel, cgroup and device settings) (/sys)",
    ],
    ["/dev", false, "PAL-POD-008", "the node's device files (raw disks, /dev/mem, /dev/kmsg) (/dev)"],
    [
      "/var/lib/kubelet",
      true,
      "PAL-POD-008",
      "the kubelet's directory (every pod's volumes, their Secrets and service account tokens included, and the kubelet's client certificates) (/var/lib/kubelet)",
    ],
    [
      "/var/lib/docker",
      true,
      "PAL-POD-008",
      "Docker's storage (image layers and every container's filesystem) (/var/lib/docker)",
    ],
    [
      "/var",
      true,
      "PAL-POD-008",
      "/var, which holds /var/lib/kubelet, /var/lib/etcd, /var/lib/docker, /var/lib/containerd and /var/lib/containers",
    ],
    [
      "/var/log",
      false,
      "PAL-POD-008",
      "the node's logs, every pod's logs included (/var/log); mounted writable, the pod can plant symlinks there that the kubelet follows when it serves logs, reading any file on the node",
    ],
    ["/var/log", true, "PAL-POD-006", "the node's logs, every pod's logs included (/var/log)"],
    [
      "/etc/ssl/certs",
      true,
      "PAL-POD-006",
      "/etc/ssl/certs, inside the node's configuration (/etc/shadow, /etc/kubernetes, systemd units, cron) (/etc)",
    ],
    [
      "/lib/modules",
      false,
      "PAL-POD-008",
      "the node's kernel modules (/lib/modules); mounted writable, the pod can plant kernel modules the node loads",
    ],
    ["/lib/modules", true, "PAL-POD-006", "the node's kernel modules (/lib/modules)"],
    ["/run/xtables.lock", false, "PAL-POD-009", "/run/xtables.lock"],
    ["/data", true, "PAL-POD-006", "/data"],
  ] as const)("%s (readOnly %s): %s", (path, readOnly, rule, what) => {
    expect(hostPathFindings(path, readOnly)).toEqual([
      [
        rule,
        "spec.template.spec.volumes[0].hostPath.path",
        path,
        `volume "h" mounts ${what} ${readOnly ? RO : RW}`,
      ],
    ]);
  });

  it("one finding per volume, however many containers mount it and however it is mounted", () => {
    expect(hostPathFindings("/", undefined, false)).toEqual([
      [
        "PAL-POD-039",
        "spec.template.spec.volumes[0].hostPath.path",
        "/",
        `volume "h" mounts the node's root filesystem (/): every file on the node, kubelet credentials and the container runtime socket included [container "app" at /host, writable; container "side" at /h2, writable]`,
      ],
    ]);
    // Writable in one container is writable.
    expect(hostPathFindings("/srv/data", true, false).map((f) => f[0])).toEqual(["PAL-POD-009"]);
  });
});
