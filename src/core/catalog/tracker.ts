import { type CoverageEntry, cmp, compareCoverage } from "../findings/index.js";
import type { LayerInfo, OsInfo, Package, Sbom } from "../sbom/index.js";
import { appendAll } from "../util/index.js";
import type { CatalogedPackage, CatalogerId, CatalogResult } from "./model.js";
import { OS_RELEASE_PATHS } from "./os-release.js";
import { Overlay } from "./overlay.js";
import { makePurl } from "./purl.js";
import { RPMDB_PATHS } from "./rpm.js";
import { isSbomDocumentPath, purlIdentity } from "./sbom-document.js";

/** What one version of a tracked file contributed: its packages, or the OS it names; or a symlink's target. */
export interface TrackedFile {
  result: CatalogResult;
  os?: OsInfo | undefined;
  /** A symbolic link, with its target as written in the image. */
  link?: string | undefined;
}

/**
 * The package databases found at one fixed path. When one of these is a symlink (or sits under a symlinked
 * directory) the file it resolves to is read in its place: `/etc/os-release -> ../usr/lib/os-release` is the
 * usual form, `var/lib/dpkg/status -> /data/status` a rarer one.
 */
export const LINKED_DATABASE_PATHS: readonly { path: string; cataloger: CatalogerId }[] = [
  ...OS_RELEASE_PATHS.map((path) => ({ path, cataloger: "os-release" as const })),
  { path: "var/lib/dpkg/status", cataloger: "dpkg" },
  { path: "lib/apk/db/installed", cataloger: "apk" },
  ...RPMDB_PATHS.map((path) => ({ path, cataloger: "rpm" as const })),
];

/**
 * A database path that resolves through a link to another database path (SUSE's `var/lib/rpm ->
 * ../../usr/lib/sysimage/rpm`): the target is collected on its own whenever it exists, so when it was not read
 * there is no database there — nothing is missing and no second pass would find it.
 */
const isDirectDatabasePath = (path: string): boolean => LINKED_DATABASE_PATHS.some((d) => d.path === path);

/** Linux's limit on symlinks followed in one lookup (MAXSYMLINKS, path_resolution(7)). */
export const MAX_LINK_HOPS = 40;

/**
 * Resolve `path` inside an image root as the kernel would inside the container: every component that is a
 * symlink (per `readLink`) is replaced by its target, absolute targets start again at the image root, and `..`
 * stops at the root (as in a chroot), so a link can never lead outside the image. At most {@link MAX_LINK_HOPS}
 * links are followed.
 */
export function resolveImagePath(
  path: string,
  readLink: (path: string) => string | undefined,
): { ok: true; path: string; viaLink: boolean } | { ok: false; reason: string } {
  const split = (p: string) => p.split("/").filter((s) => s !== "" && s !== ".");
  let todo = split(path);
  const done: string[] = [];
  let hops = 0;
  while (todo.length > 0) {
    const seg = todo.shift() as string;
    if (seg === "..") {
      done.pop();
      continue;
    }
    done.push(seg);
    const target = readLink(done.join("/"));
    if (target === undefined) continue;
    if (++hops > MAX_LINK_HOPS) return { ok: false, reason: `more than ${MAX_LINK_HOPS} symlinks (a loop?)` };
    done.pop();
    if (target.startsWith("/")) done.length = 0;
    todo = [...split(target), ...todo];
  }
  return { ok: true, path: done.join("/"), viaLink: hops > 0 };
}

