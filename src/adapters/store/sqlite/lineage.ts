import type { CoverageEntry } from "../../../core/findings/index.js";
import { type KnownImage, parseKnownImage, type RemediationRecord } from "../../../core/lineage/index.js";
import {
  type ImageRow,
  parseRemediationRecord,
  planImagePut,
  sortedMoves,
  storedImages,
  tagRefs,
} from "../lineage-rows.js";
import type { KnownImageStore, RemediationStore, RemediationUpdate, StoredImage, TagMove } from "../ports.js";
import { bumpRevision, damaged, type SqliteConnection, sqliteFailure } from "./connection.js";

/** Known images in SQLite: `known_images` (one row per digest) and `known_image_refs` (ref -> digests). */
export class SqliteKnownImageStore implements KnownImageStore {
  constructor(private readonly conn: SqliteConnection) {}

  async putImages(images: readonly KnownImage[], now: Date): Promise<void> {
    const { db, file } = this.conn;
    const getImage = db.prepare(
      "SELECT digest, platform, first_seen, last_seen, image FROM known_images WHERE digest = ?",
    );
    const refOwners = db.prepare("SELECT digest FROM known_image_refs WHERE ref = ?");
    const upsert = db.prepare(
      "INSERT OR REPLACE INTO known_images (digest, platform, first_seen, last_seen, image) VALUES (?, ?, ?, ?, ?)",
    );
    const addRef = db.prepare("INSERT OR IGNORE INTO known_image_refs (ref, digest) VALUES (?, ?)");
    const delRef = db.prepare("DELETE FROM known_image_refs WHERE ref = ? AND digest = ?");
    const addMove = db.prepare(
      "INSERT INTO image_tag_history (ref, platform, digest, at) VALUES (?, ?, ?, ?)",
    );
    const tx = db.transaction((batch: readonly KnownImage[]) => {
      const rows = new Map<string, ImageRow>();
      const owners = new Map<string, Set<string>>();
      const load = (digest: string) => {
        if (rows.has(digest)) return;
        const r = getImage.get(digest) as
          | { digest: string; platform: string; first_seen: string; last_seen: string; image: string }
          | undefined;
        if (r)
          rows.set(digest, {
            digest,
            platform: r.platform,
            firstSeen: r.first_seen,
            lastSeen: r.last_seen,
            image: parseKnownImage(JSON.parse(r.image)),
          });
      };
      for (const img of batch) load(img.digest);
      for (const ref of tagRefs(batch)) {
        const ds = (refOwners.all(ref) as { digest: string }[]).map((r) => r.digest);
        owners.set(ref, new Set(ds));
        for (const d of ds) load(d);
      }
      const plan = planImagePut(batch, now.toISOString(), { rows, owners });
      for (const r of plan.rows)
        upsert.run(r.digest, r.platform, r.firstSeen, r.lastSeen, JSON.stringify(r.image));
      for (const [ref, digest] of plan.deleteRefs) delRef.run(ref, digest);
      for (const [ref, digest] of plan.addRefs) addRef.run(ref, digest);
      for (const m of plan.moves) addMove.run(m.ref, m.platform, m.digest, m.at);
      bumpRevision(db);
    });
    try {
      tx.immediate(images);
    } catch (e) {
      throw sqliteFailure(e, file, "cannot store known images", this.conn.lockTimeoutMs);
    }
  }

  async listImages(): Promise<{ images: StoredImage[]; coverage: CoverageEntry[] }> {
    const rows = this.conn.db
      .prepare("SELECT digest, first_seen, last_seen, image FROM known_images ORDER BY digest")
      .all() as { digest: string; first_seen: string; last_seen: string; image: string }[];
    return storedImages(
      rows.map((r) => ({ digest: r.digest, firstSeen: r.first_seen, lastSeen: r.last_seen, image: r.image })),
    );
  }

  async tagHistory(ref?: string): Promise<TagMove[]> {
    const { db, file } = this.conn;
    try {
      const rows = (
        ref === undefined
          ? db.prepare("SELECT seq, ref, platform, digest, at FROM image_tag_history").all()
          : db.prepare("SELECT seq, ref, platform, digest, at FROM image_tag_history WHERE ref = ?").all(ref)
      ) as (TagMove & { seq: number })[];
      return sortedMoves(rows);
    } catch (e) {
      throw sqliteFailure(e, file, "cannot read tag history", this.conn.lockTimeoutMs);
    }
  }
}

/** Remediation records in SQLite (`remediation_records`, one row per key). */
export class SqliteRemediationStore implements RemediationStore {
  constructor(private readonly conn: SqliteConnection) {}

  private read(): RemediationRecord[] {
    const rows = this.conn.db.prepare("SELECT record FROM remediation_records ORDER BY key").all() as {
      record: string;
    }[];
    return rows.map((r) => {
      try {
        return parseRemediationRecord(r.record);
      } catch (e) {
        throw damaged(this.conn.file, `remediation record: ${e instanceof Error ? e.message : String(e)}`, e);
      }
    });
  }

  async listRecords(): Promise<RemediationRecord[]> {
    return this.read();
  }

  /**
   * BEGIN IMMEDIATE takes the file's write lock before the read: another connection (another process) updating
   * at the same time waits for this one to commit (up to the lock timeout), then reads what it wrote.
   */
  async update<T>(fn: (current: RemediationRecord[]) => RemediationUpdate<T>): Promise<T> {
    const { db, file } = this.conn;
    const upsert = db.prepare(
      "INSERT OR REPLACE INTO remediation_records (key, state, updated_at, record) VALUES (?, ?, ?, ?)",
    );
    // What `fn` throws is the caller's error, passed through as it is (the transaction rolls back either way).
    let thrown: { error: unknown } | undefined;
    const tx = db.transaction(() => {
      let out: RemediationUpdate<T>;
      try {
        out = fn(this.read());
      } catch (e) {
        thrown = { error: e };
        throw e;
      }
      for (const r of out.records) upsert.run(r.key, r.state, r.updatedAt, JSON.stringify(r));
      if (out.records.length > 0) bumpRevision(db);
      return out.result;
    });
    try {
      return tx.immediate();
    } catch (e) {
      if (thrown) throw thrown.error;
      throw sqliteFailure(e, file, "cannot update remediation records", this.conn.lockTimeoutMs);
    }
  }
}
