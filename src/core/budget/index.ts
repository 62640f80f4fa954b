import { type ErrorContext, PalisadeError } from "../errors/index.js";

/**
 * One budget mechanism for every input Palisade reads (issue: hardening). A budget is a set of named dimensions
 * (bytes inflated, entries, pages, documents, rows, milliseconds...) each with a limit; readers `charge` it as they
 * consume input, and the first charge past a limit throws a {@link BudgetExceeded} (code `LIMIT`) naming the scope,
 * the dimension and the limit. Budgets nest: a child (one zip entry, one layer) charges its parent (the archive, the
 * image) too, so a hostile input cannot stay under a per-part cap while exceeding the whole.
 *
 * Pure: time is a dimension like any other, charged by adapters with an injected clock.
 */
export type BudgetLimits = Readonly<Record<string, number>>;

export class BudgetExceeded extends PalisadeError {
  readonly scope: string;
  readonly dimension: string;
  readonly limit: number;
  constructor(scope: string, dimension: string, limit: number, context: ErrorContext = {}) {
    super("LIMIT", `${scope}: over the ${dimension} budget of ${formatLimit(dimension, limit)}`, { context });
    this.name = "BudgetExceeded";
    this.scope = scope;
    this.dimension = dimension;
    this.limit = limit;
  }
}

export const isBudgetExceeded = (e: unknown): e is BudgetExceeded => e instanceof BudgetExceeded;

const BYTE_DIMENSIONS = /bytes$/i;

/** Human form of a limit: bytes as KiB/MiB/GiB, everything else as a plain number. */
export function formatLimit(dimension: string, limit: number): string {
  if (!BYTE_DIMENSIONS.test(dimension)) return `${limit} ${dimension}`;
  const units = ["bytes", "KiB", "MiB", "GiB", "TiB"];
  let v = limit;
  let u = 0;
  while (v >= 1024 && u < units.length - 1 && v % 1024 === 0) {
    v /= 1024;
    u++;
  }
  return `${v} ${units[u]}`;
}

export class Budget {
  readonly scope: string;
  private readonly limits: Map<string, number>;
  private readonly used = new Map<string, number>();
  private readonly parent: Budget | undefined;
  private readonly context: ErrorContext;

  constructor(
    scope: string,
    limits: BudgetLimits,
    options: { parent?: Budget; context?: ErrorContext } = {},
  ) {
    this.scope = scope;
    this.limits = new Map(Object.entries(limits));
    this.parent = options.parent;
    this.context = options.context ?? {};
  }

  /** A nested budget: every charge to it is also charged to this one (and its ancestors). */
  child(scope: string, limits: BudgetLimits = {}, context: ErrorContext = {}): Budget {
    return new Budget(scope, limits, { parent: this, context: { ...this.context, ...context } });
  }

  /**
   * Consume `amount` of `dimension`. Throws {@link BudgetExceeded} when this budget or an ancestor would pass its
   * limit; the failed charge is not recorded, so `used` never exceeds a limit. Dimensions without a limit are
   * counted but never refused. Non-finite or negative amounts are refused as hostile (a negative size in a tar
   * header must not refill a budget).
   */
  charge(dimension: string, amount = 1): void {
    if (!Number.isFinite(amount) || amount < 0)
      throw new PalisadeError("INPUT", `${this.scope}: invalid ${dimension} amount ${String(amount)}`, {
        context: this.context,
      });
    // Check the whole chain first so a refused charge leaves every level unchanged.
    for (let b: Budget | undefined = this; b !== undefined; b = b.parent) {
      const limit = b.limits.get(dimension);
      if (limit !== undefined && (b.used.get(dimension) ?? 0) + amount > limit)
        throw new BudgetExceeded(b.scope, dimension, limit, b.context);
    }
    for (let b: Budget | undefined = this; b !== undefined; b = b.parent)
      b.used.set(dimension, (b.used.get(dimension) ?? 0) + amount);
  }

  /** Whether `amount` more of `dimension` fits in this budget and every ancestor. */
  fits(dimension: string, amount = 1): boolean {
    for (let b: Budget | undefined = this; b !== undefined; b = b.parent) {
      const limit = b.limits.get(dimension);
      if (limit !== undefined && (b.used.get(dimension) ?? 0) + amount > limit) return false;
    }
    return true;
  }

  /** What is left of `dimension` across the chain (Infinity when nothing limits it). */
  remaining(dimension: string): number {
    let left = Number.POSITIVE_INFINITY;
    for (let b: Budget | undefined = this; b !== undefined; b = b.parent) {
      const limit = b.limits.get(dimension);
      if (limit !== undefined) left = Math.min(left, limit - (b.used.get(dimension) ?? 0));
    }
    return left;
  }

  usedOf(dimension: string): number {
    return this.used.get(dimension) ?? 0;
  }

  limitOf(dimension: string): number | undefined {
    return this.limits.get(dimension);
  }
}
