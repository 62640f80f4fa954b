import { existsSync } from "node:fs";
import { openMemoryStores } from "./memory/index.js";
import type { OpenStoresOptions, Stores, VulnStore } from "./ports.js";
import { isPostgresUrl, openPgStores, PgVulnStore, type PgVulnStoreOptions } from "./postgres/index.js";
import { openSqliteStores, SqliteVulnStore } from "./sqlite/index.js";

/** A backend: which locations it serves, and how it opens them. */
interface Backend {
  name: string;
  serves(location: string): boolean;
  open(location: string, opts: OpenStoresOptions): Stores | Promise<Stores>;
}

/**
 * The backends, first match wins: a new backend is one folder beside these and one line here (and passes the
 * contract suites in test/contracts/). SQLite comes last: any other location is a file path.
 */
const BACKENDS: readonly Backend[] = [
  { name: "postgres", serves: isPostgresUrl, open: openPgStores },
  { name: "memory", serves: (l) => /^memory:/i.test(l), open: (l) => openMemoryStores(l) },
  { name: "sqlite", serves: () => true, open: openSqliteStores },
];

/** Options of {@link openStores}. */
export interface OpenStoresAtOptions extends OpenStoresOptions {
  /**
   * false: a SQLite file that does not exist is not created; the stores read as empty (in memory, named by the
   * file), for commands that only read. Default true.
   */
  create?: boolean | undefined;
}

/**
 * Open every store at `location`: a `postgres://` or `postgresql://` URL (schema from `?schema=`, default
 * "palisade"), `memory:` for a private in-memory set, or a SQLite file path (":memory:" for a private in-memory
 * SQLite database). The schema is created or migrated under a lock when needed.
 */
export async function openStores(location: string, opts: OpenStoresAtOptions = {}): Promise<Stores> {
  const backend = BACKENDS.find((b) => b.serves(location)) as Backend;
  if (opts.create === false && backend.name === "sqlite" && location !== ":memory:" && !existsSync(location))
    return openMemoryStores(location);
  return backend.open(location, opts);
}

/**
 * Open the vulnerability store alone, as `palisade vuln db|scan` do: a `postgres://` or `postgresql://` URL selects
 * the shared PostgreSQL backend, anything else is an embedded SQLite file path (":memory:" for a private one).
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
