/**
 * OSV ecosystem names (https://ossf.github.io/osv-schema/#defined-ecosystems) and how installed packages map to
 * them. Distro ecosystems carry a release suffix ("Debian:12", "Ubuntu:22.04:LTS", "Alpine:v3.19"); an advisory
 * scoped to a release applies only to packages of that release.
 */
import type { OsInfo, Package } from "../sbom/index.js";

/** Split "Ubuntu:22.04:LTS" into base "Ubuntu" and suffix "22.04:LTS". */
export function splitEcosystem(ecosystem: string): { base: string; suffix: string } {
  const i = ecosystem.indexOf(":");
  return i < 0
    ? { base: ecosystem, suffix: "" }
    : { base: ecosystem.slice(0, i), suffix: ecosystem.slice(i + 1) };
}

const OS_TO_ECOSYSTEM: Readonly<Record<string, string>> = {
  debian: "Debian",
  ubuntu: "Ubuntu",
  alpine: "Alpine",
  wolfi: "Wolfi",
  chainguard: "Chainguard",
  rhel: "Red Hat",
  rocky: "Rocky Linux",
  almalinux: "AlmaLinux",
  opensuse: "openSUSE",
  "opensuse-leap": "openSUSE",
  "opensuse-tumbleweed": "openSUSE",
  sles: "SUSE",
  mageia: "Mageia",
  photon: "Photon OS",
  azurelinux: "Azure Linux",
  mariner: "Azure Linux",
  openeuler: "openEuler",
};

const TYPE_TO_ECOSYSTEM: Readonly<Partial<Record<Package["type"], string>>> = {
  npm: "npm",
  pypi: "PyPI",
  golang: "Go",
  maven: "Maven",
  gem: "RubyGems",
  nuget: "NuGet",
  composer: "Packagist",
  cargo: "crates.io",
  hex: "Hex",
  pub: "Pub",
};

/** Distro ecosystems whose advisories name SOURCE packages (schema: "the name is the name of the source package"). */
const SOURCE_NAMED: ReadonlySet<string> = new Set([
  "Debian",
  "Ubuntu",
  "Alpine",
  "AlmaLinux",
  "Rocky Linux",
  "openSUSE",
  "SUSE",
  "Mageia",
  "openEuler",
]);

/** The OSV base ecosystem for an installed package, or undefined when Palisade cannot tell. */
export function ecosystemForPackage(pkg: Package, os: OsInfo | undefined): string | undefined {
  const lang = TYPE_TO_ECOSYSTEM[pkg.type];
  if (lang) return lang;
  if (pkg.type !== "deb" && pkg.type !== "apk" && pkg.type !== "rpm") return undefined;
  const osId = os?.id ?? purlNamespace(pkg.purl);
  if (!osId) return undefined;
  const eco = OS_TO_ECOSYSTEM[osId.toLowerCase()];
  if (!eco) return undefined;
  return eco;
}

