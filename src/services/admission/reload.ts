/**
 * Use case: keep a running webhook's policy current. Changes to the policy file (and the files it names) arrive as
 * `changed()` calls from the caller's file watch; they are debounced (an editor's write-rename, a ConfigMap's
 * symlink swap, arrive as bursts), then the policy is loaded whole and applied. A new policy that fails to load is
 * never half applied: the old one keeps answering, the error is logged and counted, and `status()` says the policy
 * is stale and why, until a later change loads.
 */

/** What the readiness endpoint and metrics show about the policy. */
export interface PolicyReloadStatus {
  /** Policies applied since start (1 after the first). */
  generation: number;
  /** Reloads that failed (the old policy kept). */
  failures: number;
  /** Set while the policy on disk could not be loaded: the error, and when it was first seen. */
  stale?: { error: string; since: string } | undefined;
}

export interface PolicyReloaderOptions<T> {
  /** Load and validate the whole policy; throws when it is invalid (nothing of it is applied). */
  load: () => Promise<T>;
  /** Swap the new policy in. */
  apply: (value: T) => void;
  /** Quiet time after the last change before loading. */
  debounceMs: number;
  now: () => Date;
  log: (line: string) => void;
  /** Timers (injected so tests need not wait on the wall clock). */
  setTimer?: ((fn: () => void, ms: number) => unknown) | undefined;
  clearTimer?: ((handle: unknown) => void) | undefined;
}

/** Debounced, serialised reloads of one policy; the initial policy counts as generation 1. */
export class PolicyReloader<T> {
  #status: PolicyReloadStatus = { generation: 1, failures: 0 };
  #timer: unknown;
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = false;
  readonly #set: (fn: () => void, ms: number) => unknown;
  readonly #clear: (handle: unknown) => void;

  constructor(private readonly opts: PolicyReloaderOptions<T>) {
    this.#set =
      opts.setTimer ??
      ((fn, ms) => {
        const t = setTimeout(fn, ms);
        t.unref();
        return t;
      });
    this.#clear = opts.clearTimer ?? ((h) => clearTimeout(h as NodeJS.Timeout));
  }

  /** A watched file changed: (re)start the quiet period. */
  changed(): void {
    if (this.#stopped) return;
    if (this.#timer !== undefined) this.#clear(this.#timer);
    this.#timer = this.#set(() => {
      this.#timer = undefined;
      void this.reloadNow();
    }, this.opts.debounceMs);
  }

  /** Load now; a reload already running is followed by one more (the file may have changed under it). */
  reloadNow(): Promise<void> {
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = (async () => {
      do {
        this.#again = false;
        await this.#once();
      } while (this.#again && !this.#stopped);
    })().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #once(): Promise<void> {
    let value: T;
    try {
      value = await this.opts.load();
    } catch (e) {
      const error = e instanceof Error ? e.message : String(e);
      this.#status = {
        ...this.#status,
        failures: this.#status.failures + 1,
        stale: { error, since: this.#status.stale?.since ?? this.opts.now().toISOString() },
      };
      this.opts.log(`admission policy reload failed, keeping the previous policy: ${error}`);
      return;
    }
    if (this.#stopped) return;
    this.opts.apply(value);
    this.#status = { generation: this.#status.generation + 1, failures: this.#status.failures };
    this.opts.log(`admission policy reloaded (generation ${this.#status.generation})`);
  }

  status(): PolicyReloadStatus {
    return this.#status;
  }

  /** Cancel a pending reload; one already loading is not applied. */
  stop(): void {
    this.#stopped = true;
    if (this.#timer !== undefined) this.#clear(this.#timer);
    this.#timer = undefined;
  }
}
