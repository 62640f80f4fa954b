/**
 * Union-filesystem semantics of OCI image layers (image-spec `layer.md`, "Whiteouts"), over the files the
 * catalogers track. Pure: the adapter feeds tar entries, this decides what the merged filesystem holds.
 *
 * - `.wh.<name>` removes `<name>` (and everything below it) from LOWER layers only;
 * - `.wh..wh..opq` in directory D removes every lower-layer entry below D, but not D's entries in this layer;
 * - a non-directory entry at P replaces a lower directory P (and so hides its subtree), and any entry at a
 *   tracked path replaces the lower tracked file, even when the new entry is one we do not collect (a symlink,
 *   an over-budget file).
 *
 * Whiteouts act on lower layers whatever their position in the tar stream, so each layer's additions go to an
 * `upper` map and merge into the lower state only at {@link Overlay.commitLayer}.
 */
export class Overlay<T> {
  private lower = new Map<string, T>();
  private upper = new Map<string, T>();
  /** Ancestor directories of lower paths (a superset after deletions): lets `hide` skip the subtree scan. */
  private lowerDirs = new Set<string>();

  /** A collected file in the current layer (a later entry for the same path wins, as in tar extraction). */
  put(path: string, value: T): void {
    this.upper.set(path, value);
  }

  /** An entry at `path` that is not collected. `isDir` directories only replace a lower non-directory at path. */
  hide(path: string, isDir: boolean): void {
    this.upper.delete(path);
    this.lower.delete(path);
    if (!isDir) this.removeLowerSubtree(path);
  }

  /** `.wh.<name>` for `path` = dir/name. */
  whiteout(path: string): void {
    this.lower.delete(path);
    this.removeLowerSubtree(path);
  }

  /** `.wh..wh..opq` in directory `dir` ("" for the root). */
  opaque(dir: string): void {
    this.removeLowerSubtree(dir);
  }

  /** End of a layer: its files join the merged state. Returns the state after this layer. */
  commitLayer(): ReadonlyMap<string, T> {
    for (const [p, v] of this.upper) this.lower.set(p, v);
    this.upper = new Map();
    this.lowerDirs = new Set();
    for (const p of this.lower.keys()) {
      for (let i = p.indexOf("/"); i >= 0; i = p.indexOf("/", i + 1)) this.lowerDirs.add(p.slice(0, i));
    }
    return this.lower;
  }

  /** What the filesystem holds at `path` now: this layer's entry, else the merged lower state's. */
  get(path: string): T | undefined {
    return this.upper.has(path) ? this.upper.get(path) : this.lower.get(path);
  }

  /** The merged state so far (committed layers only). */
  get state(): ReadonlyMap<string, T> {
    return this.lower;
  }

  private removeLowerSubtree(dir: string): void {
    if (dir !== "" && !this.lowerDirs.has(dir)) return;
    const prefix = dir === "" ? "" : `${dir}/`;
    for (const p of [...this.lower.keys()]) if (p.startsWith(prefix)) this.lower.delete(p);
  }
}
