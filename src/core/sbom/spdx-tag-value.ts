/**
 * SPDX 2.x tag-value documents in (SPDX 2.3 spec, clause 5 "Tag-value format"): `Tag: value` lines, multi-line
 * values between `<text>` and `</text>`, `#` comments. Each `PackageName:` opens a package; the fields Palisade
 * reads are those of the JSON form (SPDXID, PackageVersion, ExternalRef purl, PackageLicenseDeclared,
 * PackageSourceInfo, PackageComment) plus DESCRIBES relationships, so the document becomes the JSON form's object
 * and is read by the one SPDX reader ({@link fromSpdxJson}).
 */
import { PalisadeError } from "../errors/index.js";
import type { Sbom } from "./model.js";
import { fromSpdxJson } from "./spdx.js";

/** Whether `text` looks like an SPDX tag-value document: its first tag line is `SPDXVersion:`. */
export function isSpdxTagValue(text: string): boolean {
  for (const line of text.split("\n", 50)) {
    const t = line.trim();
    if (t === "" || t.startsWith("#")) continue;
    return /^SPDXVersion:\s*SPDX-2\./.test(t);
  }
  return false;
}

/** The tags kept per package, as the JSON field each maps to. */
const PACKAGE_FIELDS: Readonly<Record<string, string>> = {
  SPDXID: "SPDXID",
  PackageVersion: "versionInfo",
  PackageLicenseDeclared: "licenseDeclared",
  PackageSourceInfo: "sourceInfo",
  PackageComment: "comment",
};

/** SPDX 2.x tag-value -> Sbom. Throws PalisadeError INPUT naming the line of a malformed entry. */
export function fromSpdxTagValue(text: string, source: string): Sbom {
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  const doc: Record<string, unknown> = {};
  const packages: Record<string, unknown>[] = [];
  const relationships: Record<string, unknown>[] = [];
  let pkg: Record<string, unknown> | undefined;
  const fail = (line: number, why: string) =>
    new PalisadeError("INPUT", `SPDX tag-value line ${line}: ${why}`, { context: { file: source, line } });
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] as string;
    if (raw.trim() === "" || raw.trimStart().startsWith("#")) continue;
    const m = /^([A-Za-z][A-Za-z0-9]*):\s?(.*)$/.exec(raw);
    if (!m) throw fail(i + 1, "not a Tag: value line");
    const tag = m[1] as string;
    let value = (m[2] as string).trim();
    if (value.startsWith("<text>")) {
      const start = i + 1;
      const parts = [value.slice(6)];
      while (!(parts[parts.length - 1] as string).includes("</text>")) {
        i++;
        if (i >= lines.length) throw fail(start, "<text> without </text>");
        parts.push(lines[i] as string);
      }
      value = parts.join("\n");
      value = value.slice(0, value.indexOf("</text>"));
    }
    if (tag === "SPDXVersion") doc.spdxVersion = value;
    else if (tag === "DocumentName" && !pkg) doc.name = value;
    else if (tag === "PackageName") {
      pkg = { name: value };
      packages.push(pkg);
    } else if (tag === "ExternalRef" && pkg) {
      const [category, type, locator] = value.split(/\s+/);
      if (!category || !type || !locator) throw fail(i + 1, "ExternalRef needs category, type and locator");
      const refs = Array.isArray(pkg.externalRefs) ? pkg.externalRefs : [];
      refs.push({ referenceCategory: category, referenceType: type, referenceLocator: locator });
      pkg.externalRefs = refs;
    } else if (tag === "Relationship") {
      const [from, type, to] = value.split(/\s+/);
      if (from && type && to)
        relationships.push({ spdxElementId: from, relationshipType: type, relatedSpdxElement: to });
    } else if (pkg && Object.hasOwn(PACKAGE_FIELDS, tag)) pkg[PACKAGE_FIELDS[tag] as string] = value;
    else if (tag === "FileName" || tag === "SnippetSPDXID" || tag === "LicenseID") pkg = undefined;
  }
  if (typeof doc.spdxVersion !== "string")
    throw new PalisadeError("INPUT", "SPDX tag-value document without SPDXVersion", {
      context: { file: source },
    });
  return fromSpdxJson({ ...doc, packages, relationships }, source);
}
