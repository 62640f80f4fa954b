import { existsSync } from "node:fs";
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
import type { StoredImage } from "./index.js";

/** The tree and its vulnerabilities as of now. */
export interface LineageState {
  lineage: Lineage;
  vulns: LineageVulns;
  images: StoredImage[];
  /** Advisories in the vulnerability database (0 when there is none). */
  advisories: number;
  coverage: CoverageEntry[];
}

/**
 * Read known images from `file`, build the tree, and match it against the vulnerability database in the same
 * file (one batched lookup over every node's package keys). Without advisories the tree is still built and a
 * coverage entry says vulnerability counts are unknown.
 */
export async function loadLineageState(file: string): Promise<LineageState> {
  const { KnownImageStore } = await import("./index.js");
  const { SqliteVulnStore } = await import("../store/index.js");
  const coverage: CoverageEntry[] = [];
  let images: StoredImage[] = [];
  if (existsSync(file)) {
    const store = new KnownImageStore(file);
    try {
      const r = store.listImages();
      images = r.images;
      appendAll(coverage, r.coverage);
    } finally {
      store.close();
    }
  }
  const lineage = buildLineage(images.map((i) => i.image));
  appendAll(coverage, lineage.coverage);
  let advisories = 0;
  let byKey = new Map<string, import("../../core/vuln/index.js").OsvRecord[]>();
  if (existsSync(file)) {
    // The known-images store above opened (and integrity-checked) this same file a moment ago.
    const vs = new SqliteVulnStore(file, { check: false });
    try {
      const st = vs.status();
      advisories = st.advisories;
      // Never an answer from an import that did not finish without saying so (`vuln scan` refuses it).
      if (st.importState === "interrupted")
        coverage.push({
          reason: "stale",
          subject: file,
          message: `the last import into ${file} (started ${st.importStartedAt ?? "at an unknown time"}) did not finish: vulnerabilities are those of the import before it; run \`palisade vuln db import\` again`,
        });
      if (advisories > 0) byKey = vs.lookup(lineageQueryKeys(lineage));
    } finally {
      vs.close();
    }
  }
  if (advisories === 0)
    coverage.push({
      reason: "missing",
      subject: file,
      message: `no advisories in ${file}: vulnerability counts are unknown (palisade vuln db import PATH...)`,
    });
  const matched = matchLineage(lineage, byKey, DEFAULT_RESOLVER);
  appendAll(coverage, matched.coverage);
  return { lineage, vulns: attributeVulns(lineage, matched.findings), images, advisories, coverage };
}
