/**
 * The distribution kernel package behind a Node's `kernelVersion` (`uname -r`), best effort.
 *
 * Ubuntu: `5.15.0-1048-aws` is the ABI of source package `linux-aws` version `5.15.0-1048.<upload>`; the upload
 * number is not in `uname -r`. Palisade matches both ends of the ABI (`5.15.0-1048` and `5.15.0-1048.99999`): an
 * advisory affecting both is a finding, one fixed inside the ABI is "not determinable" (coverage). A kernel series
 * newer than the release's GA kernel comes from the hardware-enablement source (`linux-hwe-5.15`,
 * `linux-aws-5.15` on 20.04).
 * Debian: `6.1.0-13-amd64` names the ABI, not the package version (`6.1.55-1`): not determinable.
 * Other OSes (Container-Optimized OS, Bottlerocket, Flatcar, RHCOS, Amazon Linux, Windows): no OSV source
 * Palisade reads maps their kernel versions; not determinable.
 */
import type { NodeComponent } from "./model.js";
import type { NodeOs } from "./tables.js";

/** The kernel series each Ubuntu LTS release ships as its GA kernel (https://ubuntu.com/kernel/lifecycle). */
const UBUNTU_GA_KERNEL: Readonly<Record<string, string>> = {
  "16.04": "4.4",
  "18.04": "4.15",
  "20.04": "5.4",
  "22.04": "5.15",
  "24.04": "6.8",
};

/** Highest upload number tried for "the newest package of this ABI". */
const UPLOAD_CEILING = "99999";

export function kernelComponent(
  kernelVersion: string,
  os: NodeOs,
): { component: NodeComponent; why?: undefined } | { component?: undefined; why: string } {
  if (os.id === "ubuntu" && os.versionId !== undefined) {
    const m =
      /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})-(\d{1,6})-([a-z][a-z0-9]{0,31}(?:-[a-z0-9]{1,32}){0,3})$/.exec(
        kernelVersion,
      );
    if (!m) return { why: "not an Ubuntu kernel release (X.Y.Z-ABI-flavour): kernel advisories not matched" };
    const series = `${m[1]}.${m[2]}`;
    const flavour = m[5] as string;
    const ga = UBUNTU_GA_KERNEL[os.versionId];
    if (ga === undefined)
      return { why: `Ubuntu ${os.versionId} is not an LTS release Palisade knows the kernels of` };
    const base = flavour === "generic" ? "linux" : `linux-${flavour}`;
    const hwe = series !== ga;
    const source = hwe ? (flavour === "generic" ? `linux-hwe-${series}` : `${base}-${series}`) : base;
    const abi = `${m[1]}.${m[2]}.${m[3]}-${m[4]}`;
    return {
      component: {
        role: "kernel",
        name: source,
        raw: kernelVersion,
        version: abi,
        versionUpperBound: `${abi}.${UPLOAD_CEILING}`,
        fieldPath: "status.nodeInfo.kernelVersion",
        derivedFrom: `Ubuntu ${os.versionId} source package ${source}, ABI ${abi} (the upload number is not in kernelVersion)`,
        packages: [{ ecosystem: "Ubuntu", name: source }],
      },
    };
  }
  if (os.id === "debian")
    return {
      why: "Debian's kernelVersion names the ABI (e.g. 6.1.0-13), not the linux package version (e.g. 6.1.55-1): kernel advisories not determinable",
    };
  if (os.id === undefined)
    return { why: "the OS is not recognised from osImage: kernel advisories not determinable" };
  return {
    why: `no OSV source Palisade reads maps ${os.id} kernel versions to packages: kernel advisories not determinable`,
  };
}
