/**
 * Registry credentials from a Docker `config.json` (`{"auths": {"host:port": {"auth": base64("user:pass")}}}`, as
 * written by `docker login`, `podman login --authfile`, and used for Kubernetes `kubernetes.io/dockerconfigjson`
 * pull secrets). Parsed at the edge: size-capped, prototype keys refused, every entry validated; messages never
 * carry a secret.
 */
import { readFile, stat } from "node:fs/promises";
import { PalisadeError } from "../../core/errors/index.js";
import type { CoverageEntry } from "../../core/findings/index.js";
import { FORBIDDEN_KEYS, isRecord } from "../../core/util/index.js";
import type { RegistryAuth } from "../image/index.js";

/** Budgets for a credentials file: it is small in practice; anything larger is not a credentials file. */
export const REGISTRY_AUTH_LIMITS = {
  maxBytes: 1024 * 1024,
  maxEntries: 1_000,
  maxFieldChars: 16 * 1024,
  /** config.json nests 3 levels ({auths: {host: {auth}}}); Docker adds a few small maps beside it. */
  maxDepth: 16,
} as const;

/** Deepest `{`/`[` nesting of a JSON text (brackets inside strings ignored); stops counting past `limit`. */
function jsonDepth(text: string, limit: number): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++;
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      depth++;
      if (depth > max) max = depth;
      if (max > limit) return max;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return max;
}

/** Credentials per registry host (`host[:port]`, Docker Hub as `docker.io`), and what was skipped. */
export interface RegistryAuthConfig {
  auths: Map<string, RegistryAuth>;
  coverage: CoverageEntry[];
}

/** Docker Hub's names in config files and references; `docker login` writes `https://index.docker.io/v1/`. */
const DOCKER_HUB = new Set([
  "docker.io",
  "index.docker.io",
  "registry-1.docker.io",
  "registry.hub.docker.com",
]);

/**
 * The registry host a config key or a reference's registry names: scheme and path dropped, lower-cased, Docker
 * Hub aliases folded to `docker.io`. Undefined when the key names no host.
 */
export function registryHostKey(key: string): string | undefined {
  let s = key.trim().toLowerCase();
  s = s.replace(/^[a-z][a-z0-9+.-]*:\/\//, "");
  const slash = s.indexOf("/");
  if (slash >= 0) s = s.slice(0, slash);
  if (s === "" || !/^[a-z0-9.-]+(?::\d{1,5})?$|^\[[0-9a-f:.]+\](?::\d{1,5})?$/.test(s)) return undefined;
  return DOCKER_HUB.has(s) ? "docker.io" : s;
}

// Standard base64 (RFC 4648 §4), padded; Docker writes it with padding (base64.StdEncoding).
const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Decode `base64(user:password)`; undefined when it is not strict base64 of UTF-8 text with a colon. */
function decodeBasic(auth: string): { username: string; password: string } | undefined {
  if (!BASE64_RE.test(auth)) return undefined;
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(Buffer.from(auth, "base64"));
  } catch {
    return undefined;
  }
  const colon = text.indexOf(":");
  if (colon <= 0) return undefined;
  return { username: text.slice(0, colon), password: text.slice(colon + 1) };
}

const str = (v: unknown): string | undefined =>
  typeof v === "string" && v !== "" && v.length <= REGISTRY_AUTH_LIMITS.maxFieldChars ? v : undefined;

/** Credentials of one `auths` entry, or why it is unusable. */
function entryAuth(entry: unknown): RegistryAuth | string {
  if (!isRecord(entry)) return "not an object";
  for (const f of ["auth", "username", "password", "registrytoken", "identitytoken"])
    if (entry[f] !== undefined && str(entry[f]) === undefined)
      return `"${f}" is not a non-empty string of at most ${REGISTRY_AUTH_LIMITS.maxFieldChars} characters`;
  const token = str(entry.registrytoken);
  if (token !== undefined) return { token };
  const auth = str(entry.auth);
  if (auth !== undefined) return decodeBasic(auth) ?? `"auth" is not base64 of "username:password"`;
  const username = str(entry.username);
  if (username !== undefined) return { username, password: str(entry.password) ?? "" };
  // An identity token is an OAuth2 refresh token to exchange at the token endpoint; Palisade does not do that
  // exchange, so the entry is reported (as a coverage entry) instead of being used.
  if (str(entry.identitytoken) !== undefined) return "identitytoken (OAuth2 refresh token) is not supported";
  return "no credentials (auth, username/password or registrytoken)";
}

