/**
 * The dashboard's one door to the server: every request goes to the same origin's `/api/v1/`, with the token the
 * user logged in with as a bearer token. The token lives in sessionStorage (this tab only, gone when it closes),
 * never in a cookie or the URL.
 */

const TOKEN_KEY = "palisade.token";

export function getToken(): string | undefined {
  return sessionStorage.getItem(TOKEN_KEY) ?? undefined;
}

export function setToken(token: string): void {
  sessionStorage.setItem(TOKEN_KEY, token);
}

export function clearToken(): void {
  sessionStorage.removeItem(TOKEN_KEY);
}

/** An answer other than 2xx: the server's `{error: {code, message}}` when it sent one. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

/** GET a JSON document from the API. Throws ApiError (status 0 when the server could not be reached). */
export async function apiGet<T>(path: string, token: string | undefined = getToken()): Promise<T> {
  return request<T>("GET", path, undefined, token);
}

/**
 * POST a JSON body to the API (a change: the server checks the role and writes the audit log). Throws ApiError
 * like {@link apiGet}; a refused body is a 400 with the field named in its message.
 */
export async function apiPost<T>(
  path: string,
  body: unknown,
  token: string | undefined = getToken(),
): Promise<T> {
  return request<T>("POST", path, body, token);
}

async function request<T>(
  method: "GET" | "POST",
  path: string,
  body: unknown,
  token: string | undefined,
): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers: {
        accept: "application/json",
        ...(body !== undefined ? { "content-type": "application/json" } : {}),
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  } catch (e) {
    throw new ApiError(0, "UNREACHABLE", `the server did not answer (${(e as Error).message})`);
  }
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text === "" ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (!res.ok) {
    const err = (parsed as { error?: { code?: string; message?: string } } | undefined)?.error;
    throw new ApiError(res.status, err?.code ?? `HTTP_${res.status}`, err?.message ?? res.statusText);
  }
  if (parsed === undefined) throw new ApiError(res.status, "INVALID", `${path} did not answer JSON`);
  return parsed as T;
}

/** A query string from the defined values of `params` (`?a=1&b=2`, or "" when none). */
export function query(params: Record<string, string | number | boolean | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== "") q.set(k, String(v));
  const s = q.toString();
  return s === "" ? "" : `?${s}`;
}

/**
 * The list in a response: the API pages lists as `{items, next}`; some answers name the list after what it holds
 * (`records`, `paths`, `edges`).
 */
export function listOf<T>(body: unknown, ...keys: string[]): T[] {
  if (Array.isArray(body)) return body as T[];
  if (typeof body === "object" && body !== null)
    for (const k of [...keys, "items"]) {
      const v = (body as Record<string, unknown>)[k];
      if (Array.isArray(v)) return v as T[];
    }
  return [];
}

/** Every page of a paginated list route, up to `maxPages`; `complete` is false when pages were left. */
export async function apiGetAll<T>(
  path: string,
  params: Record<string, string | number | boolean | undefined>,
  maxPages = 20,
): Promise<{ items: T[]; complete: boolean }> {
  const items: T[] = [];
  let after: string | undefined;
  for (let i = 0; i < maxPages; i++) {
    const page = await apiGet<{ items: T[]; next?: string }>(
      `${path}${query({ ...params, limit: 1000, after })}`,
    );
    items.push(...page.items);
    if (page.next === undefined) return { items, complete: true };
    after = page.next;
  }
  return { items, complete: false };
}

// Shapes of the API's answers, as far as the dashboard reads them (fields it does not show are left out).

export type Severity = "critical" | "high" | "medium" | "low" | "info";
export const SEVERITIES: readonly Severity[] = ["critical", "high", "medium", "low", "info"];

export interface ResourceRef {
  apiVersion?: string;
  kind: string;
  namespace?: string;
  name: string;
}

export interface Finding {
  id: string;
  ruleId: string;
  title?: string;
  severity: Severity;
  resource: ResourceRef;
  workload?: ResourceRef;
  team?: string;
  location?: { file: string; line: number; column: number };
  fieldPath?: string;
  evidence?: string;
  message: string;
  remediation?: string;
  compliance?: { framework: string; id: string; title?: string }[];
  category?: string;
  suppressed?: { exceptionId: string; reason: string; owner?: string; expires?: string; source: string };
}

export interface StoredFinding {
  cluster: string;
  finding: Finding;
  firstSeen: string;
  lastSeen: string;
  resolvedAt?: string;
}
