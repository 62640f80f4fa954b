import { type CoverageEntry, cmp } from "../../../core/findings/index.js";
import type { KnownImage, RemediationRecord } from "../../../core/lineage/index.js";
import { type ImageRow, planImagePut, sortedMoves, tagRefs } from "../lineage-rows.js";
import type { KnownImageStore, RemediationStore, RemediationUpdate, StoredImage, TagMove } from "../ports.js";

/** Known images in memory (copies in and out: a caller's later mutation never reaches the store). */
export class MemoryKnownImageStore implements KnownImageStore {
  /** `changed` is called once per write that moves the store revision (Stores.revision). */
  constructor(private readonly changed: () => void = () => {}) {}

  private readonly rows = new Map<string, ImageRow>();
  private readonly refs = new Map<string, Set<string>>();
  private readonly moves: (TagMove & { seq: number })[] = [];

  async putImages(images: readonly KnownImage[], now: Date): Promise<void> {
    const rows = new Map<string, ImageRow>();
    const owners = new Map<string, Set<string>>();
    const load = (d: string) => {
      const r = this.rows.get(d);
      if (r) rows.set(d, structuredClone(r));
    };
    for (const img of images) load(img.digest);
    for (const ref of tagRefs(images)) {
      const ds = this.refs.get(ref) ?? new Set<string>();
      owners.set(ref, new Set(ds));
      for (const d of ds) load(d);
    }
    const plan = planImagePut(structuredClone(images), now.toISOString(), { rows, owners });
    for (const r of plan.rows) this.rows.set(r.digest, r);
    for (const [ref, d] of plan.deleteRefs) this.refs.get(ref)?.delete(d);
    for (const [ref, d] of plan.addRefs) {
      const s = this.refs.get(ref) ?? new Set<string>();
      s.add(d);
      this.refs.set(ref, s);
    }
    for (const m of plan.moves) this.moves.push({ ...m, seq: this.moves.length + 1 });
    this.changed();
  }

  async tagHistory(ref?: string): Promise<TagMove[]> {
    return sortedMoves(this.moves.filter((m) => ref === undefined || m.ref === ref));
  }

  async listImages(): Promise<{ images: StoredImage[]; coverage: CoverageEntry[] }> {
    return {
      images: [...this.rows.values()]
        .sort((a, b) => cmp(a.digest, b.digest))
        .map((r) => ({ image: structuredClone(r.image), firstSeen: r.firstSeen, lastSeen: r.lastSeen })),
      coverage: [],
    };
  }
}

/** Remediation records in memory: one process, and `update` never yields between its read and its write. */
export class MemoryRemediationStore implements RemediationStore {
  /** `changed` is called once per write that moves the store revision (Stores.revision). */
  constructor(private readonly changed: () => void = () => {}) {}

  private readonly records = new Map<string, RemediationRecord>();

  async listRecords(): Promise<RemediationRecord[]> {
    return [...this.records.values()].sort((a, b) => cmp(a.key, b.key)).map((r) => structuredClone(r));
  }

  async update<T>(fn: (current: RemediationRecord[]) => RemediationUpdate<T>): Promise<T> {
    const current = [...this.records.values()]
      .sort((a, b) => cmp(a.key, b.key))
      .map((r) => structuredClone(r));
    const out = fn(current);
    for (const r of out.records) this.records.set(r.key, structuredClone(r));
    if (out.records.length > 0) this.changed();
    return out.result;
  }
}
