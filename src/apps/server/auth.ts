/**
 * API tokens and roles. Deny by default: every route names the access it needs, and a request without a token
 * the store knows gets 401; a known token whose role does not grant the access gets 403.
 *
 * A token is 32 random bytes, shown once (base64url, prefixed `pal_`); only its SHA-256 is kept, and lookups
 * compare digests in constant time, so neither the store nor timing reveals a token.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { MemoryTokenStore, type TokenStore } from "../../adapters/store/index.js";
import { PalisadeError } from "../../core/errors/index.js";

export const ROLES = ["admin", "security", "team-viewer", "ingest"] as const;
export type Role = (typeof ROLES)[number];

/**
 * What a route needs: `read` (findings, inventory), `ingest` (push snapshots, images, advisories), `exceptions`
 * (grant exceptions), `audit` (read the audit log: admin and security, who reads everything), `admin` (tokens).
 */
export type Access = "read" | "ingest" | "exceptions" | "audit" | "admin";

/** Who a request acts as, once its token is verified. */
export interface Principal {
  /** Token id (never the token): for audit entries and logs. */
  id: string;
  role: Role;
  /** The team of a team-viewer: it sees only findings of this team. */
  team?: string | undefined;
}

/** A stored token whose role this server knows. */
export interface TokenRecord extends Principal {
  /** Hex SHA-256 of the token text. */
  digest: string;
  createdAt: string;
}

export type { TokenStore };

/** Tokens held by this process only (tests). */
export function memoryTokenStore(): TokenStore {
  return new MemoryTokenStore();
}

/** Hex SHA-256 of a token. */
export function tokenDigest(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/** A new random token (32 bytes). */
export function newToken(): string {
  return `pal_${randomBytes(32).toString("base64url")}`;
}

/** Whether `role` grants `access`. */
export function grants(role: Role, access: Access): boolean {
  switch (access) {
    case "admin":
      return role === "admin";
    case "ingest":
      return role === "admin" || role === "ingest";
    case "exceptions":
    case "audit":
      return role === "admin" || role === "security";
    case "read":
      return role === "admin" || role === "security" || role === "team-viewer";
  }
}

/** Validate a role and team pair (a team-viewer needs a team; other roles take none). */
export function checkRole(role: string, team: string | undefined): { role: Role; team?: string } {
  if (!(ROLES as readonly string[]).includes(role))
    throw new PalisadeError("USAGE", `unknown role ${JSON.stringify(role)}: one of ${ROLES.join(", ")}`);
  const r = role as Role;
  if (r === "team-viewer") {
    if (!team) throw new PalisadeError("USAGE", "a team-viewer token needs --team");
    return { role: r, team };
  }
  if (team !== undefined) throw new PalisadeError("USAGE", `--team applies to team-viewer tokens only`);
  return { role: r };
}

/**
 * Store a token for `principal` and return its record. `token` defaults to a new random one; the caller shows it
 * once and never keeps it.
 */
export async function issueToken(
  store: TokenStore,
  who: { role: Role; team?: string | undefined },
  now: Date,
  token: string = newToken(),
): Promise<{ token: string; record: TokenRecord }> {
  const digest = tokenDigest(token);
  // The id is a prefix of the digest of the digest: stable, and never usable to recover or test the token.
  const id = `tok_${createHash("sha256").update(digest).digest("hex").slice(0, 16)}`;
  const record: TokenRecord = { id, role: who.role, team: who.team, digest, createdAt: now.toISOString() };
  await store.put(record);
  return { token, record };
}

/** The principal of a bearer token, or undefined. Every record is compared, in constant time. */
export async function verifyToken(store: TokenStore, token: string): Promise<Principal | undefined> {
  const digest = Buffer.from(tokenDigest(token), "hex");
  let found: Principal | undefined;
  for (const r of await store.list()) {
    const d = Buffer.from(r.digest, "hex");
    // A role this server does not know grants nothing (a newer server wrote it, or the row was edited).
    if (
      d.length === digest.length &&
      timingSafeEqual(d, digest) &&
      (ROLES as readonly string[]).includes(r.role)
    )
      found ??= { id: r.id, role: r.role as Role, team: r.team };
  }
  return found;
}
