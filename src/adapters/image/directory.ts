import { lstat, open, opendir, readlink } from "node:fs/promises";
import { join } from "node:path";
import type { Readable } from "node:stream";
import { Budget } from "../../core/budget/index.js";
import { isElf, matchCataloger, type PackageTracker } from "../../core/catalog/index.js";
import { PalisadeError } from "../../core/errors/index.js";
import type { CoverageEntry } from "../../core/findings/index.js";
import { readRegularFile } from "../fs/index.js";
import { catalogFile, isEmptyResult } from "./catalog-file.js";
import type { LayerBudgets } from "./layer.js";
import type { ImageSource, ImageSourceDescriptor } from "./source.js";

/** A plain directory: a root filesystem or a source tree with lock files. It has no image and no layers. */
export class DirectorySource implements ImageSource {
  readonly transport = "dir" as const;
  readonly name: string;
  constructor(readonly rootDir: string) {
    this.name = `dir:${rootDir}`;
  }
  async resolve(): Promise<undefined> {
    const st = await lstat(this.rootDir).catch((e: unknown) => {
      throw new PalisadeError("INPUT", "no such directory", {
        cause: e,
        context: { file: this.rootDir },
      });
    });
    if (!st.isDirectory())
      throw new PalisadeError("INPUT", "not a directory", {
        context: { file: this.rootDir },
      });
    return undefined;
  }
  async openLayer(): Promise<Readable> {
    throw new PalisadeError("UNSUPPORTED", "a plain directory has no layers");
  }
  async close(): Promise<void> {}
}

/** Virtual filesystems and VCS metadata that hold no packages and can be huge. */
const SKIP_DIRS: ReadonlySet<string> = new Set(["proc", "sys", "dev", ".git"]);

/** What makes a directory a root filesystem (an unpacked image) rather than a source tree. */
const ROOTFS_MARKERS: readonly string[] = [
  "etc/os-release",
  "usr/lib/os-release",
  "var/lib/dpkg/status",
  "lib/apk/db/installed",
  "var/lib/rpm",
  "usr/lib/sysimage/rpm",
];

/**
 * Folders a source tree's scan does not enter, at any depth: installed copies of what its lockfiles list
 * (node_modules for npm and yarn, vendor for Composer, Go and Bundler) and version control metadata. A root
 * filesystem is read whole (its node_modules are what the image runs).
 */
export const SOURCE_TREE_SKIPPED: Readonly<Record<string, string>> = {
  node_modules: "installed copies of what package-lock.json and yarn.lock list",
  vendor: "vendored copies of what composer.lock, go.mod and Gemfile.lock list",
  ".git": "version control metadata",
};

/** Whether `root` looks like a root filesystem: one of the package database or os-release paths exists. */
async function isRootFilesystem(root: string): Promise<boolean> {
  for (const m of ROOTFS_MARKERS)
    if (
      await lstat(join(root, m)).then(
        () => true,
        () => false,
      )
    )
      return true;
  return false;
}

