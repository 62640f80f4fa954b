/**
 * SPDX 2.3 JSON out and in (https://spdx.github.io/spdx-spec/v2.3/). Packages carry their purl as an external
 * reference (category PACKAGE-MANAGER, type purl). Deterministic: documentNamespace from the content hash,
 * `created` from the injected clock.
 */
import { PalisadeError } from "../errors/index.js";
import { stableHash } from "../findings/index.js";
import { isRecord } from "../util/index.js";
import { comparePackages, type SbomWriteOptions } from "./cyclonedx.js";
import type { Package, Sbom } from "./model.js";
import { packageTypeOfPurl, parsePurl } from "./purl.js";

/** SPDX ids allow letters, digits, '.' and '-' only. */
function spdxId(s: string): string {
  return s.replace(/[^A-Za-z0-9.-]/g, "-");
}

/** Sbom -> SPDX 2.3 JSON document. */
export function toSpdx(sbom: Sbom, opts: SbomWriteOptions): Record<string, unknown> {
  const pkgs = [...sbom.packages].sort(comparePackages);
  const rootId = "SPDXRef-Subject";
  const packages: Record<string, unknown>[] = [
    {
      SPDXID: rootId,
      name: sbom.subject.name,
      downloadLocation: "NOASSERTION",
      primaryPackagePurpose: sbom.subject.kind === "image" ? "CONTAINER" : "APPLICATION",
      ...(sbom.subject.digest ? { versionInfo: sbom.subject.digest } : {}),
    },
  ];
  const relationships: Record<string, unknown>[] = [
    { spdxElementId: "SPDXRef-DOCUMENT", relationshipType: "DESCRIBES", relatedSpdxElement: rootId },
  ];
  pkgs.forEach((p, i) => {
    const id = `SPDXRef-Package-${i + 1}-${spdxId(p.name).slice(0, 64)}`;
    const sp: Record<string, unknown> = {
      SPDXID: id,
      name: p.group ? `${p.group}:${p.name}` : p.name,
      versionInfo: p.version,
      downloadLocation: "NOASSERTION",
      filesAnalyzed: false,
      licenseConcluded: "NOASSERTION",
      licenseDeclared: p.licenses?.length ? p.licenses.join(" AND ") : "NOASSERTION",
      copyrightText: "NOASSERTION",
    };
    if (p.purl)
      sp.externalRefs = [
        { referenceCategory: "PACKAGE-MANAGER", referenceType: "purl", referenceLocator: p.purl },
      ];
    if (p.sourceName) sp.sourceInfo = `built package from: ${p.sourceName} ${p.sourceVersion ?? p.version}`;
    const comments: string[] = [];
    if (p.layerDiffId) comments.push(`layerDiffId: ${p.layerDiffId}`);
    for (const l of p.locations) comments.push(`location: ${l}`);
    if (comments.length) sp.comment = comments.join("\n");
    packages.push(sp);
    relationships.push({ spdxElementId: rootId, relationshipType: "CONTAINS", relatedSpdxElement: id });
  });
  const body = { packages, relationships };
  return {
    spdxVersion: "SPDX-2.3",
    dataLicense: "CC0-1.0",
    SPDXID: "SPDXRef-DOCUMENT",
    name: sbom.subject.name,
    documentNamespace: `https://palisade.dev/spdx/${encodeURIComponent(sbom.subject.name)}-${stableHash(JSON.stringify(body))}`,
    creationInfo: {
      created: opts.now.toISOString(),
      creators: [`Tool: palisade-${opts.toolVersion ?? "0.1.0"}`],
    },
    documentDescribes: [rootId],
    packages,
    relationships,
  };
}

/** SPDX 2.x JSON -> Sbom. Packages without a purl are kept as generic packages. */
export function fromSpdxJson(doc: unknown, source: string): Sbom {
  if (!isRecord(doc) || typeof doc.spdxVersion !== "string" || !doc.spdxVersion.startsWith("SPDX-2."))
    throw new PalisadeError("INPUT", "not an SPDX 2.x JSON document", { context: { file: source } });
  const described = new Set(
    Array.isArray(doc.documentDescribes)
      ? doc.documentDescribes.filter((x): x is string => typeof x === "string")
      : [],
  );
  for (const r of Array.isArray(doc.relationships) ? doc.relationships : [])
    if (
      isRecord(r) &&
      r.relationshipType === "DESCRIBES" &&
      r.spdxElementId === "SPDXRef-DOCUMENT" &&
      typeof r.relatedSpdxElement === "string"
    )
      described.add(r.relatedSpdxElement);
  const packages: Package[] = [];
  let subjectName = typeof doc.name === "string" ? doc.name : source;
  for (const sp of (Array.isArray(doc.packages) ? doc.packages : []).slice(0, 500_000)) {
    if (!isRecord(sp) || typeof sp.name !== "string") continue;
    const refs = Array.isArray(sp.externalRefs) ? sp.externalRefs : [];
    const purlRef = refs.find(
      (r) => isRecord(r) && r.referenceType === "purl" && typeof r.referenceLocator === "string",
    );
    const purl = isRecord(purlRef) ? (purlRef.referenceLocator as string) : "";
    if (typeof sp.SPDXID === "string" && described.has(sp.SPDXID) && !purl) {
      subjectName = sp.name;
      continue;
    }
    const parsed = purl ? parsePurl(purl) : undefined;
    let name = sp.name;
    let group: string | undefined;
    if (parsed?.type === "maven" && parsed.namespace) {
      group = parsed.namespace;
      name = parsed.name;
    }
    const p: Package = {
      type: parsed ? packageTypeOfPurl(parsed.type) : "generic",
      name,
      version: typeof sp.versionInfo === "string" ? sp.versionInfo : (parsed?.version ?? ""),
      purl,
      locations: [],
    };
    if (group) p.group = group;
    const src =
      typeof sp.sourceInfo === "string" ? /built package from: (\S+)(?: (\S+))?/.exec(sp.sourceInfo) : null;
    if (src?.[1]) p.sourceName = src[1];
    if (src?.[2]) p.sourceVersion = src[2];
    if (parsed?.qualifiers.arch) p.arch = parsed.qualifiers.arch;
    if (typeof sp.comment === "string") {
      for (const line of sp.comment.split("\n")) {
        if (line.startsWith("layerDiffId: ")) p.layerDiffId = line.slice(13);
        else if (line.startsWith("location: ")) p.locations.push(line.slice(10));
      }
    }
    if (
      typeof sp.licenseDeclared === "string" &&
      sp.licenseDeclared !== "NOASSERTION" &&
      sp.licenseDeclared !== "NONE"
    )
      p.licenses = sp.licenseDeclared.split(" AND ");
    packages.push(p);
  }
  return {
    subject: { kind: "sbom", name: subjectName },
    layers: [],
    packages: packages.sort(comparePackages),
  };
}
