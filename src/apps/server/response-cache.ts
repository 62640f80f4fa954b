/**
 * Answers of read routes kept as the bytes sent, per state of the store and per caller scope. The data behind a
 * read route changes only by a write (a snapshot, images, advisories: the server's generation) or by another
 * process's snapshot (the clusters' latest times): both are in the key, so a cached answer is never stale, and a
 * team-viewer's key holds its team, so no answer crosses scopes. Least recently used answers go first once the
 * entry or byte cap is reached.
 */
export interface CachedAnswer {
  type: string;
  /** The bytes sent (kept encoded, so a hit is not encoded again), or the text. */
  body: string | Buffer;
}

export interface ResponseCacheLimits {
  maxEntries: number;
  /** Sum of the bodies' lengths (bytes, or UTF-16 code units for text). */
  maxBytes: number;
}

export const DEFAULT_RESPONSE_CACHE_LIMITS: ResponseCacheLimits = Object.freeze({
  maxEntries: 2048,
  maxBytes: 64 * 1024 * 1024,
});

export class ResponseCache {
  private readonly entries = new Map<string, CachedAnswer>();
  private bytes = 0;
  hits = 0;
  misses = 0;

  constructor(private readonly limits: ResponseCacheLimits = DEFAULT_RESPONSE_CACHE_LIMITS) {}

  get(key: string): CachedAnswer | undefined {
    const hit = this.entries.get(key);
    if (hit === undefined) {
      this.misses++;
      return undefined;
    }
    // Map order is insertion order: moving the entry to the end keeps the least recently used first.
    this.entries.delete(key);
    this.entries.set(key, hit);
    this.hits++;
    return hit;
  }

  set(key: string, answer: CachedAnswer): void {
    if (answer.body.length > this.limits.maxBytes / 8) return;
    const old = this.entries.get(key);
    if (old !== undefined) {
      this.bytes -= old.body.length;
      this.entries.delete(key);
    }
    this.entries.set(key, answer);
    this.bytes += answer.body.length;
    for (const [k, v] of this.entries) {
      if (this.entries.size <= this.limits.maxEntries && this.bytes <= this.limits.maxBytes) break;
      this.entries.delete(k);
      this.bytes -= v.body.length;
    }
  }

  /** Drop every answer (the state changed in a way the key does not see). */
  clear(): void {
    this.entries.clear();
    this.bytes = 0;
  }

  get size(): number {
    return this.entries.size;
  }
}
