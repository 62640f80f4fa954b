/**
 * Versioned schema migrations, shared by the backends that keep a schema (SQLite, PostgreSQL): each backend has
 * one numbered list and one `schema_migrations` table recording what was applied. Migrations are applied in order
 * under the backend's write lock at open, each is idempotent (a database made before the table existed, or a
 * migration interrupted before its row was written, applies it again harmlessly), and a database that recorded a
 * version this code does not know is refused rather than misread.
 */
import { PalisadeError } from "../../core/errors/index.js";

/** One numbered step: `up` is backend-specific (SQL text, or a function given a connection). */
export interface Migration<Up> {
  version: number;
  /** What the step creates, for the `schema_migrations` row and messages. */
  name: string;
  up: Up;
}

/**
 * A database whose schema is newer than this Palisade: code UNSUPPORTED (exit 2). `found` is the newest version
 * the database recorded, `supported` the newest this code knows.
 */
export class SchemaTooNewError extends PalisadeError {
  readonly found: number;
  readonly supported: number;

  constructor(where: string, found: number, supported: number, context: { file?: string; url?: string }) {
    super(
      "UNSUPPORTED",
      `${where} has schema version ${found}, newer than this Palisade reads (${supported}): upgrade Palisade, or use another database`,
      { context },
    );
    this.name = "SchemaTooNewError";
    this.found = found;
    this.supported = supported;
  }
}

/** The latest version of a migration list (versions are 1..n in order: checked by the backends' tests). */
export function latestVersion(list: readonly Migration<unknown>[]): number {
  return list[list.length - 1]?.version ?? 0;
}

/** Steps after `applied`, in order. */
export function pending<Up>(list: readonly Migration<Up>[], applied: number): Migration<Up>[] {
  return list.filter((m) => m.version > applied);
}
