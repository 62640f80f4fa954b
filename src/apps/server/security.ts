/**
 * The platform's own defences at the HTTP edge: security headers on every answer (a Content-Security-Policy fit
 * for a same-origin single-page app: nothing from another origin, no inline script), no CORS (no
 * Access-Control-* header is ever sent, so browsers keep other origins out), and a limit on failed
 * authentications per client address (guessing tokens costs a 429 with Retry-After, not unlimited tries).
 */

/**
 * The dashboard is served from this origin only: scripts, styles, images, fonts and API calls come from
 * 'self'; nothing may frame it, no plugin runs, forms post nowhere else. Styles set through the DOM by the
 * graph library are CSSOM changes, which `style-src 'self'` does not block.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  // The graph library sets inline styles on the elements it draws: styles may be inline, scripts may not.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

/** Headers set on every answer (`https`: also HSTS). */
export function securityHeaders(https: boolean): Record<string, string> {
  return {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
    ...(https ? { "strict-transport-security": "max-age=31536000" } : {}),
  };
}

export interface AuthFailureLimits {
  /** Failed authentications allowed per client address in one window. */
  maxFailures: number;
  /** Window length, milliseconds. */
  windowMs: number;
  /** Addresses tracked at most (the oldest window is forgotten first). */
  maxClients: number;
}

export const DEFAULT_AUTH_FAILURE_LIMITS: AuthFailureLimits = Object.freeze({
  maxFailures: 20,
  windowMs: 60_000,
  maxClients: 10_000,
});

/**
 * Failed authentications per client address in fixed windows of the injected clock. A client over the limit is
 * refused before its token is even checked, until its window ends.
 */
export class AuthFailureLimiter {
  private readonly windows = new Map<string, { start: number; failures: number }>();

  constructor(
    private readonly limits: AuthFailureLimits,
    private readonly now: () => Date,
  ) {}

  /** Seconds until `client` may try again, or 0 when it may now. */
  retryAfter(client: string): number {
    const w = this.windows.get(client);
    if (w === undefined) return 0;
    const t = this.now().getTime();
    if (t - w.start >= this.limits.windowMs) {
      this.windows.delete(client);
      return 0;
    }
    return w.failures >= this.limits.maxFailures
      ? Math.max(1, Math.ceil((w.start + this.limits.windowMs - t) / 1000))
      : 0;
  }

  /** Count one failed authentication of `client`. */
  fail(client: string): void {
    const t = this.now().getTime();
    const w = this.windows.get(client);
    if (w !== undefined && t - w.start < this.limits.windowMs) {
      w.failures++;
      return;
    }
    this.windows.delete(client);
    if (this.windows.size >= this.limits.maxClients) {
      // Map order is insertion order: the first key is the oldest window.
      const oldest = this.windows.keys().next().value;
      if (oldest !== undefined) this.windows.delete(oldest);
    }
    this.windows.set(client, { start: t, failures: 1 });
  }
}
