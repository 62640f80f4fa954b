/** The package model every cataloger produces and every SBOM format and matcher reads. */
export type PackageType =
  | "deb"
  | "apk"
  | "rpm"
  | "npm"
  | "pypi"
  | "golang"
  | "maven"
  | "gem"
  | "nuget"
  | "composer"
  | "cargo"
  | "hex"
  | "pub"
  | "generic";

export interface Package {
  type: PackageType;
  name: string;
  version: string;
  /** Package URL (purl spec), e.g. pkg:deb/debian/openssl@3.0.11-1~deb12u2?arch=amd64&distro=debian-12 */
  purl: string;
  /** For distro packages: the source package (Debian "Source:", rpm SOURCERPM, apk origin). */
  sourceName?: string | undefined;
  sourceVersion?: string | undefined;
  arch?: string | undefined;
  licenses?: string[] | undefined;
  /** Files that evidence this package (status db path, jar path, binary path). */
  locations: string[];
  /** 1-based line in `locations[0]` that declares the package, when it comes from a lock file or manifest. */
  line?: number | undefined;
  /** diff_id of the layer that introduced the package (absent for plain directories / imported SBOMs). */
  layerDiffId?: string | undefined;
  /** Index of that layer in the image's layer chain. */
  layerIndex?: number | undefined;
  /** Declared as an indirect dependency (go.mod `// indirect`): required by a dependency, not by the code itself. */
  indirect?: true | undefined;
  /** purl qualifiers the cataloger knows beyond arch and distro: Maven type and classifier, a repository_url. */
  purlQualifiers?: Record<string, string> | undefined;
  /** Go module / Maven group etc. when the name alone is ambiguous. */
  group?: string | undefined;
}

/** Operating system identified from /etc/os-release (or equivalents). */
export interface OsInfo {
  /** os-release ID: debian, ubuntu, alpine, rhel, rocky, almalinux, centos, fedora, amzn, ... */
  id: string;
  versionId?: string | undefined;
  /** Distro release codename where relevant (bookworm, jammy). */
  codename?: string | undefined;
  prettyName?: string | undefined;
}

export interface LayerInfo {
  /** Uncompressed layer digest (config rootfs.diff_ids). */
  diffId: string;
  /** Compressed blob digest in the manifest. */
  digest?: string | undefined;
  size?: number | undefined;
  createdBy?: string | undefined;
}

/** What an image (or directory, or imported SBOM) contains. */
export interface Sbom {
  /** What was analysed: an image reference, a directory, or an SBOM file. */
  subject: { kind: "image" | "directory" | "sbom"; name: string; digest?: string | undefined };
  os?: OsInfo | undefined;
  layers: LayerInfo[];
  packages: Package[];
  /** Image config digest, manifest digest and annotations when analysing an image. */
  image?:
    | {
        manifestDigest?: string | undefined;
        configDigest?: string | undefined;
        platform?: string | undefined;
        /** The image index the manifest was selected from (a multi-platform reference). */
        indexDigest?: string | undefined;
        /** The image config's `created` time (ISO-8601), when it has a valid one. */
        created?: string | undefined;
        annotations?: Record<string, string> | undefined;
        labels?: Record<string, string> | undefined;
        repoTags?: string[] | undefined;
      }
    | undefined;
}
