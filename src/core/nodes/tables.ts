/**
 * Small dated tables the node inventory reads. Each row cites where it comes from; a version or OS outside a table
 * is "not determinable" (a coverage entry), never guessed.
 */
import { compareUpstream, minorOf } from "./versions.js";

/** Sources of {@link CONTAINERD_RUNC}. */
export const CONTAINERD_RUNC_SOURCES = [
  "containerd release notes releases/v1.6.28.toml and releases/v1.7.13.toml: 'Update runc binary to v1.1.12' (CVE-2024-21626)",
  "docker/containerd-packaging rpm/containerd.spec %changelog: the runc each containerd.io release bundles (1.6.2 to 1.7.26)",
] as const;

/**
 * The runc that containerd's release builds (and Docker's containerd.io packages built from them) bundle, from the
 * containerd release that first shipped it. A release between two rows bundles the earlier row's runc; a release
 * after the last row of its minor series bundles at least that runc (marked inexact). Releases before the first
 * row of a series are not in the table.
 */
export const CONTAINERD_RUNC: readonly { from: string; runc: string }[] = [
  { from: "1.6.2", runc: "1.1.0" },
  { from: "1.6.3", runc: "1.1.1" },
  { from: "1.6.5", runc: "1.1.2" },
  { from: "1.6.7", runc: "1.1.3" },
  { from: "1.6.8", runc: "1.1.4" },
  { from: "1.6.20", runc: "1.1.5" },
  { from: "1.6.21", runc: "1.1.7" },
  { from: "1.6.22", runc: "1.1.8" },
  { from: "1.6.28", runc: "1.1.12" },
  { from: "1.7.3", runc: "1.1.8" },
  { from: "1.7.4", runc: "1.1.9" },
  { from: "1.7.13", runc: "1.1.12" },
  { from: "1.7.18", runc: "1.1.13" },
  { from: "1.7.22", runc: "1.1.14" },
  { from: "1.7.24", runc: "1.2.2" },
  { from: "1.7.25", runc: "1.2.4" },
  { from: "1.7.26", runc: "1.2.5" },
];

/** The runc a containerd release bundles, or undefined when the table does not say. */
export function bundledRunc(containerd: string): { runc: string; exact: boolean } | undefined {
  if (containerd.includes("-")) return undefined; // pre-releases are not in the table
  const series = minorOf(containerd);
  const rows = CONTAINERD_RUNC.filter((r) => minorOf(r.from) === series);
  let hit: { runc: string; exact: boolean } | undefined;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i] as (typeof rows)[number];
    if (compareUpstream(containerd, r.from) >= 0) hit = { runc: r.runc, exact: i < rows.length - 1 };
  }
  if (
    hit &&
    !hit.exact &&
    compareUpstream(containerd, (rows[rows.length - 1] as { from: string }).from) === 0
  )
    hit.exact = true;
  return hit;
}

/** The first containerd release of `series` (e.g. "1.6") whose builds bundle runc `atLeast` or later. */
export function containerdBundling(series: string, atLeast: string): string | undefined {
  return CONTAINERD_RUNC.find((r) => minorOf(r.from) === series && compareUpstream(r.runc, atLeast) >= 0)
    ?.from;
}

/** An operating system release and the end of its free security support. */
export interface OsLifecycle {
  /** os-release ID. */
  id: string;
  versionId: string;
  name: string;
  /** Last day of security support (ISO date). */
  eol: string;
  source: string;
}

/**
 * End of security support per release (the vendor's standard support; paid extensions such as Ubuntu Pro or
 * ELS are not counted). Dated 2026-12-04.
 */
export const OS_LIFECYCLE: readonly OsLifecycle[] = [
  { id: "ubuntu", versionId: "16.04", name: "Ubuntu 16.04 LTS", eol: "2021-04-30", source: UBUNTU() },
  { id: "ubuntu", versionId: "18.04", name: "Ubuntu 18.04 LTS", eol: "2023-05-31", source: UBUNTU() },
  { id: "ubuntu", versionId: "20.04", name: "Ubuntu 20.04 LTS", eol: "2025-05-31", source: UBUNTU() },
  { id: "ubuntu", versionId: "22.04", name: "Ubuntu 22.04 LTS", eol: "2027-05-31", source: UBUNTU() },
  { id: "ubuntu", versionId: "24.04", name: "Ubuntu 24.04 LTS", eol: "2029-05-31", source: UBUNTU() },
  { id: "debian", versionId: "9", name: "Debian 9 (stretch)", eol: "2022-06-30", source: DEBIAN() },
  { id: "debian", versionId: "10", name: "Debian 10 (buster)", eol: "2024-06-30", source: DEBIAN() },
  { id: "debian", versionId: "11", name: "Debian 11 (bullseye)", eol: "2026-08-31", source: DEBIAN() },
  { id: "debian", versionId: "12", name: "Debian 12 (bookworm)", eol: "2028-06-30", source: DEBIAN() },
  {
    id: "centos",
    versionId: "7",
    name: "CentOS Linux 7",
    eol: "2024-06-30",
    source: "https://www.centos.org/centos-linux-eol/",
  },
  {
    id: "centos",
    versionId: "8",
    name: "CentOS Linux 8",
    eol: "2021-12-31",
    source: "https://www.centos.org/centos-linux-eol/",
  },
  {
    id: "rhel",
    versionId: "7",
    name: "Red Hat Enterprise Linux 7",
    eol: "2024-06-30",
    source: "https://access.redhat.com/support/policy/updates/errata (end of Maintenance Support)",
  },
  {
    id: "amzn",
    versionId: "2",
    name: "Amazon Linux 2",
    eol: "2026-06-30",
    source: "https://aws.amazon.com/amazon-linux-2/faqs/",
  },
];

