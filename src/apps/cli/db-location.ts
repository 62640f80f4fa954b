import { isAbsolute, join, resolve } from "node:path";
import { Option } from "commander";
import { PalisadeError } from "../../core/errors/index.js";
import type { CliContext } from "./context.js";

/**
 * The default store, per user and independent of the working directory (XDG Base Directory specification):
 * `$XDG_DATA_HOME/palisade/palisade.db`, else `$HOME/.local/share/palisade/palisade.db`. Read from the injected
 * environment only (never `os.homedir()`), so a test that gives no HOME can never touch a real home directory.
 * `undefined` when neither variable is set (an absolute path is required; a relative XDG_DATA_HOME is ignored,
 * as the specification says).
 */
export function defaultDbFile(env: NodeJS.ProcessEnv): string | undefined {
  const xdg = env.XDG_DATA_HOME;
  if (xdg && isAbsolute(xdg)) return join(xdg, "palisade", "palisade.db");
  const home = env.HOME;
  if (home && isAbsolute(home)) return join(home, ".local", "share", "palisade", "palisade.db");
  return undefined;
}

const DEFAULT_TEXT = "$XDG_DATA_HOME/palisade/palisade.db, else ~/.local/share/palisade/palisade.db";

/** The default as help text shows it: the resolved path for this user, like `trivy --help` shows its cache dir. */
function defaultHelp(ctx: CliContext): string {
  const file = defaultDbFile(ctx.env);
  return `$PALISADE_DB, else ${file ?? DEFAULT_TEXT}`;
}

/** `--db` of the vulnerability database commands (`palisade vuln db|scan`), declared once. */
export function dbOption(ctx: CliContext): Option {
  return new Option(
    "--db <path|url>",
    "vulnerability database: a SQLite file, or a postgres://user@host:port/db[?schema=NAME] URL to share one " +
      `PostgreSQL database across a fleet (schema default: palisade) (default: ${defaultHelp(ctx)})`,
  );
}

/**
 * `--allow-incomplete-db` of the commands that match against the vulnerability database (`vuln scan`,
 * `vuln nodes`): without it an interrupted or empty import is refused, since no match would read as all clear.
 */
export function allowIncompleteDbOption(): Option {
  return new Option(
    "--allow-incomplete-db",
    "run even when the last import did not finish or the database is empty (says so; exit codes as usual)",
  );
}

/** `--db` of the known-images and remediation commands (`palisade images`, `vuln impact|plan|status`). */
export function storesDbOption(ctx: CliContext): Option {
  return new Option(
    "--db <path|url>",
    "database: a SQLite file, or a postgres://user@host:port/db[?schema=NAME] URL (schema default: palisade) " +
      `(default: ${defaultHelp(ctx)})`,
  );
}

/**
 * The same test as `isPostgresUrl` in adapters/store, kept here so resolving --db loads no adapter (and no
 * `pg`) at start-up.
 */
export const isDbUrl = (p: string): boolean => /^postgres(ql)?:\/\//i.test(p);

/**
 * --db, else PALISADE_DB, else {@link defaultDbFile}. A relative --db or PALISADE_DB is taken from the working
 * directory. A `postgres://` or `postgresql://` URL is returned unchanged and selects the PostgreSQL backend.
 */
export function dbLocation(flag: string | undefined, ctx: CliContext): string {
  const p = flag ?? (ctx.env.PALISADE_DB || undefined) ?? defaultDbFile(ctx.env);
  if (p === undefined)
    throw new PalisadeError(
      "USAGE",
      "no database location: HOME and XDG_DATA_HOME are unset; pass --db FILE or set PALISADE_DB",
    );
  if (isDbUrl(p)) return p;
  return isAbsolute(p) ? p : resolve(ctx.cwd, p);
}

/**
 * Open every store at --db / PALISADE_DB / the default file ({@link dbLocation}), run `fn`, and close them.
 * `create: false` (commands that only read) leaves a missing SQLite file uncreated: the stores read as empty.
 * The store adapter (and `pg`) loads only here, when a command runs.
 */
export async function withStores<T>(
  flag: string | undefined,
  ctx: CliContext,
  opts: { create?: boolean },
  fn: (stores: import("../../adapters/store/index.js").Stores) => Promise<T>,
): Promise<T> {
  const { openStores } = await import("../../adapters/store/index.js");
  const stores = await openStores(dbLocation(flag, ctx), { create: opts.create });
  try {
    return await fn(stores);
  } finally {
    await stores.close();
  }
}

/**
 * The vulnerability store at `location` ({@link dbLocation}), opened when the vulnerability service asks, with its
 * name for messages (a URL without its password). The store adapter (and `pg`) loads only then.
 */
export function vulnDbOpener(
  location: string,
  opts: { lockTimeoutMs?: number } = {},
): import("../../services/vuln/index.js").OpenVulnStore {
  return async () => {
    const { openVulnStore, redactDbUrl } = await import("../../adapters/store/index.js");
    const vulns = await openVulnStore(location, opts);
    return { vulns, where: isDbUrl(location) ? redactDbUrl(location) : location };
  };
}
