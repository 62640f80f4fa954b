import { PalisadeError } from "../../../core/errors/index.js";
import { cmp } from "../../../core/findings/index.js";
import { advisoryKey, type OsvRecord, splitEcosystem } from "../../../core/vuln/index.js";
import { modifiedBound, recordKeys, sortRecord } from "../marks.js";
import type { ImportBatchResult, VulnDbStatus, VulnStore } from "../ports.js";

/** In-memory VulnStore: for tests, one-shot scans of an advisory directory, and as the contract's reference. */
export class MemoryVulnStore implements VulnStore {
  /** `changed` is called once per write that moves the store revision (Stores.revision). */
  constructor(private readonly changed: () => void = () => {}) {}
  private records = new Map<string, OsvRecord>();
  private index = new Map<string, Set<string>>();
  private importedAt: string | undefined;
  /** What an aborted import restores (records are immutable values: copying the maps is enough). */
  private saved:
    | { records: Map<string, OsvRecord>; index: Map<string, Set<string>>; startedAt: string; put: boolean }
    | undefined;

  async putRecords(records: readonly OsvRecord[]): Promise<ImportBatchResult> {
    let written = 0;
    let unchanged = 0;
    for (const r of records) {
      const old = this.records.get(r.id);
      if (old && old.modified > r.modified) {
        unchanged++;
        continue;
      }
      if (old) for (const k of recordKeys(old, advisoryKey)) this.index.get(k)?.delete(old.id);
      this.records.set(r.id, r);
      for (const k of recordKeys(r, advisoryKey)) {
        const s = this.index.get(k) ?? new Set<string>();
        s.add(r.id);
        this.index.set(k, s);
      }
      written++;
    }
    // In memory an import's records are visible as they are put: each batch is a change.
    if (written > 0) {
      this.changed();
      if (this.saved) this.saved.put = true;
    }
    return { written, unchanged };
  }

  async lookup(keys: readonly string[]): Promise<Map<string, OsvRecord[]>> {
    const out = new Map<string, OsvRecord[]>();
    for (const k of keys) {
      const ids = this.index.get(k);
      if (!ids || ids.size === 0) continue;
      out.set(
        k,
        [...ids].sort(cmp).map((id) => this.records.get(id) as OsvRecord),
      );
    }
    return out;
  }

  async beginImport(at: string): Promise<void> {
    if (this.saved) throw new PalisadeError("INTERNAL", "an import is already in progress on this store");
    this.saved = {
      records: new Map(this.records),
      index: new Map([...this.index].map(([k, s]) => [k, new Set(s)])),
      startedAt: at,
      put: false,
    };
  }

  async finishImport(at: string): Promise<void> {
    if (!this.saved) throw new PalisadeError("INTERNAL", "no import in progress");
    this.saved = undefined;
    this.importedAt = at;
    this.changed();
  }

  async abortImport(): Promise<void> {
    if (!this.saved) return;
    this.records = this.saved.records;
    this.index = this.saved.index;
    const put = this.saved.put;
    this.saved = undefined;
    if (put) this.changed();
  }

  async markImported(at: string): Promise<void> {
    this.importedAt = at;
    this.changed();
  }

  async status(now?: string): Promise<VulnDbStatus> {
    const bound = now === undefined ? undefined : modifiedBound(now);
    const byEcosystem = new Map<string, number>();
    let newest: string | undefined;
    let future = 0;
    for (const r of this.records.values()) {
      for (const eco of new Set(r.affected.map((a) => splitEcosystem(a.package.ecosystem).base)))
        byEcosystem.set(eco, (byEcosystem.get(eco) ?? 0) + 1);
      if (bound !== undefined && r.modified > bound) future++;
      else if (newest === undefined || r.modified > newest) newest = r.modified;
    }
    let packages = 0;
    for (const s of this.index.values()) if (s.size > 0) packages++;
    return {
      advisories: this.records.size,
      packages,
      byEcosystem: sortRecord(byEcosystem),
      importedAt: this.importedAt,
      newestModified: newest,
      // One process: an import in progress is this store's own.
      importState: this.saved ? "running" : this.importedAt !== undefined ? "complete" : "never",
      importStartedAt: this.saved?.startedAt,
      futureModified: future,
    };
  }

  async close(): Promise<void> {}
}
