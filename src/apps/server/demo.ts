/**
 * `palisade serve --demo`: the bundled demo (examples/demo) loaded into a store, so a newcomer sees the API and
 * the dashboard with one command. Advisories are imported, the demo images analysed and remembered, and the
 * "before" snapshot ingested as cluster `demo`; the "after" snapshot (the fixed digests rolled out) is left for
 * the user to push, which closes the remediation record of the demo's critical CVE.
 */
import { hash } from "node:crypto";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { analyzeImage } from "../../adapters/image/index.js";
import { loadSnapshotStream } from "../../adapters/manifests/index.js";
import { readOsvPaths, type Stores } from "../../adapters/store/index.js";
import { PalisadeError } from "../../core/errors/index.js";
import { knownImageFromSbom } from "../../core/lineage/index.js";
import { rememberImages } from "../../services/images/index.js";
import { type IngestSummary, ingestSnapshot } from "../../services/ingest/index.js";
import { importAdvisories } from "../../services/vuln/index.js";
import { VERSION } from "../cli/version.js";

/** The cluster the demo snapshots are ingested as. */
export const DEMO_CLUSTER = "demo";

/**
 * The bundled demo directory: `examples/demo` of the package this file belongs to (found by walking up from it,
 * so the sources, the bundle in dist/cli and an installed package all find it).
 */
export function bundledDemoDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, "examples", "demo");
    if (existsSync(join(candidate, "images", "refs.txt"))) return candidate;
    const up = dirname(dir);
    if (up === dir)
      throw new PalisadeError("IO", "the bundled demo (examples/demo) is not installed beside palisade");
    dir = up;
  }
}

/** Ingest one snapshot file of the demo (or any `kubectl get -A -o json` file) as `cluster`. */
export async function ingestSnapshotFile(
  stores: Stores,
  cluster: string,
  file: string,
  now: () => Date,
): Promise<IngestSummary> {
  const bytes = await readFile(file);
  return ingestSnapshot(
    { cluster, display: file },
    {
      readSnapshot: async (files, budget) =>
        loadSnapshotStream(Readable.from([bytes]), files[0] ?? file, { budget }),
      stores,
      now,
      hash: (text) => hash("sha256", text, "hex"),
      version: VERSION,
    },
  );
}

export interface DemoLoaded {
  advisories: number;
  images: number;
  snapshot: IngestSummary;
  /** The snapshot to push next (`palisade push --snapshot FILE`) to see the rollout close the record. */
  next: string;
}

/** The demo's advisories and images (analysed and remembered), without a snapshot of any cluster. */
export async function loadDemoCatalog(
  stores: Stores,
  dir: string,
  now: () => Date,
): Promise<{ advisories: number; images: number }> {
  const advisories = await importAdvisories(readOsvPaths([join(dir, "advisories")]), {
    vulns: stores.vulns,
    now,
  });
  const refs = (await readFile(join(dir, "images", "refs.txt"), "utf8"))
    .split("\n")
    .map((l) => l.trim().split(/\s+/))
    .filter((f): f is [string, string, ...string[]] => f.length >= 2 && f[0] !== "");
  const known = [];
  for (const [sub, ref] of refs) {
    const { sbom } = await analyzeImage(`oci:${resolve(dir, "images", sub)}`);
    known.push(knownImageFromSbom(sbom, [ref]));
  }
  await rememberImages(known, { images: stores.images, now });
  return { advisories: advisories.records, images: known.length };
}

/** Load the demo in `dir` into `stores`: advisories, images, then the "before" snapshot. */
export async function loadDemo(stores: Stores, dir: string, now: () => Date): Promise<DemoLoaded> {
  const catalog = await loadDemoCatalog(stores, dir, now);
  const snapshot = await ingestSnapshotFile(stores, DEMO_CLUSTER, join(dir, "snapshots", "before.json"), now);
  return {
    ...catalog,
    snapshot,
    next: join(dir, "snapshots", "after.json"),
  };
}
