import { PalisadeError } from "../errors/index.js";
import { FORBIDDEN_KEYS, isRecord, jsonErrorReason } from "../util/index.js";
import { fromCycloneDxJson, fromCycloneDxXml } from "./cyclonedx.js";
import type { Sbom } from "./model.js";
import { fromGrypeJson, fromTrivyJson } from "./reports.js";
import { fromSpdxJson } from "./spdx.js";
import { fromSpdxTagValue, isSpdxTagValue } from "./spdx-tag-value.js";

export type SbomFormat =
  | "cyclonedx-json"
  | "cyclonedx-xml"
  | "spdx-json"
  | "spdx-tag-value"
  | "trivy-json"
  | "grype-json";

/** Recognise and read an SBOM or scanner report. Throws PalisadeError INPUT/UNSAFE/LIMIT/UNSUPPORTED. */
export function parseSbomDocument(text: string, source: string): { format: SbomFormat; sbom: Sbom } {
  const t = text.replace(/^\uFEFF/, "").trimStart();
  if (t.startsWith("<")) return { format: "cyclonedx-xml", sbom: fromCycloneDxXml(t, source) };
  if (isSpdxTagValue(t)) return { format: "spdx-tag-value", sbom: fromSpdxTagValue(t, source) };
  let doc: unknown;
  try {
    doc = JSON.parse(t, (k, v) => {
      // Reject prototype keys at parse time: SBOMs are merged into objects downstream.
      if (FORBIDDEN_KEYS.has(k))
        throw new PalisadeError("UNSAFE", `forbidden key ${k}`, { context: { file: source } });
      return v;
    });
  } catch (e) {
    if (e instanceof PalisadeError) throw e;
    // No `cause`: V8's message quotes the input, which may be a secret.
    throw new PalisadeError("INPUT", `invalid JSON: ${jsonErrorReason(e)}`, { context: { file: source } });
  }
  if (!isRecord(doc))
    throw new PalisadeError("INPUT", "SBOM must be a JSON object", { context: { file: source } });
  if (doc.bomFormat === "CycloneDX")
    return { format: "cyclonedx-json", sbom: fromCycloneDxJson(doc, source) };
  if (typeof doc.spdxVersion === "string") return { format: "spdx-json", sbom: fromSpdxJson(doc, source) };
  if (Array.isArray(doc.Results) || typeof doc.SchemaVersion === "number")
    return { format: "trivy-json", sbom: fromTrivyJson(doc, source) };
  if (Array.isArray(doc.matches)) return { format: "grype-json", sbom: fromGrypeJson(doc, source) };
  throw new PalisadeError(
    "UNSUPPORTED",
    "unrecognised SBOM: expected CycloneDX, SPDX 2.3, Trivy or Grype JSON, CycloneDX XML or SPDX tag-value",
    { context: { file: source } },
  );
}
