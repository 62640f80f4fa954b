import { isPostgresUrl, PgVulnStore, type PgVulnStoreOptions } from "./postgres.js";
import { SqliteVulnStore } from "./sqlite.js";
import type { SyncOrAsyncVulnStore as VulnStore } from "./vuln-store.js";

/**
 * Open the vulnerability store a `--db` value names: a `postgres://` or `postgresql://` URL selects the shared
 * PostgreSQL backend, anything else is an embedded SQLite file path (":memory:" for a private one).
 * `lockTimeoutMs` bounds how long an import waits for another one, on both backends.
 */
export async function openVulnStore(location: string, pg: PgVulnStoreOptions = {}): Promise<VulnStore> {
  return isPostgresUrl(location)
    ? PgVulnStore.open(location, pg)
    : new SqliteVulnStore(
        location,
        pg.lockTimeoutMs === undefined ? {} : { lockTimeoutMs: pg.lockTimeoutMs },
      );
}
