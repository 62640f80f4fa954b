import type { OsvRecord } from "../../core/vuln/index.js";

/** What the database holds and how fresh it is. */
export interface VulnDbStatus {
  advisories: number;
  /** Distinct (ecosystem, package) index keys. */
  packages: number;
  /** Advisories per base ecosystem. */
  byEcosystem: Record<string, number>;
  /** ISO time of the last import, absent for an empty database. */
  importedAt?: string | undefined;
  /** Newest `modified` among the records: the age of the data itself. */
  newestModified?: string | undefined;
}

export interface ImportBatchResult {
  /** Records written (new or newer than the stored copy). */
  written: number;
  /** Records ignored because the store already had the same or a newer `modified`. */
  unchanged: number;
}

/** A value, or a promise of it: embedded backends answer synchronously, networked ones asynchronously. */
export type MaybePromise<T> = T | Promise<T>;

/**
 * The vulnerability store every backend implements (SQLite, in-memory, PostgreSQL). All implementations pass
 * the contract suite in vuln-store.contract.ts.
 *
 * Methods may answer synchronously (better-sqlite3 is synchronous) or with a promise (`pg`): code written
 * against this interface always `await`s; code holding a concrete embedded store may keep calling it
 * synchronously.
 */
export interface VulnStore {
  /** Insert or replace records in one transaction; a record replaces a stored one only when not older. */
  putRecords(records: readonly OsvRecord[]): MaybePromise<ImportBatchResult>;
  /** Records indexed under each key (see `advisoryKey`), one indexed lookup per key. Keys without records are absent. */
  lookup(keys: readonly string[]): MaybePromise<Map<string, OsvRecord[]>>;
  /** Record that an import finished at `at` (ISO time). */
  markImported(at: string): MaybePromise<void>;
  status(): MaybePromise<VulnDbStatus>;
  close(): MaybePromise<void>;
}

/** Index keys of a record: one per distinct (base ecosystem, normalised package name) it affects. */
export function recordKeys(record: OsvRecord, key: (ecosystem: string, name: string) => string): string[] {
  return [...new Set(record.affected.map((a) => key(a.package.ecosystem, a.package.name)))].sort();
}
