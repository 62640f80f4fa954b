/**
 * What a hostPath volume exposes, so that each volume gets one finding from the one rule that owns its case, with a
 * message that says what that path really is. Pure.
 *
 * Which rule owns which case (most severe first; the first that matches wins):
 * - PAL-POD-039 (critical): `/`, the node's whole filesystem.
 * - PAL-POD-007 (critical): a container runtime socket, or a directory that holds one (`/run`, `/run/containerd`).
 *   A Unix socket accepts connections through a read-only mount too, so `readOnly` does not help.
 * - PAL-POD-008 (high): a directory with node credentials, other pods' data or kernel interfaces (`/etc`, `/proc`,
 *   `/sys`, `/dev`, `/var/lib/kubelet`, runtime storage, ...), a directory that contains one (`/var`), or a path
 *   that is only dangerous written to (`/var/log`, inside `/etc` or `/usr`) when a container mounts it writable.
 *   Exact matches follow Trivy's KSV121 list (`/`, `/boot`, `/dev`, `/etc`, `/lib`, `/proc`, `/sys`, `/usr`,
 *   `/var/lib/docker`) and Kubescape's C-0074 (`/var/lib/docker`).
 * - PAL-POD-009 (medium): any other path, mounted writable by a container.
 * - PAL-POD-006 (medium): any other path, read-only (or not mounted by any container).
 */
import { isAncestorOrSelf, show } from "./helpers.js";

export type HostPathRule = "PAL-POD-039" | "PAL-POD-007" | "PAL-POD-008" | "PAL-POD-009" | "PAL-POD-006";

export interface HostPathCase {
  rule: HostPathRule;
  /** What the path exposes, phrased to follow "mounts": e.g. `the Docker daemon socket (/var/run/docker.sock)`. */
  what: string;
}

/** Runtime sockets at their default paths (Docker, cri-dockerd, containerd, k3s, CRI-O, Podman, dockershim). */
const RUNTIME_SOCKETS: readonly { path: string; what: string }[] = [
  { path: "/var/run/docker.sock", what: "the Docker daemon socket" },
  { path: "/run/docker.sock", what: "the Docker daemon socket" },
  { path: "/var/run/cri-dockerd.sock", what: "the cri-dockerd socket" },
  { path: "/run/cri-dockerd.sock", what: "the cri-dockerd socket" },
  { path: "/var/run/containerd/containerd.sock", what: "the containerd socket" },
  { path: "/run/containerd/containerd.sock", what: "the containerd socket" },
  { path: "/run/k3s/containerd/containerd.sock", what: "k3s's containerd socket" },
  { path: "/var/run/crio/crio.sock", what: "the CRI-O socket" },
  { path: "/run/crio/crio.sock", what: "the CRI-O socket" },
  { path: "/run/podman/podman.sock", what: "the Podman socket" },
  { path: "/var/run/podman/podman.sock", what: "the Podman socket" },
  { path: "/var/run/dockershim.sock", what: "the dockershim socket" },
];

/** A runtime socket at a non-default path, recognised by its file name. */
const RUNTIME_SOCKET_NAME = /(?:^|\/)(docker|containerd|crio|cri-dockerd|podman|dockershim)\.sock$/;
const SOCKET_NAME_WHAT: Record<string, string> = {
  docker: "a Docker daemon socket",
  containerd: "a containerd socket",
  crio: "a CRI-O socket",
  "cri-dockerd": "a cri-dockerd socket",
  podman: "a Podman socket",
  dockershim: "a dockershim socket",
};

interface Sensitive {
  path: string;
  what: string;
  /**
   * Set for paths that are harmful only when written to: then, read-only, the path and everything below it is an
   * ordinary hostPath (PAL-POD-006), and this says what a writable mount allows. Unset: the path and everything below
   * it is sensitive however it is mounted.
   */
  whenWritable?: string;
  /** With `whenWritable`: the path itself is flagged even read-only (Trivy's KSV121 exact matches). */
  exactAlways?: boolean;
}

