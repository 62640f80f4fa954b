/**
 * Use case: analyse the images admission saw but knew nothing about. The webhook queues them (never waiting); a
 * worker pulls each through the caller's {@link ImageAnalyzer} (the registry image source), with at most
 * `concurrency` at once, and remembers it in the known-image store under the reference it was admitted by, so the
 * next review of that image has its facts. The queue is bounded (past it an image is dropped and counted), an
 * image is never queued twice at once, and one that failed is not tried again before `retryAfterMs`.
 */
import type { KnownImageStore } from "../../adapters/store/ports.js";
import { toPalisadeError } from "../../core/errors/index.js";
import { parseImageRef } from "../../core/inventory/index.js";
import { knownImageFromSbom } from "../../core/lineage/index.js";
import type { ImageAnalyzer } from "../images/index.js";

export interface AnalysisQueueOptions {
  analyze: ImageAnalyzer;
  images: Pick<KnownImageStore, "putImages">;
  /** Images analysed at once. */
  concurrency: number;
  /** Images waiting at most; past it they are dropped (counted). */
  maxQueued: number;
  /** An image whose analysis failed is not queued again for this long (milliseconds). */
  retryAfterMs: number;
  /** Monotonic milliseconds (injected). */
  clock: () => number;
  now: () => Date;
  log: (line: string) => void;
  /** Called after an image is remembered (the caller refreshes its fact cache). */
  onAnalyzed?: ((image: string, digest: string) => void) | undefined;
}

export interface AnalysisQueueStats {
  queued: number;
  inFlight: number;
  analyzed: number;
  failed: number;
  dropped: number;
}

/**
 * The pull reference of an image as written in a pod (`nginx:1.27` -> `docker.io/library/nginx:1.27`) and the ref
 * it is remembered under (the tag form, which the admission fact index resolves); undefined when it does not parse.
 */
export function analysisTarget(image: string): { pull: string; refs: string[] } | undefined {
  const p = parseImageRef(image);
  if (!p.ok) return undefined;
  const { name, tag, digest } = p.ref;
  if (digest !== undefined)
    return { pull: `${name}@${digest}`, refs: tag === undefined ? [] : [`${name}:${tag}`] };
  const ref = `${name}:${tag ?? "latest"}`;
  return { pull: ref, refs: [ref] };
}

/** A bounded, de-duplicated queue of images to analyse, drained by `concurrency` workers. */
export class AnalysisQueue {
  readonly #waiting = new Map<string, { pull: string; refs: string[] }>();
  readonly #inFlight = new Set<string>();
  readonly #failedAt = new Map<string, number>();
  readonly #stats = { analyzed: 0, failed: 0, dropped: 0 };
  #workers = 0;
  #closed = false;
  #idle: (() => void)[] = [];

  constructor(private readonly opts: AnalysisQueueOptions) {}

  /** Queue images (as written); never waits. Known-bad references and recent failures are skipped. */
  enqueue(images: readonly string[]): void {
    if (this.#closed) return;
    const now = this.opts.clock();
    for (const image of images) {
      const t = analysisTarget(image);
      if (t === undefined) continue;
      if (this.#waiting.has(t.pull) || this.#inFlight.has(t.pull)) continue;
      const failed = this.#failedAt.get(t.pull);
      if (failed !== undefined && now - failed < this.opts.retryAfterMs) continue;
      if (this.#waiting.size >= this.opts.maxQueued) {
        this.#stats.dropped++;
        continue;
      }
      this.#waiting.set(t.pull, t);
      // A worker takes the image at once when one is free (#work runs synchronously up to its first await).
      while (this.#workers < this.opts.concurrency && this.#waiting.size > 0) {
        this.#workers++;
        void this.#work();
      }
    }
  }

  async #work(): Promise<void> {
    try {
      for (;;) {
        if (this.#closed) break;
        const next = this.#waiting.entries().next();
        if (next.done) break;
        const [pull, t] = next.value;
        this.#waiting.delete(pull);
        this.#inFlight.add(pull);
        try {
          const { sbom } = await this.opts.analyze(pull);
          const image = knownImageFromSbom(sbom, t.refs);
          await this.opts.images.putImages([image], this.opts.now());
          this.#stats.analyzed++;
          this.#failedAt.delete(pull);
          this.opts.onAnalyzed?.(pull, image.digest);
        } catch (e) {
          // One image's failure is that image's: counted, logged, retried after a while; the worker goes on.
          this.#stats.failed++;
          this.#failedAt.set(pull, this.opts.clock());
          if (this.#failedAt.size > this.opts.maxQueued) {
            const oldest = this.#failedAt.keys().next().value;
            if (oldest !== undefined) this.#failedAt.delete(oldest);
          }
          this.opts.log(`cannot analyse ${pull} (queued by admission): ${toPalisadeError(e).message}`);
        } finally {
          this.#inFlight.delete(pull);
        }
      }
    } finally {
      this.#workers--;
      if (this.#workers === 0) for (const done of this.#idle.splice(0)) done();
    }
  }

  /** Resolves when nothing is queued or being analysed. */
  idle(): Promise<void> {
    if (this.#workers === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  stats(): AnalysisQueueStats {
    return { ...this.#stats, queued: this.#waiting.size, inFlight: this.#inFlight.size };
  }

  /** Stop taking work; analyses in flight finish (and are remembered). */
  async close(): Promise<void> {
    this.#closed = true;
    this.#waiting.clear();
    await this.idle();
  }
}
