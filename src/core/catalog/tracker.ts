import { type CoverageEntry, cmp, compareCoverage } from "../findings/index.js";
import type { LayerInfo, OsInfo, Package, Sbom } from "../sbom/index.js";
import { appendAll } from "../util/index.js";
import type { CatalogedPackage, CatalogResult } from "./model.js";
import { OS_RELEASE_PATHS } from "./os-release.js";
import { Overlay } from "./overlay.js";
import { makePurl } from "./purl.js";

/** What one version of a tracked file contributed: its packages, or the OS it names. */
export interface TrackedFile {
  result: CatalogResult;
  os?: OsInfo | undefined;
}

/** Identity of a package for layer-of-origin purposes: what it is and where its evidence lives. */
function packageKey(p: CatalogedPackage, location: string): string {
  return [p.type, p.group ?? "", p.name, p.version, p.arch ?? "", location].join("\u0000");
}

function comparePackages(a: Package, b: Package): number {
  return (
    cmp(a.type, b.type) ||
    cmp(a.group ?? "", b.group ?? "") ||
    cmp(a.name, b.name) ||
    cmp(a.version, b.version) ||
    cmp(a.arch ?? "", b.arch ?? "") ||
    cmp(a.locations[0] ?? "", b.locations[0] ?? "")
  );
}

/**
 * Follows tracked files through the layers of an image and builds the SBOM of the final filesystem.
 *
 * Layer of origin: a package's layer is the earliest layer from which it is continuously present (same type,
 * name, version, arch, evidence path) up to the final filesystem. A package installed in layer 1, removed in
 * layer 3 and reinstalled in layer 5 was introduced — for the image as shipped — by layer 5.
 */
export class PackageTracker {
  private readonly overlay = new Overlay<TrackedFile>();
  private readonly streak = new Map<string, number>();
  private layers = 0;

  put(path: string, file: TrackedFile): void {
    this.overlay.put(path, file);
  }
  hide(path: string, isDir: boolean): void {
    this.overlay.hide(path, isDir);
  }
  whiteout(path: string): void {
    this.overlay.whiteout(path);
  }
  opaque(dir: string): void {
    this.overlay.opaque(dir);
  }

  /** Close the current layer and update each package's continuous-presence start. */
  commitLayer(): void {
    const index = this.layers++;
    const state = this.overlay.commitLayer();
    const present = new Set<string>();
    for (const [path, f] of state) {
      for (const p of f.result.packages) present.add(packageKey(p, p.locations[0] ?? path));
    }
    for (const k of [...this.streak.keys()]) if (!present.has(k)) this.streak.delete(k);
    for (const k of present) if (!this.streak.has(k)) this.streak.set(k, index);
  }

  /**
   * The SBOM of the final state. `layers` gives diff_ids by index; pass an empty list for a plain directory,
   * whose packages then carry no layer.
   */
  finish(
    subject: Sbom["subject"],
    layers: LayerInfo[],
    image?: Sbom["image"],
  ): { sbom: Sbom; coverage: CoverageEntry[] } {
    const state = this.overlay.state;
    let os: OsInfo | undefined;
    for (const p of OS_RELEASE_PATHS) {
      const f = state.get(p);
      if (f?.os) {
        os = f.os;
        break;
      }
    }
    const coverage: CoverageEntry[] = [];
    const byKey = new Map<string, Package>();
    for (const [path, f] of [...state].sort((a, b) => cmp(a[0], b[0]))) {
      appendAll(coverage, f.result.coverage);
      for (const p of f.result.packages) {
        const key = packageKey(p, p.locations[0] ?? path);
        if (byKey.has(key)) continue;
        const pkg: Package = { ...p, purl: makePurl(p, os) };
        const idx = this.streak.get(key);
        if (layers.length > 0 && idx !== undefined) {
          pkg.layerIndex = idx;
          const layer = layers[idx];
          if (layer) pkg.layerDiffId = layer.diffId;
        }
        byKey.set(key, pkg);
      }
    }
    const sbom: Sbom = { subject, layers, packages: [...byKey.values()].sort(comparePackages) };
    if (os) sbom.os = os;
    if (image) sbom.image = image;
    return { sbom, coverage: coverage.sort(compareCoverage) };
  }
}