const NO_RESULT: CatalogResult = Object.freeze({ packages: [], coverage: [] }) as CatalogResult;

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
  /** Files to collect because a database path links to them: path -> the cataloger of the linking path. */
  private readonly wanted = new Map<string, CatalogerId>();

  /**
   * @param wanted link targets already known to be wanted (from an earlier pass over the same image), so that
   *   a target stored before its link is read too.
   */
  constructor(wanted?: ReadonlyMap<string, CatalogerId>) {
    for (const [p, id] of wanted ?? []) this.wanted.set(p, id);
  }

  put(path: string, file: TrackedFile): void {
    this.overlay.put(path, file);
  }

  /** A symlink at `path`. It replaces what was there, and may redirect a database path to another file. */
  link(path: string, target: string): void {
    this.overlay.hide(path, false);
    this.overlay.put(path, { result: NO_RESULT, link: target });
    for (const d of LINKED_DATABASE_PATHS) {
      const r = resolveImagePath(d.path, this.readLink);
      if (r.ok && r.viaLink && r.path !== "" && !this.wanted.has(r.path))
        this.wanted.set(r.path, d.cataloger);
    }
  }

  /** The cataloger to read `path` with because a database path links to it, if any. */
  linkedCataloger(path: string): CatalogerId | undefined {
    return this.wanted.size === 0 ? undefined : this.wanted.get(path);
  }

  private readonly readLink = (p: string): string | undefined => this.overlay.get(p)?.link;

  /**
   * Database paths that resolve through a symlink to a file that was not collected, with the target path and
   * cataloger (an adapter can read those targets — a second pass, or the directory — and `put` them).
   */
  unresolvedLinks(): { path: string; target: string; cataloger: CatalogerId }[] {
    const out: { path: string; target: string; cataloger: CatalogerId }[] = [];
    for (const d of LINKED_DATABASE_PATHS) {
      const r = resolveImagePath(d.path, this.readLink);
      if (
        r.ok &&
        r.viaLink &&
        r.path !== "" &&
        this.overlay.get(r.path) === undefined &&
        !isDirectDatabasePath(r.path)
      )
        out.push({ path: d.path, target: r.path, cataloger: d.cataloger });
    }
    return out;
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
    const coverage: CoverageEntry[] = [];
    // Database paths reached through symlinks: the file they resolve to stands in for them; one that cannot be
    // resolved or was not read is said, never silently absent.
    const resolved = new Map<string, string>();
    for (const d of LINKED_DATABASE_PATHS) {
      const r = resolveImagePath(d.path, this.readLink);
      if (!r.ok) {
        coverage.push({ reason: "unsupported", subject: d.path, message: `cannot resolve: ${r.reason}` });
        continue;
      }
      resolved.set(d.path, r.path);
      if (!r.viaLink || isDirectDatabasePath(r.path)) continue;
      const f = r.path === "" ? undefined : state.get(r.path);
      if (!f || f.link)
        coverage.push({
          reason: "missing",
          subject: d.path,
          message: `symlink resolves to /${r.path}, which was not read (not a regular file in the image, or stored before the link)`,
        });
    }
    let os: OsInfo | undefined;
    for (const p of OS_RELEASE_PATHS) {
      const f = state.get(resolved.get(p) ?? p);
      if (f?.os) {
        os = f.os;
        break;
      }
    }
    const byKey = new Map<string, Package>();
    // SBOM documents come last: a package they list that the filesystem already showed (same purl type,
    // namespace, name and version) is not listed twice; the document is added to that package's locations.
    const byIdentity = new Map<string, Package>();
    const files = [...state].sort(
      (a, b) => Number(isSbomDocumentPath(a[0])) - Number(isSbomDocumentPath(b[0])) || cmp(a[0], b[0]),
    );
    for (const [path, f] of files) {
      appendAll(coverage, f.result.coverage);
      const document = isSbomDocumentPath(path);
      for (const p of f.result.packages) {
        const key = packageKey(p, p.locations[0] ?? path);
        if (byKey.has(key)) continue;
        const purl = (document && p.purl) || makePurl(p, os);
        const identity = purlIdentity(purl);
        const seen = byIdentity.get(identity);
        if (document && seen) {
          if (!seen.locations.includes(path)) seen.locations = [...seen.locations, path];
          continue;
        }
        const pkg: Package = { ...p, purl };
        const idx = this.streak.get(key);
        if (layers.length > 0 && idx !== undefined) {
          pkg.layerIndex = idx;
          const layer = layers[idx];
          if (layer) pkg.layerDiffId = layer.diffId;
        }
        byKey.set(key, pkg);
        if (!byIdentity.has(identity)) byIdentity.set(identity, pkg);
      }
    }
    const sbom: Sbom = { subject, layers, packages: [...byKey.values()].sort(comparePackages) };
    if (os) sbom.os = os;
    if (image) sbom.image = image;
    return { sbom, coverage: coverage.sort(compareCoverage) };
  }
}
