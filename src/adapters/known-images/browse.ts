/**
 * Read registries for base finding without pulling layers: catalogs, tag lists, manifests with their configs, and
 * attestations attached to images. Per-registry rate limit and credentials, CAs and http policy as discovery's
 * analyzer has them. The use case (what to read, what to keep) is the images service's.
 */

import { PalisadeError } from "../../core/errors/index.js";
import { parseImageRef } from "../../core/inventory/index.js";
import { BASE_DIGEST_ANNOTATION, BASE_NAME_ANNOTATION, type ImageMeta } from "../../core/lineage/index.js";
import type { RegistryOptions } from "../image/index.js";
import type { DiscoverOptions } from "./discover.js";
import { registryAuthFor } from "./registry-auth.js";

/** Default registry reads started per second per registry host. */
export const DEFAULT_REGISTRY_RATE = 20;

export interface BrowseOptions extends DiscoverOptions {
  /** Registry reads (a list page, a manifest with its config) started per second per registry host. */
  ratePerSecond?: number | undefined;
  /** Injected for tests; default setTimeout. */
  sleep?: ((ms: number) => Promise<void>) | undefined;
}

/** Spaces the start of reads to one host by 1/rate seconds; hosts do not wait for each other. */
class HostRateLimiter {
  private readonly next = new Map<string, number>();
  constructor(
    private readonly intervalMs: number,
    private readonly sleep: (ms: number) => Promise<void>,
  ) {}

  async wait(host: string): Promise<void> {
    if (this.intervalMs <= 0) return;
    const now = Date.now();
    const at = Math.max(now, this.next.get(host) ?? 0);
    this.next.set(host, at + this.intervalMs);
    if (at > now) await this.sleep(at - now);
  }
}

/** Registry host and repository of `registry/repository[...]`, with Docker Hub's API host. */
function locate(ref: string): { registry: string; api: string; repository: string; reference?: string } {
  const r = parseImageRef(ref);
  if (!r.ok) throw new PalisadeError("INPUT", `invalid image reference "${ref}": ${r.error}`);
  const api = r.ref.registry === "docker.io" ? "registry-1.docker.io" : r.ref.registry;
  const reference = r.ref.digest ?? r.ref.tag;
  return {
    registry: r.ref.registry,
    api,
    repository: r.ref.repository,
    ...(reference !== undefined ? { reference } : {}),
  };
}

/**
 * The registry reader base finding uses (services/images `RegistryBrowser`): catalog, tags, manifest+config
 * inspection and attestation documents, each read waiting its turn under the host's rate limit.
 */
export function registryBrowser(opts: BrowseOptions) {
  const rate = opts.ratePerSecond ?? DEFAULT_REGISTRY_RATE;
  const limiter = new HostRateLimiter(
    rate > 0 ? 1000 / rate : 0,
    opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))),
  );
  const load = () => import("../image/index.js");
  const regOpts = async (registry: string, platform?: string): Promise<RegistryOptions> => {
    const { isLoopbackHost } = await load();
    return {
      platform: platform ?? opts.platform,
      auth: registryAuthFor(opts.auth, registry),
      dangerouslyAllowHttp: opts.dangerouslyAllowHttp,
      ...(opts.dangerouslyAllowHttp && !isLoopbackHost(registry) ? { plainHttp: true } : {}),
      ca: opts.ca,
      timeoutMs: opts.timeoutMs,
    };
  };
  return {
    /** Repositories of a registry host, as `registry/repository`. */
    async repositories(registry: string, max: number): Promise<{ names: string[]; truncated: boolean }> {
      const { listRepositories } = await load();
      const api = registry === "docker.io" ? "registry-1.docker.io" : registry;
      await limiter.wait(registry);
      const l = await listRepositories(api, await regOpts(registry), max);
      return { names: l.names.map((n) => `${registry}/${n}`), truncated: l.truncated };
    },
    /** Tags of `registry/repository`. */
    async tags(repository: string, max: number): Promise<{ names: string[]; truncated: boolean }> {
      const { listTags } = await load();
      const at = locate(repository);
      await limiter.wait(at.registry);
      return listTags(at.api, at.repository, await regOpts(at.registry), max);
    },
    /** Manifest and config of `registry/repository:tag|@digest` for a platform; never a layer blob. */
    async inspect(ref: string, platform: string | undefined): Promise<ImageMeta> {
      const { inspectImage } = await load();
      const at = locate(ref);
      await limiter.wait(at.registry);
      const img = await inspectImage(
        at.api,
        at.repository,
        at.reference ?? "latest",
        await regOpts(at.registry, platform),
      );
      if (img.manifestDigest === undefined)
        throw new PalisadeError("INPUT", `${ref}: the registry gave no manifest digest`);
      const annotations: Record<string, string> = {};
      for (const k of [BASE_NAME_ANNOTATION, BASE_DIGEST_ANNOTATION]) {
        const v = img.annotations?.[k] ?? img.config.labels[k];
        if (typeof v === "string" && v !== "") annotations[k] = v;
      }
      const name = `${at.registry}/${at.repository}`;
      const meta: ImageMeta = {
        repository: name,
        digest: img.manifestDigest,
        layers: img.layers.map((l) => l.diffId),
        annotations,
      };
      if (at.reference !== undefined && !at.reference.includes(":")) meta.tag = at.reference;
      if (img.indexDigest !== undefined) meta.index = img.indexDigest;
      if (img.platform !== undefined) meta.platform = img.platform;
      if (img.config.created !== undefined) meta.created = img.config.created;
      return meta;
    },
    /** Attestation documents attached to `registry/repository@digest` (and listed in its index, if given). */
    async attestations(ref: string, index?: string): Promise<unknown[]> {
      const { attestationDocuments } = await load();
      const at = locate(ref);
      if (at.reference === undefined || !at.reference.includes(":"))
        throw new PalisadeError("INTERNAL", `attestations of ${ref}: a digest reference is needed`);
      await limiter.wait(at.registry);
      return attestationDocuments(at.api, at.repository, at.reference, {
        ...(await regOpts(at.registry)),
        index,
      });
    },
  };
}
