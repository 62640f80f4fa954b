/** SBOM domain: the package model and SBOM formats in and out. Pure. */
export type { SbomWriteOptions } from "./cyclonedx.js";
export {
  comparePackages,
  fromCycloneDxJson,
  fromCycloneDxXml,
  toCycloneDx,
  uuidFromHash,
} from "./cyclonedx.js";
export type { LayerInfo, OsInfo, Package, PackageType, Sbom } from "./model.js";
export type { SbomFormat } from "./parse.js";
export { parseSbomDocument } from "./parse.js";
export type { ParsedPurl } from "./purl.js";
export { formatPurl, packageTypeOfPurl, parsePurl } from "./purl.js";
export { fromGrypeJson, fromTrivyJson } from "./reports.js";
export { fromSpdxJson, toSpdx } from "./spdx.js";
export { fromSpdxTagValue, isSpdxTagValue } from "./spdx-tag-value.js";
export type { XmlElement } from "./xml.js";
export { child as xmlChild, localName as xmlLocalName, parseXml, XML_LIMITS } from "./xml.js";
