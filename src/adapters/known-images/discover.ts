/**
 * Discover the images workloads run: pull each from its registry (by digest when one is known), analyze it and
 * remember it as a known image. Every per-image failure is a coverage entry; the rest continue.
 */

import { type ErrorCode, PalisadeError, toPalisadeError } from "../../core/errors/index.js";
import { type CoverageEntry, cmp } from "../../core/findings/index.js";
import { parseImageRef } from "../../core/inventory/index.js";
import {
  type DiscoveryTarget,
  discoveryFailureReason,
  type KnownImage,
  knownImageFromSbom,
  planDiscovery,
  type WorkloadUsage,
} from "../../core/lineage/index.js";
import { appendAll } from "../../core/util/index.js";
import type { AnalyzeOptions } from "../image/index.js";
import type { KnownImageStore } from "../store/index.js";
import { type RegistryAuthConfig, registryAuthFor } from "./registry-auth.js";

/** How to reach registries and how much to do at once. */
export interface DiscoverOptions {
  /** `os/arch[/variant]` to select from an image index; default linux/amd64. */
  platform?: string | undefined;
  /** Images analyzed at once (default {@link DEFAULT_DISCOVER_CONCURRENCY}, at most {@link MAX_DISCOVER_CONCURRENCY}). */
  concurrency?: number | undefined;
  /**
   * Plain http to registries that are not on loopback (loopback registries get https, or http when they speak
   * no TLS). Credentials and images then cross the network unprotected.
   */
  dangerouslyAllowHttp?: boolean | undefined;
  /**
   * Extra trusted CA certificates (PEM) for registries with a private CA, added to Node's defaults and
   * NODE_EXTRA_CA_CERTS.
   */
  ca?: AnalyzeOptions["ca"];
  /** Credentials per registry host; anonymous elsewhere. */
  auth?: RegistryAuthConfig | undefined;
  /** Registry request time limits (ms), layer budgets: passed to the image adapter. */
  timeoutMs?: number | undefined;
  blobTimeoutMs?: number | undefined;
  budgets?: AnalyzeOptions["budgets"];
}

export const DEFAULT_DISCOVER_CONCURRENCY = 4;
export const MAX_DISCOVER_CONCURRENCY = 16;

/** What became of one discovered image. */
export interface DiscoveryOutcome {
  target: DiscoveryTarget;
  status: "known" | "analyzed" | "failed";
  /** The stored (known) or newly analyzed image. */
  image?: KnownImage | undefined;
  /** The reference the image was pulled by. */
  pulled?: string | undefined;
  error?: { code: ErrorCode; reason: CoverageEntry["reason"]; message: string } | undefined;
}

/** Counts, one outcome per discovered image (sorted by key), one coverage entry per failed image, other coverage. */
export interface DiscoveryReport {
  discovered: number;
  alreadyKnown: number;
  analyzed: number;
  failed: number;
  outcomes: DiscoveryOutcome[];
  /** One entry per image that could not be analyzed, naming the reference and why. */
  failures: CoverageEntry[];
  /** Everything else: unreadable stored images, invalid references, partial analyses, skipped credentials. */
  coverage: CoverageEntry[];
}

/** Map `items` through `fn` with at most `limit` calls in flight; results in item order. */
export async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}

/** Pull and analyze one reference from its registry. */
async function analyzeRef(pull: string, opts: DiscoverOptions) {
  // Loaded on use, like the stores in evaluate.ts, so importing this adapter for `images list` stays cheap.
  const { analyzeSource, isLoopbackHost, parseSourceSpec, RegistrySource } = await import(
    "../image/index.js"
  );
  // The `registry:` transport prefix keeps a registry host named like a transport (`oci:5000/x`) a registry.
  const spec = parseSourceSpec(`registry:${pull}`);
  if (spec.transport !== "registry") throw new PalisadeError("INTERNAL", `not a registry reference: ${pull}`);
  const parsed = parseImageRef(pull);
  const source = new RegistrySource(
    spec.registry,
    spec.repository,
    spec.reference,
    {
      platform: opts.platform,
      auth: parsed.ok ? registryAuthFor(opts.auth, parsed.ref.registry) : undefined,
      dangerouslyAllowHttp: opts.dangerouslyAllowHttp,
      // The image adapter picks https for every non-loopback host; the flag is what asks for http there.
      // Loopback registries keep the adapter's choice (https, or http when the peer speaks no TLS).
      ...(opts.dangerouslyAllowHttp && !isLoopbackHost(spec.registry) ? { plainHttp: true } : {}),
      ca: opts.ca,
      timeoutMs: opts.timeoutMs,
      blobTimeoutMs: opts.blobTimeoutMs,
    },
    spec.display,
  );
  try {
    return await analyzeSource(source, { budgets: opts.budgets });
  } finally {
    await source.close();
  }
}

