/**
 * Persistence of known images (with their layer chains) and remediation records, in the same SQLite file the
 * vulnerability store uses (its own tables, its own schema version row). better-sqlite3 is loaded the same way
 * as in src/adapters/store/sqlite.ts.
 */
import { PalisadeError } from "../../core/errors/index.js";
import { type CoverageEntry, cmp } from "../../core/findings/index.js";
import { type KnownImage, parseKnownImage, type RemediationRecord } from "../../core/lineage/index.js";
import { FORBIDDEN_KEYS, isRecord } from "../../core/util/index.js";
import { damaged, openSqlite, type SqliteDatabase, type StoredImage, sqliteFailure } from "../store/index.js";

/** Version of the lineage tables; a database with another version is refused rather than misread. */
export const LINEAGE_SCHEMA_VERSION = "1";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS lineage_schema (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS known_images (
  digest TEXT PRIMARY KEY,
  platform TEXT NOT NULL,
  first_seen TEXT NOT NULL,
  last_seen TEXT NOT NULL,
  image TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS known_image_refs (
  ref TEXT NOT NULL,
  digest TEXT NOT NULL,
  PRIMARY KEY (ref, digest)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS remediation_records (
  key TEXT PRIMARY KEY,
  state TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  record TEXT NOT NULL
) WITHOUT ROWID;
`;

export type { StoredImage } from "../store/index.js";

/** Known images and remediation records in SQLite. */
export class KnownImageStore {
  private readonly db: SqliteDatabase;

  /**
   * Open (creating when needed) the database at `file`; ":memory:" for a private in-memory database. The open
   * path (lock wait, integrity check, typed errors for a damaged file) is the vulnerability store's.
   */
  constructor(readonly file: string) {
    this.db = openSqlite(file);
    try {
      this.db.exec(SCHEMA);
      const row = this.db.prepare("SELECT value FROM lineage_schema WHERE key = 'version'").get() as
        | { value: string }
        | undefined;
      if (!row)
        this.db
          .prepare("INSERT INTO lineage_schema (key, value) VALUES ('version', ?)")
          .run(LINEAGE_SCHEMA_VERSION);
      else if (row.value !== LINEAGE_SCHEMA_VERSION)
        throw new PalisadeError(
          "UNSUPPORTED",
          `lineage tables have schema ${row.value}, this Palisade reads ${LINEAGE_SCHEMA_VERSION}`,
          { context: { file } },
        );
    } catch (e) {
      this.db.close();
      throw sqliteFailure(e, file, "cannot open database");
    }
  }

  /**
   * Remember an image. Refs merge with what is stored for the same digest; a tag names one image per platform,
   * so a ref now pointing here is removed from the image of the same platform it named before (tags move).
   */
  putImages(images: readonly KnownImage[], now: Date): void {
    const at = now.toISOString();
    const getImage = this.db.prepare("SELECT image, first_seen FROM known_images WHERE digest = ?");
    const upsert = this.db.prepare(
      "INSERT OR REPLACE INTO known_images (digest, platform, first_seen, last_seen, image) VALUES (?, ?, ?, ?, ?)",
    );
    const refOwners = this.db.prepare("SELECT digest FROM known_image_refs WHERE ref = ? AND digest <> ?");
    const addRef = this.db.prepare("INSERT OR IGNORE INTO known_image_refs (ref, digest) VALUES (?, ?)");
    const delRef = this.db.prepare("DELETE FROM known_image_refs WHERE ref = ? AND digest = ?");
    const rewrite = this.db.prepare("UPDATE known_images SET image = ? WHERE digest = ?");
    const tx = this.db.transaction((batch: readonly KnownImage[]) => {
      for (const img of batch) {
        const old = getImage.get(img.digest) as { image: string; first_seen: string } | undefined;
        const prevRefs = old ? parseKnownImage(JSON.parse(old.image)).refs : [];
        const merged: KnownImage = { ...img, refs: [...new Set([...prevRefs, ...img.refs])].sort(cmp) };
        upsert.run(img.digest, img.platform ?? "", old?.first_seen ?? at, at, JSON.stringify(merged));
        for (const ref of img.refs) {
          if (!ref.includes("@")) {
            for (const { digest } of refOwners.all(ref, img.digest) as { digest: string }[]) {
              const row = getImage.get(digest) as { image: string } | undefined;
              if (!row) continue;
              const other = parseKnownImage(JSON.parse(row.image));
              if ((other.platform ?? "") !== (img.platform ?? "")) continue;
              other.refs = other.refs.filter((r) => r !== ref);
              rewrite.run(JSON.stringify(other), digest);
              delRef.run(ref, digest);
            }
          }
          addRef.run(ref, img.digest);
        }
      }
    });
    tx(images);
  }

  /** Every known image, by digest. Rows that no longer parse are coverage entries, not failures. */
  listImages(): { images: StoredImage[]; coverage: CoverageEntry[] } {
    const rows = this.db
      .prepare("SELECT digest, first_seen, last_seen, image FROM known_images ORDER BY digest")
      .all() as { digest: string; first_seen: string; last_seen: string; image: string }[];
    const images: StoredImage[] = [];
    const coverage: CoverageEntry[] = [];
    for (const r of rows) {
      try {
        images.push({
          image: parseKnownImage(JSON.parse(r.image)),
          firstSeen: r.first_seen,
          lastSeen: r.last_seen,
        });
      } catch (e) {
        coverage.push({
          reason: "invalid",
          subject: r.digest,
          message: `stored image ${r.digest} is unreadable (${e instanceof Error ? e.message : String(e)}); skipped`,
        });
      }
    }
    return { images, coverage };
  }

  /** Every remediation record, by key. */
  listRecords(): RemediationRecord[] {
    const rows = this.db.prepare("SELECT record FROM remediation_records ORDER BY key").all() as {
      record: string;
    }[];
    return rows.map((r) => {
      try {
        return parseRecord(r.record);
      } catch (e) {
        throw damaged(this.file, `remediation record: ${e instanceof Error ? e.message : String(e)}`, e);
      }
    });
  }

  /** Write records (insert or replace) in one transaction. */
  putRecords(records: readonly RemediationRecord[]): void {
    const upsert = this.db.prepare(
      "INSERT OR REPLACE INTO remediation_records (key, state, updated_at, record) VALUES (?, ?, ?, ?)",
    );
    const tx = this.db.transaction((batch: readonly RemediationRecord[]) => {
      for (const r of batch) upsert.run(r.key, r.state, r.updatedAt, JSON.stringify(r));
    });
    tx(records);
  }

  close(): void {
    this.db.close();
  }
}

function parseRecord(text: string): RemediationRecord {
  const v: unknown = JSON.parse(text, (k, val) => {
    if (FORBIDDEN_KEYS.has(k)) throw new PalisadeError("UNSAFE", `stored remediation record: key "${k}"`);
    return val;
  });
  if (!isRecord(v) || typeof v.key !== "string" || typeof v.state !== "string" || !Array.isArray(v.workloads))
    throw new PalisadeError("INPUT", "stored remediation record: bad shape");
  return v as unknown as RemediationRecord;
}

export {
  DEFAULT_DISCOVER_CONCURRENCY,
  type DiscoverOptions,
  type DiscoveryOutcome,
  type DiscoveryReport,
  discoverImages,
  MAX_DISCOVER_CONCURRENCY,
  mapBounded,
} from "./discover.js";
export { type LineageState, loadLineageState } from "./evaluate.js";
export {
  loadRegistryAuthFile,
  parseRegistryAuthConfig,
  REGISTRY_AUTH_LIMITS,
  type RegistryAuthConfig,
  registryAuthFor,
  registryHostKey,
} from "./registry-auth.js";
