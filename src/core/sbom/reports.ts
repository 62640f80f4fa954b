/**
 * Scanner reports as SBOM input, so users of Trivy or Grype can feed Palisade: Trivy JSON (`Results[].Packages`,
 * falling back to `Results[].Vulnerabilities` when packages were not listed) and Grype JSON (`matches[].artifact`).
 */
import { PalisadeError } from "../errors/index.js";
import { isRecord } from "../util/index.js";
import { comparePackages } from "./cyclonedx.js";
import type { OsInfo, Package, PackageType, Sbom } from "./model.js";
import { packageTypeOfPurl, parsePurl } from "./purl.js";

const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);

/** Trivy splits dpkg/rpm versions into Epoch, Version and Release; join them back into one version string. */
function evr(epoch: unknown, version: unknown, release: unknown): string {
  const e = typeof epoch === "number" && epoch > 0 ? `${epoch}:` : "";
  const r = str(release) ? `-${release}` : "";
  return `${e}${str(version) ?? ""}${r}`;
}

const TRIVY_OS: Readonly<Record<string, string>> = {
  debian: "debian",
  ubuntu: "ubuntu",
  alpine: "alpine",
  redhat: "rhel",
  rocky: "rocky",
  alma: "almalinux",
  centos: "centos",
  amazon: "amzn",
};

/** Trivy JSON report -> Sbom. */
export function fromTrivyJson(doc: unknown, source: string): Sbom {
  if (!isRecord(doc) || !Array.isArray(doc.Results))
    throw new PalisadeError("INPUT", "not a Trivy JSON report (no Results)", { context: { file: source } });
  const packages = new Map<string, Package>();
  for (const res of doc.Results) {
    if (!isRecord(res)) continue;
    const target = str(res.Target) ?? "";
    const list =
      Array.isArray(res.Packages) && res.Packages.length > 0
        ? res.Packages
        : Array.isArray(res.Vulnerabilities)
          ? res.Vulnerabilities
          : [];
    for (const raw of list.slice(0, 500_000)) {
      if (!isRecord(raw)) continue;
      const ident = isRecord(raw.Identifier)
        ? raw.Identifier
        : isRecord(raw.PkgIdentifier)
          ? raw.PkgIdentifier
          : undefined;
      const purl = str(ident?.PURL) ?? "";
      const parsed = purl ? parsePurl(purl) : undefined;
      const name = str(raw.Name) ?? str(raw.PkgName);
      if (!name) continue;
      const version =
        "InstalledVersion" in raw
          ? (str(raw.InstalledVersion) ?? "")
          : evr(raw.Epoch, raw.Version, raw.Release);
      const p: Package = {
        type: parsed ? packageTypeOfPurl(parsed.type) : "generic",
        name,
        version,
        purl,
        locations: [],
      };
      if (parsed?.type === "maven" && parsed.namespace) {
        p.group = parsed.namespace;
        p.name = parsed.name;
      }
      const srcName = str(raw.SrcName);
      if (srcName) {
        p.sourceName = srcName;
        const sv = evr(raw.SrcEpoch, raw.SrcVersion, raw.SrcRelease);
        if (sv) p.sourceVersion = sv;
      }
      const arch = str(raw.Arch);
      if (arch) p.arch = arch;
      const layer = isRecord(raw.Layer) ? str(raw.Layer.DiffID) : undefined;
      if (layer) p.layerDiffId = layer;
      const loc = str(raw.FilePath) ?? (res.Class === "lang-pkgs" ? target : undefined);
      if (loc) p.locations.push(loc);
      packages.set(`${p.purl}\u0000${p.name}\u0000${p.version}\u0000${p.locations.join()}`, p);
    }
  }
  const meta = isRecord(doc.Metadata) ? doc.Metadata : undefined;
  const osRaw = meta && isRecord(meta.OS) ? meta.OS : undefined;
  const sbom: Sbom = {
    subject: {
      kind: doc.ArtifactType === "container_image" ? "image" : "sbom",
      name: str(doc.ArtifactName) ?? source,
    },
    layers: [],
    packages: [...packages.values()].sort(comparePackages),
  };
  const family = str(osRaw?.Family);
  if (family) {
    const os: OsInfo = { id: TRIVY_OS[family] ?? family };
    const v = str(osRaw?.Name);
    if (v) os.versionId = v;
    sbom.os = os;
  }
  const diffIds =
    meta && isRecord(meta.ImageConfig) && isRecord(meta.ImageConfig.rootfs)
      ? meta.ImageConfig.rootfs.diff_ids
      : undefined;
  if (Array.isArray(diffIds))
    sbom.layers = diffIds.filter((d): d is string => typeof d === "string").map((diffId) => ({ diffId }));
  return sbom;
}

const GRYPE_TYPES: Readonly<Record<string, PackageType>> = {
  deb: "deb",
  apk: "apk",
  rpm: "rpm",
  npm: "npm",
  python: "pypi",
  "java-archive": "maven",
  "go-module": "golang",
  gem: "gem",
  dotnet: "nuget",
  "php-composer": "composer",
  "rust-crate": "cargo",
};

/** Grype JSON report -> Sbom (one package per distinct artifact). */
export function fromGrypeJson(doc: unknown, source: string): Sbom {
  if (!isRecord(doc) || !Array.isArray(doc.matches))
    throw new PalisadeError("INPUT", "not a Grype JSON report (no matches)", { context: { file: source } });
  const packages = new Map<string, Package>();
  for (const m of doc.matches.slice(0, 500_000)) {
    if (!isRecord(m) || !isRecord(m.artifact)) continue;
    const a = m.artifact;
    const name = str(a.name);
    if (!name) continue;
    const purl = str(a.purl) ?? "";
    const parsed = purl ? parsePurl(purl) : undefined;
    const p: Package = {
      type: GRYPE_TYPES[str(a.type) ?? ""] ?? (parsed ? packageTypeOfPurl(parsed.type) : "generic"),
      name,
      version: str(a.version) ?? "",
      purl,
      locations: [],
    };
    if (parsed?.type === "maven" && parsed.namespace) {
      p.group = parsed.namespace;
      p.name = parsed.name;
    }
    const up = Array.isArray(a.upstreams) ? a.upstreams.find(isRecord) : undefined;
    if (up && str(up.name)) {
      p.sourceName = str(up.name);
      if (str(up.version)) p.sourceVersion = str(up.version);
    }
    for (const l of Array.isArray(a.locations) ? a.locations : []) {
      if (!isRecord(l)) continue;
      if (str(l.path)) p.locations.push(l.path as string);
      if (!p.layerDiffId && str(l.layerID)) p.layerDiffId = l.layerID as string;
    }
    packages.set(`${p.purl}\u0000${p.name}\u0000${p.version}`, p);
  }
  const distro = isRecord(doc.distro) ? doc.distro : undefined;
  const src = isRecord(doc.source) && isRecord(doc.source.target) ? doc.source.target : undefined;
  const sbom: Sbom = {
    subject: {
      kind: isRecord(doc.source) && doc.source.type === "image" ? "image" : "sbom",
      name: str(src?.userInput) ?? source,
    },
    layers: [],
    packages: [...packages.values()].sort(comparePackages),
  };
  if (distro && str(distro.name)) {
    sbom.os = { id: (distro.name as string).toLowerCase() };
    if (str(distro.version)) sbom.os.versionId = distro.version as string;
  }
  return sbom;
}