async function readBounded(path: string, size: number, cap: number): Promise<Buffer | undefined> {
  if (size > cap) return undefined;
  const fh = await open(path, "r");
  try {
    const buf = Buffer.alloc(size);
    const { bytesRead } = await fh.read(buf, 0, size, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/**
 * Walk a directory (symlinks are never followed) and catalog the same files the layer reader would, into a
 * tracker with a single "layer". Bounded by `budgets.maxEntries` files visited.
 */
export async function walkDirectory(
  root: string,
  tracker: PackageTracker,
  budgets: LayerBudgets,
): Promise<CoverageEntry[]> {
  const coverage: CoverageEntry[] = [];
  const budget = new Budget(`dir:${root}`, { entries: budgets.maxEntries });
  const sourceTree = !(await isRootFilesystem(root));
  const skipped = new Map<string, string[]>();
  const stack: string[] = [""];
  outer: while (stack.length > 0) {
    const rel = stack.pop() as string;
    let dir: Awaited<ReturnType<typeof opendir>>;
    try {
      dir = await opendir(join(root, rel));
    } catch (e) {
      coverage.push({
        reason: "forbidden",
        subject: rel || ".",
        message: `cannot read directory: ${(e as Error).message}`,
      });
      continue;
    }
    const names: { name: string; isDir: boolean; isFile: boolean; isLink: boolean }[] = [];
    for await (const d of dir)
      names.push({ name: d.name, isDir: d.isDirectory(), isFile: d.isFile(), isLink: d.isSymbolicLink() });
    names.sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const d of names) {
      if (!budget.fits("entries")) {
        coverage.push({
          reason: "limit",
          subject: root,
          message: `more than ${budgets.maxEntries} entries; walk stopped`,
        });
        break outer;
      }
      budget.charge("entries");
      const p = rel ? `${rel}/${d.name}` : d.name;
      if (d.isDir) {
        if (sourceTree && Object.hasOwn(SOURCE_TREE_SKIPPED, d.name)) {
          const list = skipped.get(d.name) ?? [];
          list.push(p);
          skipped.set(d.name, list);
        } else if (!(rel === "" && SKIP_DIRS.has(d.name)) && d.name !== ".git") stack.push(p);
        continue;
      }
      if (d.isLink) {
        // Recorded, never followed on disk: a package database path that is a link is resolved inside the
        // root below, as the container would see it.
        const target = await readlink(join(root, p)).catch(() => undefined);
        if (target !== undefined) tracker.link(p, target);
        continue;
      }
      if (!d.isFile) continue;
      const id = matchCataloger(p) ?? tracker.linkedCataloger(p);
      try {
        const st = await lstat(join(root, p));
        if (id) {
          const data = await readBounded(join(root, p), st.size, budgets.maxFileBytes);
          if (!data) {
            coverage.push({
              reason: "limit",
              subject: p,
              message: `${st.size} bytes exceeds the file budget; not cataloged`,
            });
            continue;
          }
          tracker.put(p, catalogFile(id, p, data, budget));
        } else if ((st.mode & 0o111) !== 0 && st.size >= 64 && st.size <= budgets.maxFileBytes) {
          const fh = await open(join(root, p), "r");
          const head = Buffer.alloc(4);
          await fh.read(head, 0, 4, 0).finally(() => fh.close());
          if (!isElf(head)) continue;
          const data = await readBounded(join(root, p), st.size, budgets.maxFileBytes);
          if (!data) continue;
          const tracked = catalogFile("go", p, data);
          if (!isEmptyResult(tracked.result)) tracker.put(p, tracked);
        }
      } catch (e) {
        coverage.push({ reason: "forbidden", subject: p, message: `cannot read: ${(e as Error).message}` });
      }
    }
  }
  // Database paths that are links to files the walk passed before it knew they were wanted: read them now,
  // by their resolved path inside the root, refusing any component that is a symlink on disk.
  for (const u of tracker.unresolvedLinks()) {
    try {
      const file = await regularWithinRoot(root, u.target);
      if (!file) continue;
      const data = await readRegularFile(file, { maxBytes: budgets.maxFileBytes, what: u.target });
      tracker.put(u.target, catalogFile(u.cataloger, u.target, data, budget));
    } catch (e) {
      coverage.push({
        reason: "forbidden",
        subject: u.target,
        message: `cannot read: ${(e as Error).message}`,
      });
    }
  }
  for (const [name, dirs] of [...skipped].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const shown = dirs.sort().slice(0, 5).join(", ");
    coverage.push({
      reason: "not-evaluated",
      subject: name,
      message: `source tree: ${dirs.length} ${name} ${dirs.length === 1 ? "directory" : "directories"} not scanned (${SOURCE_TREE_SKIPPED[name]}): ${shown}${dirs.length > 5 ? `, and ${dirs.length - 5} more` : ""}`,
    });
  }
  tracker.commitLayer();
  return coverage;
}

/** `root/rel` when it is a regular file reached without crossing a symlink on disk; else undefined. */
async function regularWithinRoot(root: string, rel: string): Promise<string | undefined> {
  let cur = root;
  const parts = rel.split("/");
  for (const [i, part] of parts.entries()) {
    cur = join(cur, part);
    const st = await lstat(cur).catch(() => undefined);
    if (!st || st.isSymbolicLink()) return undefined;
    if (i === parts.length - 1) return st.isFile() ? cur : undefined;
    if (!st.isDirectory()) return undefined;
  }
  return undefined;
}

/** `dir:PATH`. */
export const DIRECTORY_SOURCE: ImageSourceDescriptor<"dir", { path: string }> = {
  transport: "dir",
  prefixes: ["dir:"],
  parse(path) {
    if (path === "") throw new PalisadeError("USAGE", "dir: needs a path");
    return { path };
  },
  open: (s) => new DirectorySource(s.path),
};
