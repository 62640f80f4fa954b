/**
 * Optional OIDC bearer tokens: a JWT signed by the identity provider, verified with `jose` against its JWKS (a
 * file, or a URL fetched and cached by jose), with the issuer and audience configured; its groups claim maps to
 * a Palisade role (the first mapping that matches, in the order configured). A token that verifies but maps to no
 * role grants nothing.
 */
import { readFile } from "node:fs/promises";
import { createLocalJWKSet, createRemoteJWKSet, type JSONWebKeySet, type JWTPayload, jwtVerify } from "jose";
import { PalisadeError } from "../../core/errors/index.js";
import { checkRole, type Principal, type Role } from "./auth.js";

/** One group -> role entry; a team-viewer entry names its team. */
export interface GroupRole {
  group: string;
  role: Role;
  team?: string | undefined;
}

export interface OidcConfig {
  issuer: string;
  audience: string;
  /** JWKS: a file path, or an https:// URL. */
  jwks: string;
  /** Claim holding the groups (default "groups"). */
  groupsClaim?: string | undefined;
  roles: GroupRole[];
  /** Accepted clock skew, seconds (default 30). */
  clockToleranceSec?: number | undefined;
}

/** Parse `group=role[:team],...` (PALISADE_OIDC_ROLES). */
export function parseGroupRoles(text: string): GroupRole[] {
  return text
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "")
    .map((entry) => {
      const m = /^([^=]+)=([a-z-]+)(?::(.+))?$/.exec(entry);
      if (m === null)
        throw new PalisadeError(
          "USAGE",
          `OIDC role mapping ${JSON.stringify(entry)}: expected GROUP=ROLE[:TEAM]`,
        );
      const who = checkRole(m[2] as string, m[3]);
      return { group: m[1] as string, ...who };
    });
}

/** What verifies OIDC tokens: the principal of a valid, mapped token, else undefined. */
export type OidcVerifier = (token: string) => Promise<Principal | undefined>;

/** Build the verifier (reads a JWKS file once; a URL is fetched by jose when a key is needed, and cached). */
export async function oidcVerifier(config: OidcConfig, now: () => Date): Promise<OidcVerifier> {
  if (config.roles.length === 0)
    throw new PalisadeError("USAGE", "OIDC needs at least one group to role mapping (PALISADE_OIDC_ROLES)");
  let keys: Parameters<typeof jwtVerify>[1];
  if (/^https:\/\//.test(config.jwks)) keys = createRemoteJWKSet(new URL(config.jwks));
  else if (/^http:\/\//.test(config.jwks))
    throw new PalisadeError(
      "USAGE",
      "the OIDC JWKS URL must be https (keys fetched in clear could be replaced)",
    );
  else {
    let set: JSONWebKeySet;
    try {
      set = JSON.parse(await readFile(config.jwks, "utf8")) as JSONWebKeySet;
    } catch (e) {
      throw new PalisadeError("INPUT", `cannot read the OIDC JWKS ${config.jwks}: ${(e as Error).message}`, {
        cause: e,
      });
    }
    keys = createLocalJWKSet(set);
  }
  const claim = config.groupsClaim ?? "groups";
  return async (token) => {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, keys, {
        issuer: config.issuer,
        audience: config.audience,
        currentDate: now(),
        clockTolerance: config.clockToleranceSec ?? 30,
        // Asymmetric signatures only: an HMAC key would be a shared secret with every relying party.
        algorithms: [
          "RS256",
          "RS384",
          "RS512",
          "PS256",
          "PS384",
          "PS512",
          "ES256",
          "ES384",
          "ES512",
          "EdDSA",
        ],
      }));
    } catch {
      return undefined;
    }
    const raw = payload[claim];
    const groups = Array.isArray(raw) ? raw.filter((g): g is string => typeof g === "string") : [];
    const match = config.roles.find((r) => groups.includes(r.group));
    if (match === undefined) return undefined;
    return {
      id: `oidc:${typeof payload.sub === "string" ? payload.sub.slice(0, 200) : "unknown"}`,
      role: match.role,
      ...(match.team !== undefined ? { team: match.team } : {}),
    };
  };
}

/** Whether a bearer token looks like a JWT (three base64url parts) rather than a Palisade token. */
export const looksLikeJwt = (token: string): boolean =>
  /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(token);
