import { isAbsolute, resolve } from "node:path";
import { PalisadeError } from "../../core/errors/index.js";
import type { CliContext } from "./context.js";

/** Where the embedded store lives when neither --db nor PALISADE_DB says otherwise (relative to the cwd). */
export const DEFAULT_DB_FILE = ".palisade/palisade.db";

/** Help for `--db` on commands that accept both backends (`palisade vuln db|scan`). */
export const DB_OPTION_HELP =
  "vulnerability database: a SQLite file, or a postgres://user@host:port/db[?schema=NAME] URL to share one " +
  "PostgreSQL database across a fleet (schema default: palisade) " +
  `(default: $PALISADE_DB or ${DEFAULT_DB_FILE})`;

/** Help for `--db` on commands whose store is SQLite only (known images, remediation records). */
export const SQLITE_DB_OPTION_HELP = `database file (default: $PALISADE_DB or ${DEFAULT_DB_FILE})`;

/**
 * The same test as `isPostgresUrl` in adapters/store, kept here so resolving --db loads no adapter (and no
 * `pg`) at start-up.
 */
export const isDbUrl = (p: string): boolean => /^postgres(ql)?:\/\//i.test(p);

/**
 * --db, else PALISADE_DB, else {@link DEFAULT_DB_FILE} under the working directory. A `postgres://` or
 * `postgresql://` URL is returned unchanged and selects the PostgreSQL backend.
 */
export function dbLocation(flag: string | undefined, ctx: CliContext): string {
  const p = flag ?? ctx.env.PALISADE_DB ?? DEFAULT_DB_FILE;
  if (isDbUrl(p)) return p;
  return isAbsolute(p) ? p : resolve(ctx.cwd, p);
}

/**
 * The SQLite file for stores that have no PostgreSQL backend. A URL is refused: resolved as a path it would
 * silently create a directory named "postgres:".
 */
export function sqliteDbFile(flag: string | undefined, ctx: CliContext): string {
  const p = dbLocation(flag, ctx);
  if (isDbUrl(p))
    throw new PalisadeError(
      "USAGE",
      "known images are stored in a SQLite file only: pass --db FILE (a postgres:// URL selects PostgreSQL for `palisade vuln db` and `vuln scan`)",
    );
  return p;
}