/**
 * Parse the text of a Docker config.json. File-level problems (not JSON, not an object, a prototype key anywhere,
 * over budget) throw; a bad entry is skipped with a coverage entry naming its host, so one typo does not lose the
 * other registries' credentials. `credsStore`/`credHelpers` are not run (Palisade executes no helper programs).
 */
export function parseRegistryAuthConfig(text: string, source = "registry auth file"): RegistryAuthConfig {
  if (text.length > REGISTRY_AUTH_LIMITS.maxBytes)
    throw new PalisadeError("LIMIT", `${source}: larger than ${REGISTRY_AUTH_LIMITS.maxBytes} bytes`, {
      context: { file: source },
    });
  // Checked before parsing: the reviver walk below recurses once per level.
  if (jsonDepth(text, REGISTRY_AUTH_LIMITS.maxDepth) > REGISTRY_AUTH_LIMITS.maxDepth)
    throw new PalisadeError(
      "LIMIT",
      `${source}: nested deeper than ${REGISTRY_AUTH_LIMITS.maxDepth} levels`,
      {
        context: { file: source },
      },
    );
  let doc: unknown;
  try {
    doc = JSON.parse(text, (k, v: unknown) => {
      if (FORBIDDEN_KEYS.has(k)) throw new PalisadeError("UNSAFE", `${source}: key "${k}" refused`);
      return v;
    });
  } catch (e) {
    if (e instanceof PalisadeError) throw e;
    // The JSON error text may quote the file's content (a secret): report the position-free kind only.
    throw new PalisadeError("INPUT", `${source}: not valid JSON`, { context: { file: source } });
  }
  if (!isRecord(doc))
    throw new PalisadeError("INPUT", `${source}: not a JSON object`, { context: { file: source } });
  const coverage: CoverageEntry[] = [];
  const skip = (subject: string, why: string): void => {
    coverage.push({ reason: "invalid", subject, message: `${source}: ${subject}: ${why}; entry skipped` });
  };
  if (doc.credsStore !== undefined || doc.credHelpers !== undefined)
    coverage.push({
      reason: "unsupported",
      subject: source,
      message: `${source}: credsStore/credHelpers are not run; only inline "auths" credentials are used`,
    });
  const auths = new Map<string, RegistryAuth>();
  if (doc.auths === undefined) return { auths, coverage };
  if (!isRecord(doc.auths))
    throw new PalisadeError("INPUT", `${source}: "auths" is not an object`, { context: { file: source } });
  const entries = Object.entries(doc.auths);
  if (entries.length > REGISTRY_AUTH_LIMITS.maxEntries)
    throw new PalisadeError(
      "LIMIT",
      `${source}: ${entries.length} registries exceed the budget of ${REGISTRY_AUTH_LIMITS.maxEntries}`,
      { context: { file: source } },
    );
  for (const [key, entry] of entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const host = registryHostKey(key);
    if (host === undefined) {
      skip(JSON.stringify(key.slice(0, 100)), "not a registry host");
      continue;
    }
    const auth = entryAuth(entry);
    if (typeof auth === "string") {
      skip(host, auth);
      continue;
    }
    if (auths.has(host)) {
      skip(host, "a second entry for the same registry (keys differ only by scheme, path or case)");
      continue;
    }
    auths.set(host, auth);
  }
  return { auths, coverage };
}

/** Read and parse a credentials file, refusing one over the size budget before reading it. */
export async function loadRegistryAuthFile(file: string): Promise<RegistryAuthConfig> {
  let text: string;
  try {
    const st = await stat(file);
    if (!st.isFile()) throw new PalisadeError("INPUT", `${file}: not a file`, { context: { file } });
    if (st.size > REGISTRY_AUTH_LIMITS.maxBytes)
      throw new PalisadeError("LIMIT", `${file}: larger than ${REGISTRY_AUTH_LIMITS.maxBytes} bytes`, {
        context: { file },
      });
    text = await readFile(file, "utf8");
  } catch (e) {
    if (e instanceof PalisadeError) throw e;
    throw new PalisadeError("IO", `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? "error"}`, {
      cause: e,
      context: { file },
    });
  }
  return parseRegistryAuthConfig(text, file);
}

/** Credentials for the registry of a reference (`parseImageRef(...).ref.registry`), if any. */
export function registryAuthFor(
  config: RegistryAuthConfig | undefined,
  registry: string,
): RegistryAuth | undefined {
  const host = registryHostKey(registry);
  return host === undefined ? undefined : config?.auths.get(host);
}
