/**
 * How long a review has waited for the event loop before it is decided: what the webhook sheds by.
 *
 * Under overload the reviews do not queue in the webhook's own structures. Their bytes wait in the kernel's socket
 * buffers while the loop works through the reviews it read before, and one turn of the loop then reads every socket
 * that became readable, deciding review after review synchronously (a review whose facts are cached never awaits,
 * so an in-flight count never sees it). A review decided late in a long turn has waited for everything decided before
 * it in that turn, and, before the turn began, for as long as the loop was held (the previous turn, a collection,
 * a batch of writes). So the wait is estimated as:
 *
 *   time since the current turn began reading reviews  +  how late the last lag probe fired
 *
 * the first measured at the review (the turn's start is taken at its first review, and cleared after the turn by
 * `afterTurn`: setImmediate, which runs once the loop has handled the I/O it polled), the second by a timer that
 * should fire every `probeMs` (a loop held for h ms fires it about h - probeMs late). Both are lower bounds: the
 * time a review's bytes waited in the kernel before the loop was held is not seen.
 */

export interface LoopWaitOptions {
  /** Milliseconds, monotonic (performance.now). */
  now: () => number;
  /** Run `fn` once the current turn's I/O callbacks are done (setImmediate). */
  afterTurn: (fn: () => void) => void;
}

/** The turn-and-lag estimate of a review's wait for the loop (see the module's comment). */
export class LoopWait {
  #turnStart: number | undefined;
  #lagMs = 0;
  readonly #endTurn = () => {
    this.#turnStart = undefined;
  };

  constructor(private readonly opts: LoopWaitOptions) {}

  /** How late the lag probe fired last (0: on time). */
  get lagMs(): number {
    return this.#lagMs;
  }

  /** The lag probe fired `lateMs` after it was due. */
  probed(lateMs: number): void {
    this.#lagMs = Math.max(0, lateMs);
  }

  /** Milliseconds the review about to be decided has waited for the loop, at least. */
  waitedMs(): number {
    const now = this.opts.now();
    if (this.#turnStart === undefined) {
      this.#turnStart = now;
      this.opts.afterTurn(this.#endTurn);
    }
    return now - this.#turnStart + this.#lagMs;
  }
}
