/**
 * Answers of read routes kept as the bytes sent, per state of the store and per caller scope. The key is
 * `[generation, revision, clusters]`: the server's generation (bumped by writes through this server), the store
 * revision (Stores.revision: moved by every commit that changes what a kept answer reads, snapshots, findings,
 * images, advisories, remediation records, whichever process or replica made it, and not by admission decisions,
 * the audit log or tokens) and the clusters' latest snapshot times; so a cached answer is never stale, and a
 * team-viewer's key holds its team, so no answer crosses scopes. A route reading what does not move the revision
 * (admission decisions) is not kept. Least recently used answers go first once the
 * entry or byte cap is reached. Concurrent misses of one key share one computation: the first request computes
 * the answer (it {@link ResponseCache.claim}s the key) and the others wait for it ({@link ResponseCache.pending}),
 * so 200 clients asking for the same page at once after a snapshot cost one query and one serialisation, not 200.
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

/** A claim on a key being computed; settle it once, with the answer or with nothing to share. */
export interface AnswerClaim {
  settle(answer?: CachedAnswer): void;
}

export class ResponseCache {
  private readonly entries = new Map<string, CachedAnswer>();
  private readonly computing = new Map<string, Promise<CachedAnswer | undefined>>();
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

  /**
   * The answer another request is computing for `key`, to wait for (undefined when none is). It resolves to
   * undefined when that request had nothing to share (an error, a non-200 answer, an aborted request): the waiter
   * then computes its own.
   */
  pending(key: string): Promise<CachedAnswer | undefined> | undefined {
    return this.computing.get(key);
  }

  /**
   * This request computes `key`: until the claim is settled, {@link pending} hands its promise to the others.
   * Settling keeps the answer (when given) and wakes the waiters; a second settle does nothing.
   */
  claim(key: string): AnswerClaim {
    let wake!: (answer: CachedAnswer | undefined) => void;
    const promise = new Promise<CachedAnswer | undefined>((done) => {
      wake = done;
    });
    this.computing.set(key, promise);
    let settled = false;
    return {
      settle: (answer) => {
        if (settled) return;
        settled = true;
        if (this.computing.get(key) === promise) this.computing.delete(key);
        if (answer !== undefined) this.set(key, answer);
        wake(answer);
      },
    };
  }

  /** Keys being computed now (for tests and metrics). */
  get computingCount(): number {
    return this.computing.size;
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

/**
 * `load` shared by concurrent calls, never with a call made after it started: the first call loads; the calls made
 * while that load is in flight share the next load, started once it settles; a call after both settled loads
 * again. A load started before a call could have read the store before a commit the caller saw completed (a
 * token deleted and the revocation answered, then the revoked token's next request): sharing it would answer
 * older than the request. So no answer is older than the request that asks for it, and nothing is kept past that
 * (on PostgreSQL, 200 concurrent requests each reading the clusters' latest snapshots cost about two round trips
 * per batch, not 200; on SQLite a read settles at once and every call loads).
 */
export function shareInFlight<T>(load: () => Promise<T>): () => Promise<T> {
  let inFlight: Promise<T> | undefined;
  let next: Promise<T> | undefined;
  const start = (): Promise<T> => {
    const p = load();
    inFlight = p;
    const clear = () => {
      if (inFlight === p) inFlight = undefined;
    };
    p.then(clear, clear);
    return p;
  };
  return () => {
    if (next !== undefined) return next;
    if (inFlight === undefined) return start();
    const after = inFlight.then(
      () => undefined,
      () => undefined,
    );
    const n = after.then(() => {
      if (next === n) next = undefined;
      return start();
    });
    next = n;
    return n;
  };
}

/**
 * `load` kept while the store's mark (Stores.changeMark) has the value it had at that load: a call with a mark
 * other than the kept one (something was committed, by this process or another) loads again; a call with the kept
 * mark is answered from what was kept, without reading the store. The caller reads the mark before calling, so
 * what is kept is never older than its mark (a commit between the two only makes the next call load once more).
 * A failed load is not kept. A call without a mark (a backend that has no cheap one) is {@link shareInFlight}:
 * concurrent calls share a load started after them.
 *
 * On SQLite every read is a synchronous statement on the one thread that also answers requests: the server's
 * per-request reads (the clusters' latest snapshots, the tokens) were about 14% of its CPU on a cached answer
 * (bench/server-api.ts); the mark is read once per turn of the event loop ({@link readAfterTurn}).
 */
export function keptWhileUnchanged<T>(load: () => Promise<T>): (mark: string | undefined) => Promise<T> {
  const shared = shareInFlight(load);
  let kept: { mark: string; value: Promise<T> } | undefined;
  return (m) => {
    if (m === undefined) return shared();
    if (kept !== undefined && kept.mark === m) return kept.value;
    const entry = { mark: m, value: load() };
    kept = entry;
    entry.value.catch(() => {
      if (kept === entry) kept = undefined;
    });
    return entry.value;
  };
}

/**
 * `read` (the store's change mark) taken once for every call made in one turn of the event loop, after the turn
 * has read all its input: the first call schedules the reading for the loop's check phase (setImmediate), which
 * comes after its poll phase, where every request of the turn was read from its socket; the calls made until then
 * share that reading, and a call after it waits for the next turn's. So a request sees every commit that
 * completed before it was read (the reading is later), whoever made it: this process's connection (which moves
 * total_changes()), another bundle or the off-thread decision writer (another connection, data_version), another
 * process. A commit that completes after the reading was not before any request that shares it.
 *
 * Why: on SQLite the mark is a read transaction (`PRAGMA data_version`: a shared-memory lock taken and released,
 * fcntl each way, and an fstat) that the server paid twice a request (the tokens, then the cache key), about
 * 5 us; once per turn it is paid once for the 10-30 requests a saturated server reads in a turn. Answers are then
 * written together at the end of the turn rather than one between each read, as they are on PostgreSQL, where
 * the requests of a turn wait for one round trip.
 */
export function readAfterTurn(read: () => string): () => Promise<string> {
  let next: Promise<string> | undefined;
  return () => {
    if (next !== undefined) return next;
    const reading = new Promise<string>((done, fail) => {
      setImmediate(() => {
        next = undefined;
        try {
          done(read());
        } catch (e) {
          fail(e);
        }
      });
    });
    next = reading;
    return reading;
  };
}