/** Host directories that give node credentials, other pods' data or kernel interfaces. Most specific first. */
const SENSITIVE: readonly Sensitive[] = [
  {
    path: "/etc/kubernetes",
    what: "kubeadm's node configuration (kubeconfigs such as admin.conf, the cluster PKI and static pod manifests)",
  },
  {
    path: "/var/lib/kubelet",
    what: "the kubelet's directory (every pod's volumes, their Secrets and service account tokens included, and the kubelet's client certificates)",
  },
  { path: "/var/lib/etcd", what: "etcd's data (every object of the cluster, Secrets included)" },
  { path: "/var/lib/docker", what: "Docker's storage (image layers and every container's filesystem)" },
  {
    path: "/var/lib/containerd",
    what: "containerd's storage (image layers and every container's filesystem)",
  },
  {
    path: "/var/lib/containers",
    what: "CRI-O's and Podman's storage (image layers and every container's filesystem)",
  },
  {
    path: "/var/log",
    what: "the node's logs, every pod's logs included",
    whenWritable:
      "the pod can plant symlinks there that the kubelet follows when it serves logs, reading any file on the node",
  },
  {
    path: "/lib/modules",
    what: "the node's kernel modules",
    whenWritable: "the pod can plant kernel modules the node loads",
  },
  {
    path: "/proc",
    what: "the host's /proc (every node process's command line, environment and memory, and kernel settings in /proc/sys)",
  },
  { path: "/sys", what: "the host's /sys (kernel, cgroup and device settings)" },
  { path: "/dev", what: "the node's device files (raw disks, /dev/mem, /dev/kmsg)" },
  { path: "/boot", what: "the node's kernels and boot loader configuration" },
  { path: "/root", what: "root's home directory on the node (SSH keys, credentials, shell history)" },
  { path: "/home", what: "the home directories of the node's users" },
  {
    path: "/etc",
    what: "the node's configuration (/etc/shadow, /etc/kubernetes, systemd units, cron)",
    whenWritable: "the pod can change the node's configuration",
    exactAlways: true,
  },
  {
    path: "/usr",
    what: "the node's programs and libraries",
    whenWritable: "the pod can replace programs the node runs as root",
    exactAlways: true,
  },
  {
    path: "/lib",
    what: "the node's system libraries",
    whenWritable: "the pod can replace libraries the node's programs load",
    exactAlways: true,
  },
  {
    path: "/lib64",
    what: "the node's system libraries",
    whenWritable: "the pod can replace libraries the node's programs load",
  },
  {
    path: "/bin",
    what: "the node's system programs",
    whenWritable: "the pod can replace programs the node runs as root",
  },
  {
    path: "/sbin",
    what: "the node's system programs",
    whenWritable: "the pod can replace programs the node runs as root",
  },
];

function list(items: readonly string[]): string {
  const uniq = [...new Set(items)];
  return uniq.length <= 1 ? (uniq[0] ?? "") : `${uniq.slice(0, -1).join(", ")} and ${uniq[uniq.length - 1]}`;
}

/**
 * Classify a normalised host path (see `normalizeHostPath`). `writable` says whether any container mounts it
 * without `readOnly: true`.
 */
export function classifyHostPath(p: string, writable: boolean): HostPathCase {
  const shown = show(p);
  if (p === "/")
    return {
      rule: "PAL-POD-039",
      what: "the node's root filesystem (/): every file on the node, kubelet credentials and the container runtime socket included",
    };
  const socket = RUNTIME_SOCKETS.find((s) => s.path === p);
  if (socket) return { rule: "PAL-POD-007", what: `${socket.what} (${shown})` };
  const byName = RUNTIME_SOCKET_NAME.exec(p)?.[1];
  if (byName !== undefined) return { rule: "PAL-POD-007", what: `${SOCKET_NAME_WHAT[byName]} (${shown})` };
  // A directory above /var/run (that is, /var) does not hold the /var/run sockets on current distributions:
  // /var/run is a symlink to /run there, and a symlink inside a mounted directory resolves in the container.
  // The kubelet resolves the hostPath itself on the host, so mounting /var/run does reach /run.
  const held = RUNTIME_SOCKETS.filter(
    (s) =>
      isAncestorOrSelf(p, s.path) && !(s.path.startsWith("/var/run/") && !isAncestorOrSelf("/var/run", p)),
  );
  const [first] = held;
  if (first)
    return {
      rule: "PAL-POD-007",
      what:
        held.length === 1
          ? `${shown}, which holds ${first.what} (${first.path})`
          : `${shown}, which holds the container runtime sockets (${held.map((s) => s.path.slice(p.length + 1)).join(", ")})`,
    };
  const s = SENSITIVE.find((x) => isAncestorOrSelf(x.path, p));
  if (s) {
    const where = s.path === p ? `${s.what} (${shown})` : `${shown}, inside ${s.what} (${s.path})`;
    if (s.whenWritable === undefined || (s.exactAlways && s.path === p && !writable))
      return { rule: "PAL-POD-008", what: where };
    if (writable) return { rule: "PAL-POD-008", what: `${where}; mounted writable, ${s.whenWritable}` };
    return { rule: "PAL-POD-006", what: where };
  }
  const inside = SENSITIVE.filter((x) => x.whenWritable === undefined && isAncestorOrSelf(p, x.path));
  if (inside.length > 0)
    return { rule: "PAL-POD-008", what: `${shown}, which holds ${list(inside.map((x) => x.path))}` };
  return { rule: writable ? "PAL-POD-009" : "PAL-POD-006", what: shown };
}
