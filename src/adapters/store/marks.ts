/**
 * Import marks and the small functions every VulnStore backend shares.
 */
import { cmp } from "../../core/findings/index.js";
import type { OsvRecord } from "../../core/vuln/index.js";
import type { ImportState } from "./ports.js";

/** Index keys of a record: one per distinct (base ecosystem, normalised package name) it affects. */
export function recordKeys(record: OsvRecord, key: (ecosystem: string, name: string) => string): string[] {
  return [...new Set(record.affected.map((a) => key(a.package.ecosystem, a.package.name)))].sort(cmp);
}

/** An import mark stored in the database: which import (token) and when. */
export interface ImportMark {
  token: string;
  at: string;
}

/** Parse a stored import mark; undefined for a missing or unreadable one. */
export function parseImportMark(text: string | undefined | null): ImportMark | undefined {
  if (!text) return undefined;
  try {
    const v = JSON.parse(text) as unknown;
    if (
      typeof v === "object" &&
      v !== null &&
      typeof (v as ImportMark).token === "string" &&
      typeof (v as ImportMark).at === "string"
    )
      return { token: (v as ImportMark).token, at: (v as ImportMark).at };
  } catch {
    // unreadable: as if absent
  }
  return undefined;
}

/**
 * The import state from the stored marks: complete when the last start mark is also the last finish mark (or
 * when there is no start mark but an import time, as stores written before the marks existed have).
 */
export async function importStateOf(
  started: ImportMark | undefined,
  finished: ImportMark | undefined,
  importedAt: string | undefined,
  lockHeld: () => Promise<boolean>,
): Promise<{ state: ImportState; startedAt?: string | undefined }> {
  if (!started) return { state: importedAt !== undefined ? "complete" : "never" };
  if (finished && finished.token === started.token) return { state: "complete" };
  return { state: (await lockHeld()) ? "running" : "interrupted", startedAt: started.at };
}

/**
 * `now` as a bound for `modified` compared as text: whole seconds with a "Z" (the form OSV feeds use), so a
 * record modified at exactly `now` is not counted as future because ".000Z" sorts before "Z".
 */
export function modifiedBound(now: string): string {
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}/.test(now) ? `${now.slice(0, 19)}Z` : now;
}

/** Map to a plain object with sorted keys; Object.fromEntries defines own properties, so "__proto__" stays data. */
export function sortRecord(m: Map<string, number>): Record<string, number> {
  return Object.fromEntries([...m].sort((a, b) => cmp(a[0], b[0])));
}
