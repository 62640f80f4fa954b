import { existsSync, statSync } from "node:fs";
import { resolve } from "node:path";
import type { Command } from "commander";
import { PalisadeError } from "../../core/errors/index.js";
import type { CliContext } from "./context.js";

/** The flags that say how to read an image (`vuln scan`, `sbom`, `images add|discover`). */
export interface ImageFlags {
  platform?: string | undefined;
  registryCa?: string | undefined;
  maxImageBytes?: string | undefined;
}

const REGISTRY_CA_HELP =
  "PEM file of CA certificates to trust for registries with a private CA, in addition to the system defaults " +
  "and NODE_EXTRA_CA_CERTS (certificates are always verified)";

const MAX_IMAGE_BYTES_HELP =
  "decompressed layer bytes read per image, e.g. 4GiB (default 16GiB, or PALISADE_MAX_IMAGE_BYTES); " +
  "an image over it is an error";

/**
 * Add --platform, --registry-ca and --max-image-bytes, declared once for every command that reads images.
 * `platform` overrides the help and default of --platform (discover pulls many images and picks linux/amd64).
 */
export function addImageOptions(
  cmd: Command,
  platform: { help: string; default?: string } = { help: "platform to select from a multi-platform image" },
): Command {
  return cmd
    .option("--platform <os/arch>", platform.help, platform.default)
    .option("--registry-ca <file>", REGISTRY_CA_HELP)
    .option("--max-image-bytes <size>", MAX_IMAGE_BYTES_HELP);
}

/**
 * An IMAGE argument as a source spec: a transport prefix is kept; an existing directory with `oci-layout` is
 * `oci:`, an existing .tar file `docker-archive:`; with `directories` (`vuln scan`, `sbom`: a root filesystem or a
 * source tree) any other existing directory is `dir:`; anything else is as given (a registry reference).
 */
export function imageSpec(target: string, ctx: CliContext, opts: { directories: boolean }): string {
  if (/^(oci|docker-archive|dir|registry):/.test(target) || target.startsWith("docker://")) return target;
  const p = resolve(ctx.cwd, target);
  if (existsSync(p)) {
    const st = statSync(p);
    if (st.isDirectory() && existsSync(resolve(p, "oci-layout"))) return `oci:${p}`;
    if (st.isDirectory() && opts.directories) return `dir:${p}`;
    if (st.isFile() && /\.tar$/.test(p)) return `docker-archive:${p}`;
  }
  return target;
}

/** A byte size: an integer with an optional binary unit (KiB, MiB, GiB, TiB; K, M, G, T alike). */
export function parseByteSize(value: string, what: string): number {
  const m = /^(\d{1,15})\s*(?:([KMGT])(?:i?B)?|B)?$/i.exec(value.trim());
  const unit = m?.[2] ? 1024 ** ("KMGT".indexOf(m[2].toUpperCase()) + 1) : 1;
  const n = m ? Number(m[1]) * unit : Number.NaN;
  if (!Number.isSafeInteger(n) || n <= 0)
    throw new PalisadeError("USAGE", `${what} ${value}: expected a positive size like 4GiB or 512MiB`);
  return n;
}

/** Analyzer options from the image flags; --registry-ca is read (size-capped, validated) relative to the cwd. */
export async function imageAnalyzeOptions(
  flags: ImageFlags,
  ctx: CliContext,
): Promise<import("../../adapters/image/index.js").AnalyzeOptions> {
  const opts: import("../../adapters/image/index.js").AnalyzeOptions = {};
  if (flags.platform) opts.platform = flags.platform;
  const maxImage = flags.maxImageBytes ?? ctx.env.PALISADE_MAX_IMAGE_BYTES;
  if (maxImage !== undefined && maxImage !== "")
    opts.budgets = {
      maxImageBytes: parseByteSize(
        maxImage,
        flags.maxImageBytes !== undefined ? "--max-image-bytes" : "PALISADE_MAX_IMAGE_BYTES",
      ),
    };
  if (flags.registryCa !== undefined) {
    const { loadRegistryCaFile } = await import("../../adapters/image/index.js");
    opts.ca = await loadRegistryCaFile(resolve(ctx.cwd, flags.registryCa));
  }
  return opts;
}
