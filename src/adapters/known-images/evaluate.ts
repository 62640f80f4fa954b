import type { CoverageEntry } from "../../core/findings/index.js";
import {
  attributeVulns,
  buildLineage,
  type Lineage,
  type LineageVulns,
  lineageQueryKeys,
  matchLineage,
} from "../../core/lineage/index.js";
import { appendAll } from "../../core/util/index.js";
import { DEFAULT_RESOLVER } from "../../core/vuln/index.js";
import type { StoredImage, Stores } from "../store/index.js";

/** The tree and its vulnerabilities as of now. */
export interface LineageState {
  lineage: Lineage;
  vulns: LineageVulns;
  images: StoredImage[];
  /** Where the stores live, for messages: the file path, or the URL without its password. */
  location: string;
  /** Advisories in the vulnerability database (0 when there is none). */
  advisories: number;
  coverage: CoverageEntry[];
}

/**
 * Read known images from the stores, build the tree, and match it against the vulnerability store (one batched
 * lookup over every node's package keys). Without advisories the tree is still built and a coverage entry says
 * vulnerability counts are unknown. Messages name the stores' `location` (the file, or the redacted URL).
 */
export async function loadLineageState(
  stores: Pick<Stores, "location" | "images" | "vulns">,
): Promise<LineageState> {
  const where = stores.location;
  const coverage: CoverageEntry[] = [];
  const listed = await stores.images.listImages();
  const images: StoredImage[] = listed.images;
  appendAll(coverage, listed.coverage);
  const lineage = buildLineage(images.map((i) => i.image));
  appendAll(coverage, lineage.coverage);
  let byKey = new Map<string, import("../../core/vuln/index.js").OsvRecord[]>();
  const st = await stores.vulns.status();
  const advisories = st.advisories;
  // Never an answer from an import that did not finish without saying so (`vuln scan` refuses it).
  if (st.importState === "interrupted")
    coverage.push({
      reason: "stale",
      subject: where,
      message: `the last import into ${where} (started ${st.importStartedAt ?? "at an unknown time"}) did not finish: vulnerabilities are those of the import before it; run \`palisade vuln db import\` again`,
    });
  if (advisories > 0) byKey = await stores.vulns.lookup(lineageQueryKeys(lineage));
  if (advisories === 0)
    coverage.push({
      reason: "missing",
      subject: where,
      message: `no advisories in ${where}: vulnerability counts are unknown (palisade vuln db import PATH...)`,
    });
  const matched = matchLineage(lineage, byKey, DEFAULT_RESOLVER);
  appendAll(coverage, matched.coverage);
  return {
    lineage,
    vulns: attributeVulns(lineage, matched.findings),
    images,
    location: where,
    advisories,
    coverage,
  };
}