/** Try each pull reference of a target in order until one is analyzed. */
async function discoverOne(
  t: DiscoveryTarget,
  opts: DiscoverOptions,
): Promise<DiscoveryOutcome & { coverage: CoverageEntry[] }> {
  const errors: string[] = [];
  let last: ReturnType<typeof toPalisadeError> | undefined;
  for (const pull of t.pulls) {
    try {
      const { sbom, coverage } = await analyzeRef(pull, opts);
      return {
        target: t,
        status: "analyzed",
        image: knownImageFromSbom(sbom, t.refs),
        pulled: pull,
        coverage,
      };
    } catch (e) {
      // Normalised here, at the boundary of one image: a failure of any kind is that image's coverage entry.
      last = toPalisadeError(e);
      errors.push(t.pulls.length > 1 ? `${pull}: ${last.message}` : last.message);
    }
  }
  const code = last?.code ?? "INTERNAL";
  const reason = discoveryFailureReason(code);
  const used = `${t.workloads} workload${t.workloads === 1 ? "" : "s"}, e.g. ${t.example}`;
  const message = `cannot analyze ${t.pulls[0]} (used by ${used}): ${errors.join("; ")}`;
  return {
    target: t,
    status: "failed",
    error: { code, reason, message: errors.join("; ") },
    coverage: [{ reason, subject: t.pulls[0] ?? t.key, message }],
  };
}

/**
 * Discover the images `usages` run: plan against the store (images already known are not pulled again, but
 * learn the refs seen now), analyze the rest with bounded concurrency, and store each as it completes.
 * Failures (unreachable registry, 401/403, unknown manifest, no manifest for the platform, digest mismatch)
 * are outcomes and coverage entries; only a store failure throws.
 */
export async function discoverImages(
  usages: readonly WorkloadUsage[],
  store: KnownImageStore,
  now: Date,
  opts: DiscoverOptions = {},
): Promise<DiscoveryReport> {
  const listed = await store.listImages();
  const plan = planDiscovery(
    usages,
    listed.images.map((i) => i.image),
  );
  const coverage: CoverageEntry[] = [...listed.coverage, ...plan.coverage, ...(opts.auth?.coverage ?? [])];
  const outcomes: DiscoveryOutcome[] = [];
  for (const { target, image } of plan.known) {
    const extra = target.refs.filter((r) => !image.refs.includes(r));
    if (extra.length > 0)
      await store.putImages([{ ...image, refs: [...image.refs, ...extra].sort(cmp) }], now);
    outcomes.push({ target, status: "known", image });
  }
  const limit = Math.max(
    1,
    Math.min(opts.concurrency ?? DEFAULT_DISCOVER_CONCURRENCY, MAX_DISCOVER_CONCURRENCY),
  );
  const done = await mapBounded(plan.toAnalyze, limit, async (t) => {
    const o = await discoverOne(t, opts);
    // Stored as each completes, so an interrupted run keeps what it analyzed. No two targets carry the same
    // tag (collectDiscoveryTargets), so the order of completion cannot change which image a tag names.
    if (o.image) await store.putImages([o.image], now);
    return o;
  });
  const failures: CoverageEntry[] = [];
  for (const { coverage: c, ...o } of done) {
    outcomes.push(o);
    appendAll(o.status === "failed" ? failures : coverage, c);
  }
  outcomes.sort((a, b) => cmp(a.target.key, b.target.key));
  return {
    discovered: plan.discovered.length,
    alreadyKnown: plan.known.length,
    analyzed: outcomes.filter((o) => o.status === "analyzed").length,
    failed: outcomes.filter((o) => o.status === "failed").length,
    outcomes,
    failures,
    coverage,
  };
}
