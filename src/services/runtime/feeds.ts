/**
 * Use case: keep threat feeds fresh while events stream in. On each tick of an injected timer every feed is polled
 * through a port (files re-read when they changed, URLs fetched conditionally with their ETag / Last-Modified);
 * a changed feed is parsed and the lookup index rebuilt; a feed that fails to refresh keeps its last good list and
 * the failure is reported (in the tick's report and in `status()`), so an unreachable feed server never empties a
 * feed silently, and a feed that never loaded is reported as such.
 */
import type { FeedPoller, FeedValidators } from "../../adapters/feeds/index.js";
import { type EventLineError, type ParsedFeed, parseFeed, ThreatIndex } from "../../core/runtime/index.js";

/** A feed to keep: a file path or http(s) URL, and the CSV column to read (plain list without it). */
export interface FeedSpec {
  source: string;
  column?: string;
}

/** A repeating timer; answers a function that cancels it. Tests pass one they tick by hand. */
export interface Timer {
  every(ms: number, fn: () => void): () => void;
}

/** `setInterval`, unref'd so a pending refresh never keeps a process alive. */
export const systemTimer: Timer = {
  every(ms, fn) {
    const h = setInterval(fn, ms);
    h.unref?.();
    return () => clearInterval(h);
  },
};

export type FeedOutcome = "updated" | "unchanged" | "failed";

export interface FeedRefreshResult {
  source: string;
  outcome: FeedOutcome;
  /** Why the refresh failed (the last good list, if any, is still used). */
  error?: string;
  /** Lines of the new list that were not an address, CIDR or domain (the rest of the list is used). */
  lineErrors?: EventLineError[];
}

export interface FeedRefreshReport {
  at: number;
  results: FeedRefreshResult[];
}

export interface FeedStatus {
  source: string;
  /** `ok`: the last refresh worked; `stale`: it failed and an earlier list is used; `missing`: never loaded. */
  state: "ok" | "stale" | "missing";
  addresses: number;
  domains: number;
  lastChecked?: number;
  lastChanged?: number;
  lastError?: string;
}

interface FeedState {
  spec: FeedSpec;
  validators?: FeedValidators;
  feed?: ParsedFeed;
  lastChecked?: number;
  lastChanged?: number;
  lastError?: string;
}

export interface FeedRefresherOptions {
  poll: FeedPoller;
  now: () => number;
  intervalMs: number;
  timer?: Timer;
  /** Each tick's report (the timer's refreshes have no caller to answer). */
  onReport?: (r: FeedRefreshReport) => void;
}

export class FeedRefresher {
  private readonly states: FeedState[];
  private index = new ThreatIndex([]);
  private running: Promise<FeedRefreshReport> | undefined;
  private cancel: (() => void) | undefined;

  constructor(
    specs: readonly FeedSpec[],
    private readonly options: FeedRefresherOptions,
  ) {
    this.states = specs.map((spec) => ({ spec }));
  }

  /** The lookup index over every feed's last good list. */
  current(): ThreatIndex {
    return this.index;
  }

  /** Poll every feed once. Concurrent calls share one pass (a slow server never stacks refreshes up). */
  refresh(): Promise<FeedRefreshReport> {
    this.running ??= this.pass().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async pass(): Promise<FeedRefreshReport> {
    const at = this.options.now();
    const results: FeedRefreshResult[] = [];
    let changed = false;
    for (const s of this.states) {
      s.lastChecked = at;
      try {
        const r = await this.options.poll(s.spec.source, s.validators);
        if (r.status === "unchanged") {
          delete s.lastError;
          results.push({ source: s.spec.source, outcome: "unchanged" });
          continue;
        }
        const feed = parseFeed(r.text, r.name, s.spec.column);
        s.feed = feed;
        s.validators = r.validators;
        s.lastChanged = at;
        delete s.lastError;
        changed = true;
        results.push({
          source: s.spec.source,
          outcome: "updated",
          ...(feed.errors.length > 0 ? { lineErrors: feed.errors } : {}),
        });
      } catch (e) {
        s.lastError = e instanceof Error ? e.message : String(e);
        results.push({ source: s.spec.source, outcome: "failed", error: s.lastError });
      }
    }
    if (changed) this.index = new ThreatIndex(this.states.flatMap((s) => (s.feed ? [s.feed] : [])));
    return { at, results };
  }

  /** Refresh now, then on every tick of the timer; each tick's report goes to `onReport`. */
  async start(): Promise<FeedRefreshReport> {
    const first = await this.refresh();
    this.cancel ??= (this.options.timer ?? systemTimer).every(this.options.intervalMs, () => {
      void this.refresh().then((r) => this.options.onReport?.(r));
    });
    return first;
  }

  stop(): void {
    this.cancel?.();
    this.cancel = undefined;
  }

  status(): FeedStatus[] {
    return this.states.map((s) => ({
      source: s.spec.source,
      state: !s.feed ? "missing" : s.lastError ? "stale" : "ok",
      addresses: s.feed?.addresses.length ?? 0,
      domains: s.feed?.domains.length ?? 0,
      ...(s.lastChecked === undefined ? {} : { lastChecked: s.lastChecked }),
      ...(s.lastChanged === undefined ? {} : { lastChanged: s.lastChanged }),
      ...(s.lastError === undefined ? {} : { lastError: s.lastError }),
    }));
  }
}