function purlNamespace(purl: string): string | undefined {
  const m = /^pkg:[a-z]+\/([^/@?#]+)\//.exec(purl);
  return m?.[1] ? decodeURIComponent(m[1]) : undefined;
}

/** Name and version to look up: distro advisories name source packages, so binaries match through Source. */
/**
 * The version to evaluate an advisory's ranges with. The Go toolchain names its releases `go1.21.3` (what Go
 * binaries' build info, `toolchain` lines and syft's SBOMs carry for `stdlib`), while OSV's Go ecosystem writes
 * `1.21.3`: the prefix is dropped for the standard library and toolchain, which are otherwise never matched.
 */
export function matchVersion(pkg: Package, base: string): string {
  if (base === "Go" && (pkg.name === "stdlib" || pkg.name === "toolchain") && /^go\d/.test(pkg.version))
    return pkg.version.slice(2);
  return pkg.version;
}

export function lookupIdentity(pkg: Package, base: string): { name: string; version: string } {
  if (SOURCE_NAMED.has(base) && pkg.sourceName) {
    return { name: pkg.sourceName, version: pkg.sourceVersion ?? pkg.version };
  }
  if (base === "Maven" && pkg.group && !pkg.name.includes(":"))
    return { name: `${pkg.group}:${pkg.name}`, version: pkg.version };
  // Packagist names are `vendor/package`. An SBOM may carry the vendor apart (CycloneDX's PHP Composer plugin
  // writes it as the component's group; a purl as its namespace) and the package alone as the name.
  if (base === "Packagist" && !pkg.name.includes("/")) {
    const vendor = pkg.group ?? (pkg.purl.startsWith("pkg:composer/") ? purlNamespace(pkg.purl) : undefined);
    if (vendor) return { name: `${vendor}/${pkg.name}`, version: pkg.version };
  }
  return { name: pkg.name, version: pkg.version };
}

/**
 * Canonical form for index keys. PyPI names compare after PEP 503 normalisation; NuGet and Packagist ids are
 * case-insensitive. Other ecosystems compare names exactly.
 */
export function normalizePackageName(base: string, name: string): string {
  switch (base) {
    case "PyPI":
      return name.toLowerCase().replace(/[-_.]+/g, "-");
    case "NuGet":
    case "Packagist":
      return name.toLowerCase();
    default:
      return name;
  }
}

/** Index key for (base ecosystem, name). */
export function advisoryKey(ecosystem: string, name: string): string {
  const { base } = splitEcosystem(ecosystem);
  return `${base}\u0000${normalizePackageName(base, name)}`;
}

/**
 * The OS a package was built for: the `distro` qualifier of its purl (`distro=alpine-3.18.2`, `debian-12`,
 * `opensuse-leap-15.5`; how syft and Palisade write it) when it has one, else the analysed filesystem's. A
 * package listed by an SBOM document found in a source tree has no filesystem OS, only its purl's.
 */
export function packageOs(pkg: Package, os: OsInfo | undefined): OsInfo | undefined {
  if (pkg.type !== "deb" && pkg.type !== "apk" && pkg.type !== "rpm") return os;
  const q = /[?&]distro=([^&#]+)/.exec(pkg.purl)?.[1];
  if (q === undefined) return os;
  let distro: string;
  try {
    distro = decodeURIComponent(q).toLowerCase();
  } catch {
    return os;
  }
  const m = /^([a-z][a-z0-9-]*?)-(\d[\w.]*)$/.exec(distro);
  const id = m?.[1] ?? distro;
  if (!/^[a-z][a-z0-9-]*$/.test(id)) return os;
  // The filesystem's own os-release says more (codename) when it names the same release.
  if (os && os.id === id && (m?.[2] === undefined || os.versionId === m[2])) return os;
  return m?.[2] ? { id, versionId: m[2] } : { id };
}

/**
 * Whether an advisory's ecosystem (with its release suffix) applies to the analysed OS. Language ecosystems have
 * no release (a Maven/Packagist suffix is a repository URL) and always apply.
 */
export function ecosystemAppliesTo(ecosystem: string, os: OsInfo | undefined): boolean {
  const { base, suffix } = splitEcosystem(ecosystem);
  if (!suffix) return true;
  if (!isDistro(base)) return true;
  if (!os) return false;
  const v = os.versionId ?? "";
  const major = v.split(".")[0] ?? "";
  switch (base) {
    case "Debian":
      // "Debian:12" by numeric version, "Debian:sid" by series name (distro-info-data).
      return suffix === major || (os.codename !== undefined && suffix === os.codename);
    case "Ubuntu": {
      // "Ubuntu:22.04:LTS", "Ubuntu:24.10"; "Ubuntu:Pro:..." covers Ubuntu Pro (ESM) archives, not stock images.
      const parts = suffix.split(":");
      if (parts[0] === "Pro") return false;
      return parts[0] === v;
    }
    case "Alpine": {
      // "Alpine:v3.19" names a release branch: major.minor of VERSION_ID with a "v" prefix.
      const mm = v.split(".").slice(0, 2).join(".");
      return suffix === `v${mm}`;
    }
    case "Red Hat": {
      // e.g. "Red Hat:enterprise_linux:9::appstream": the major release is a ':'-delimited field.
      return (
        suffix.split(":").includes(major) ||
        suffix.split(":").some((p) => p === `${major}` || p.startsWith(`${major}.`))
      );
    }
    default:
      return suffix.split(":")[0] === major || suffix.split(":")[0] === v;
  }
}

function isDistro(base: string): boolean {
  return Object.values(OS_TO_ECOSYSTEM).includes(base);
}
