import type { OsvRecord } from "../../core/vuln/index.js";
import type { ImportBatchResult, ImportState, VulnDbStatus } from "./ports.js";

export type { ImportBatchResult, ImportState, VulnDbStatus };

/** A value, or a promise of it: embedded backends answer synchronously, networked ones asynchronously. */
export type MaybePromise<T> = T | Promise<T>;

/**
 * The vulnerability store as the backends implement it today (SQLite, in-memory, PostgreSQL); the port
 * services code against is `VulnStore` in ports.ts (promises only). All implementations pass the contract suite in
 * vuln-store.contract.ts.
 *
 * Methods may answer synchronously (better-sqlite3 is synchronous) or with a promise (`pg`): code written
 * against this interface always `await`s; code holding a concrete embedded store may keep calling it
 * synchronously.
 *
 * Imports are transactions: `beginImport` waits for any other import (up to the store's lock timeout), records
 * that an import started (committed on its own, so a killed import leaves that mark), and holds every
 * `putRecords` until `finishImport` commits them with the completion mark, or `abortImport` rolls them back.
 * A process killed mid-import therefore leaves the previous data plus a start mark without completion: the store
 * reads as `interrupted`.
 */
export interface SyncOrAsyncVulnStore {
  /**
   * Insert or replace records; a record replaces a stored one only when not older. Outside an import, one
   * transaction per call; inside one, part of the import's transaction.
   */
  putRecords(records: readonly OsvRecord[]): MaybePromise<ImportBatchResult>;
  /** Records indexed under each key (see `advisoryKey`), one indexed lookup per key. Keys without records are absent. */
  lookup(keys: readonly string[]): MaybePromise<Map<string, OsvRecord[]>>;
  /** Start an import at `at` (ISO time): wait for the import lock, mark the start, open the transaction. */
  beginImport(at: string): MaybePromise<void>;
  /** Commit the import's records and mark it complete at `at`. */
  finishImport(at: string): MaybePromise<void>;
  /** Roll back the import's records and its start mark: the store is as it was before `beginImport`. */
  abortImport(): MaybePromise<void>;
  /** Record that an import finished at `at` (ISO time), outside the begin/finish protocol. */
  markImported(at: string): MaybePromise<void>;
  /** Counts and freshness; with `now` (ISO time), records modified after it do not count as newest. */
  status(now?: string): MaybePromise<VulnDbStatus>;
  close(): MaybePromise<void>;
}

/** Index keys of a record: one per distinct (base ecosystem, normalised package name) it affects. */
export function recordKeys(record: OsvRecord, key: (ecosystem: string, name: string) => string): string[] {
  return [...new Set(record.affected.map((a) => key(a.package.ecosystem, a.package.name)))].sort();
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
export function importStateOf(
  started: ImportMark | undefined,
  finished: ImportMark | undefined,
  importedAt: string | undefined,
  lockHeld: () => boolean | Promise<boolean>,
): MaybePromise<{ state: ImportState; startedAt?: string | undefined }> {
  if (!started) return { state: importedAt !== undefined ? "complete" : "never" };
  if (finished && finished.token === started.token) return { state: "complete" };
  const held = lockHeld();
  const of = (h: boolean) => ({
    state: h ? ("running" as const) : ("interrupted" as const),
    startedAt: started.at,
  });
  return held instanceof Promise ? held.then(of) : of(held);
}

/**
 * `now` as a bound for `modified` compared as text: whole seconds with a "Z" (the form OSV feeds use), so a
 * record modified at exactly `now` is not counted as future because ".000Z" sorts before "Z".
 */
export function modifiedBound(now: string): string {
  return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}/.test(now) ? `${now.slice(0, 19)}Z` : now;
}
