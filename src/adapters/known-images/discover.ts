/**
 * Pull and analyze the images discovery asks for: one registry reference at a time (by digest when one is known),
 * with credentials per registry host. Planning, concurrency and remembering the images are the images service's
 * (services/images).
 */

import { PalisadeError } from "../../core/errors/index.js";
import type { CoverageEntry } from "../../core/findings/index.js";
import { parseImageRef } from "../../core/inventory/index.js";
import type { Sbom } from "../../core/sbom/index.js";
import type { AnalyzeOptions } from "../image/index.js";
import { type RegistryAuthConfig, registryAuthFor } from "./registry-auth.js";

/** How to reach registries. */
export interface DiscoverOptions {
  /** `os/arch[/variant]` to select from an image index; default linux/amd64. */
  platform?: string | undefined;
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

/** Pull and analyze one reference from its registry. */
async function analyzeRef(pull: string, opts: DiscoverOptions) {
  // Loaded on use, so importing this adapter (registry credentials for `images discover`) stays cheap.
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

/**
 * The image analyzer discovery pulls through (services/images `ImageAnalyzer`): each reference is pulled from its
 * registry with the credentials, CA certificates, platform and budgets of `opts`, streamed and analyzed.
 */
export function registryAnalyzer(
  opts: DiscoverOptions,
): (pull: string, platform?: string) => Promise<{ sbom: Sbom; coverage: CoverageEntry[] }> {
  // A platform given per pull (the node platform a pod runs on, a base's platform) wins over the default.
  return (pull, platform) => analyzeRef(pull, platform !== undefined ? { ...opts, platform } : opts);
}
