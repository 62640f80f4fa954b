import { PackageURL } from "packageurl-js";
import type { OsInfo, Package } from "../sbom/index.js";
import type { CatalogedPackage } from "./model.js";

/** purl namespaces for rpm distros (purl-spec PURL-TYPES.rst "rpm": namespace is the vendor). */
const RPM_VENDOR: Readonly<Record<string, string>> = {
  rhel: "redhat",
  centos: "centos",
  fedora: "fedora",
  rocky: "rocky-linux",
  almalinux: "almalinux",
  amzn: "amazon",
  ol: "oracle",
  opensuse: "opensuse",
  "opensuse-leap": "opensuse",
  sles: "suse",
  mariner: "mariner",
  azurelinux: "azurelinux",
};

function distroQualifier(os: OsInfo | undefined): string | undefined {
  if (!os) return undefined;
  return os.versionId ? `${os.id}-${os.versionId}` : os.id;
}

/**
 * Build the package URL (github.com/package-url/purl-spec). Distro packages carry `arch` and
 * `distro=<id>-<version_id>` qualifiers so an advisory for Debian 12 never matches a Debian 11 package;
 * rpm versions drop the epoch into the `epoch` qualifier as the spec requires.
 */
export function makePurl(p: CatalogedPackage, os: OsInfo | undefined): string {
  const q: Record<string, string> = {};
  for (const [k, v] of Object.entries(p.purlQualifiers ?? {})) if (v !== "") q[k] = v;
  if (p.arch) q.arch = p.arch;
  const distro = distroQualifier(os);
  let type: string = p.type;
  let namespace: string | undefined;
  let name = p.name;
  let version = p.version;
  switch (p.type) {
    case "deb":
      namespace = os && (os.id === "ubuntu" || os.id === "debian") ? os.id : (os?.id ?? "debian");
      if (distro) q.distro = distro;
      break;
    case "apk":
      namespace = os?.id ?? "alpine";
      if (distro) q.distro = distro;
      break;
    case "rpm": {
      namespace = os ? (RPM_VENDOR[os.id] ?? os.id) : undefined;
      const m = /^(\d+):(.*)$/.exec(p.version);
      if (m?.[1] && m[2]) {
        q.epoch = m[1];
        version = m[2];
      }
      if (distro) q.distro = distro;
      break;
    }
    case "npm":
      if (name.startsWith("@") && name.includes("/")) {
        namespace = name.slice(0, name.indexOf("/"));
        name = name.slice(name.indexOf("/") + 1);
      }
      break;
    case "golang": {
      const i = name.lastIndexOf("/");
      if (i > 0) {
        namespace = name.slice(0, i);
        name = name.slice(i + 1);
      }
      break;
    }
    case "maven":
    case "hex":
      // Maven: the groupId. Hex: the organization of a private package (purl-spec "hex").
      namespace = p.group;
      break;
    case "composer": {
      // purl-spec: the namespace is the vendor; Composer names are lower case.
      const i = name.indexOf("/");
      if (i > 0) {
        namespace = name.slice(0, i).toLowerCase();
        name = name.slice(i + 1).toLowerCase();
      }
      break;
    }
    case "gem":
      // purl-spec: a gem's platform is the `platform` qualifier (pkg:gem/nokogiri@1.15.4?platform=x86_64-linux).
      if (q.arch) {
        q.platform = q.arch;
        delete q.arch;
      }
      break;
    default:
      type = p.type;
  }
  try {
    return new PackageURL(
      type,
      namespace,
      name,
      version || undefined,
      Object.keys(q).length ? q : undefined,
      undefined,
    ).toString();
  } catch {
    // A name the purl library rejects (empty, invalid characters) still gets an identifier, typed generic.
    return new PackageURL(
      "generic",
      undefined,
      p.name || "unknown",
      p.version || undefined,
      undefined,
      undefined,
    ).toString();
  }
}

/** Attach purls. */
export function withPurl(p: CatalogedPackage, os: OsInfo | undefined): Package {
  return { ...p, purl: makePurl(p, os) };
}