function UBUNTU(): string {
  return "https://ubuntu.com/about/release-cycle (end of standard support)";
}
function DEBIAN(): string {
  return "https://wiki.debian.org/LTS (end of LTS)";
}

/** The operating system named by a Node's `status.nodeInfo.osImage`, as far as it can be told. */
export interface NodeOs {
  osImage: string;
  /** os-release ID (ubuntu, debian, centos, rhel, amzn, cos, bottlerocket, flatcar, rhcos, mariner, windows). */
  id?: string | undefined;
  /** VERSION_ID-like release (22.04, 12, 7, 2); undefined when the image string does not carry one. */
  versionId?: string | undefined;
  codename?: string | undefined;
}

const OS_IMAGES: readonly { re: RegExp; id: string; version?: (m: RegExpExecArray) => string | undefined }[] =
  [
    { re: /^Ubuntu (\d{2}\.\d{2})(?:\.\d+)?\b/, id: "ubuntu", version: (m) => m[1] },
    { re: /^Debian GNU\/Linux (\d+)\b/, id: "debian", version: (m) => m[1] },
    { re: /^CentOS (?:Linux|Stream) (\d+)\b/, id: "centos", version: (m) => m[1] },
    { re: /^Red Hat Enterprise Linux CoreOS\b/, id: "rhcos" },
    { re: /^Red Hat Enterprise Linux(?: Server)? (\d+)(?:\.\d+)?\b/, id: "rhel", version: (m) => m[1] },
    { re: /^Amazon Linux (\d+)\b/, id: "amzn", version: (m) => m[1] },
    { re: /^Container-Optimized OS\b/, id: "cos" },
    { re: /^Bottlerocket OS (\d+\.\d+\.\d+)/, id: "bottlerocket", version: (m) => m[1] },
    { re: /^Flatcar Container Linux\b.*?(\d+\.\d+\.\d+)/, id: "flatcar", version: (m) => m[1] },
    { re: /^CBL-Mariner\/Linux\b/, id: "mariner" },
    { re: /^Azure Linux\b/, id: "azurelinux" },
    { re: /^Windows\b/, id: "windows" },
  ];

/** Identify the OS from `osImage`; never throws. */
export function parseOsImage(osImage: string): NodeOs {
  const s = osImage.slice(0, 256).trim();
  for (const o of OS_IMAGES) {
    const m = o.re.exec(s);
    if (!m) continue;
    const out: NodeOs = { osImage, id: o.id };
    const v = o.version?.(m);
    if (v !== undefined) out.versionId = v;
    const codename = /\(([a-z]+)\)\s*$/.exec(s)?.[1];
    if (o.id === "debian" && codename) out.codename = codename;
    return out;
  }
  return { osImage };
}

/** The lifecycle row of an OS, if the table has one. */
export function osLifecycle(os: NodeOs): OsLifecycle | undefined {
  if (os.id === undefined || os.versionId === undefined) return undefined;
  return OS_LIFECYCLE.find((r) => r.id === os.id && r.versionId === os.versionId);
}

/** Labels that name a managed node pool, by provider (first match wins). */
export const POOL_LABELS: readonly { label: string; provider: string }[] = [
  { label: "eks.amazonaws.com/nodegroup", provider: "eks" },
  { label: "alpha.eksctl.io/nodegroup-name", provider: "eks" },
  { label: "cloud.google.com/gke-nodepool", provider: "gke" },
  { label: "kubernetes.azure.com/agentpool", provider: "aks" },
  { label: "agentpool", provider: "aks" },
  { label: "doks.digitalocean.com/node-pool", provider: "doks" },
  { label: "karpenter.sh/nodepool", provider: "karpenter" },
  { label: "karpenter.sh/provisioner-name", provider: "karpenter" },
  { label: "kops.k8s.io/instancegroup", provider: "kops" },
];

/** Instance type labels: the GA label first, then the deprecated beta one. */
export const INSTANCE_TYPE_LABELS = ["node.kubernetes.io/instance-type", "beta.kubernetes.io/instance-type"];

/** Provider from `spec.providerID` (`aws:///eu-west-1a/i-0abc`, `gce://project/zone/name`, `azure:///...`). */
export function providerOf(providerID: string | undefined): string | undefined {
  const m = /^([a-z][a-z0-9-]{0,31}):\/\//.exec(providerID ?? "");
  return m?.[1];
}
