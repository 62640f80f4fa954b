import { resolve } from "node:path";
import type { Command } from "commander";
import { PalisadeError } from "../../../core/errors/index.js";
import { compareCoverage } from "../../../core/findings/index.js";
import { stableStringify } from "../../../core/util/index.js";
import type { CliContext } from "../context.js";
import { storesDbOption, withStores } from "../db-location.js";
import { EXIT } from "../exit-codes.js";
import { addImageOptions, type ImageFlags, imageAnalyzeOptions, imageSpec } from "../image-options.js";
import { addInputOptions, type InputOptions, inventoryInputs } from "../inputs.js";
import { collect, outputOption } from "../options.js";
import { writeCoverage } from "../text.js";

type DiscoverFlags = InputOptions & {
  output: string;
  db?: string;
  platform: string;
  concurrency: string;
  registryAuth?: string;
  registryCa?: string;
  maxImageBytes?: string;
  dangerouslyAllowHttp?: boolean;
  bases: string;
  baseRepos?: string[];
  registryRate: string;
};

const DISCOVER_HELP = `
Every image a workload uses is collected: container image references, and the digests running pods report in
status.containerStatuses[].imageID. Images are deduplicated by digest (by reference when no digest is known);
those already known are not pulled again (they only learn the references seen now). The rest are pulled from
their registry, by digest when one is known (registry/repository@sha256:...), else by tag, and remembered with
the references seen: the tag (when it names a single running digest) and registry/repository@digest.

Base images are then found by themselves (--bases, default all):
  annotations  what the images say: the OCI annotations org.opencontainers.image.base.name/.base.digest (manifest
               annotations or config labels), and SLSA provenance attached to the image (OCI referrers API, the
               referrers tag schema, cosign's sha256-<hex>.att tag, BuildKit attestation manifests): a material
               whose layer chain the image extends is its base. Followed up the chain.
  registry     the registries that serve the running images: every repository /v2/_catalog lists (where the
               registry allows it) and those named by --base-repos, every tag of those, read as manifest and
               config only (no layer is downloaded); an image whose layer chain is a proper prefix of a running
               image's chain is an ancestor.
  all          both; none: neither.
Only images in a running image's ancestry are pulled and analyzed, and the later releases of those bases (same
repository, a higher tag of the same variant), so that upgrade advice can name the release that clears the most.
Reads are rate-limited per registry (--registry-rate). A running image with no ancestor found is a coverage entry
saying why ("no base found for X: the registry does not list repositories; name them with --base-repos").

A failure (unreachable registry, 401/403, unknown tag or digest, no manifest for --platform, digest mismatch)
is reported for that image as coverage and the others continue; it does not change the exit code.

Registries are read anonymously, or with the credentials of --registry-auth FILE, a Docker config.json:
  {"auths": {"registry.example:5000": {"auth": "<base64 of user:password>"}}}
(also "username"/"password" and "registrytoken"; credsStore/credHelpers are not run).
Registries are reached over https, verified against the system CAs, NODE_EXTRA_CA_CERTS and the PEM
certificates of --registry-ca FILE (for registries with a private CA). Plain http is used only for loopback
registries that speak no TLS, unless --dangerously-allow-http.

Examples:
  palisade images discover --snapshot cluster.json
  palisade images discover --kubeconfig ~/.kube/config --registry-auth ~/.docker/config.json -o json
`;

/** `palisade images discover`: analyze every image the workloads run that is not known yet. */
function registerDiscover(images: Command, ctx: CliContext): void {
  addInputOptions(
    addImageOptions(
      images
        .command("discover")
        .description(
          "Pull and remember every image the workloads run (by digest when pods report one) that is not known yet",
        ),
      { help: "platform to select from multi-platform images", default: "linux/amd64" },
    )
      .option("--concurrency <n>", "images analyzed at once (1-16)", "4")
      .option("--registry-auth <file>", 'registry credentials: a Docker config.json with "auths"')
      .option("--bases <mode>", "where to find base images: none, annotations, registry or all", "all")
      .option(
        "--base-repos <repositories>",
        "repositories to search for bases (registry/repository; comma-separated, repeatable)",
        collect,
      )
      .option("--registry-rate <n>", "registry reads started per second per registry host (1-1000)", "20")
      .option(
        "--dangerously-allow-http",
        "use plain http for registries that are not on loopback (credentials and images travel unprotected)",
      )
      .addOption(outputOption(["table", "json"], "table"))
      .addOption(storesDbOption(ctx)),
  )
    .addHelpText("after", DISCOVER_HELP)
    .action(async (flags: DiscoverFlags) => {
      // 1-16: MAX_DISCOVER_CONCURRENCY of services/images, not imported here so --help stays cheap.
      const concurrency = Number(flags.concurrency);
      if (!/^\d+$/.test(flags.concurrency) || concurrency < 1 || concurrency > 16)
        throw new PalisadeError(
          "USAGE",
          `--concurrency ${flags.concurrency}: expected an integer from 1 to 16`,
        );
      const lin = await import("../../../core/lineage/index.js");
      const mode = lin.BASE_MODES.find((m) => m === flags.bases);
      if (mode === undefined)
        throw new PalisadeError(
          "USAGE",
          `--bases ${flags.bases}: expected one of ${lin.BASE_MODES.join(", ")}`,
        );
      const rate = Number(flags.registryRate);
      if (!/^\d+$/.test(flags.registryRate) || rate < 1 || rate > 1000)
        throw new PalisadeError(
          "USAGE",
          `--registry-rate ${flags.registryRate}: expected an integer from 1 to 1000`,
        );
      const baseRepos: string[] = [];
      for (const r of (flags.baseRepos ?? []).flatMap((x) => x.split(",")).map((x) => x.trim())) {
        if (r === "") continue;
        const repo = lin.repositoryOf(r);
        if (repo === undefined || lin.canonicalRef(r) !== `${repo}:latest`)
          throw new PalisadeError(
            "USAGE",
            `--base-repos ${r}: expected a repository name (registry/repository, no tag)`,
          );
        baseRepos.push(repo);
      }
      const { parsePlatform } = await import("../../../adapters/image/index.js");
      parsePlatform(flags.platform);
      const ki = await import("../../../adapters/known-images/index.js");
      const auth = flags.registryAuth
        ? await ki.loadRegistryAuthFile(resolve(ctx.cwd, flags.registryAuth))
        : undefined;
      const { ca, budgets } = await imageAnalyzeOptions(
        { registryCa: flags.registryCa, maxImageBytes: flags.maxImageBytes },
        ctx,
      );
      const { sources, readers } = await inventoryInputs(flags, [], ctx);
      const { discoverImages } = await import("../../../services/images/index.js");
      const analyze = ki.registryAnalyzer({
        platform: flags.platform,
        auth,
        ca,
        budgets,
        dangerouslyAllowHttp: flags.dangerouslyAllowHttp === true,
      });
      const browser = ki.registryBrowser({
        platform: flags.platform,
        auth,
        ca,
        dangerouslyAllowHttp: flags.dangerouslyAllowHttp === true,
        ratePerSecond: rate,
      });
      const report = await withStores(flags.db, ctx, {}, (stores) =>
        discoverImages(
          { sources, concurrency, bases: { mode, baseRepos } },
          { readers, images: stores.images, analyze, browser, now: ctx.now, coverage: auth?.coverage },
        ),
      );
      const coverage = report.coverage;
      const summary = {
        discovered: report.discovered,
        alreadyKnown: report.alreadyKnown,
        analyzed: report.analyzed,
        failed: report.failed,
        bases: report.bases && {
          mode: report.bases.mode,
          ancestors: report.bases.ancestors.length,
          bySource: report.bases.bySource,
          releases: report.bases.releases.length,
          inspected: report.bases.inspected,
          analyzed: report.bases.analyzed,
          undetermined: report.bases.undetermined,
        },
      };
      if (flags.output === "json") {
        const images = report.outcomes.map((o) => ({
          key: o.target.key,
          status: o.status,
          pulls: o.target.pulls,
          refs: o.target.refs,
          workloads: o.target.workloads,
          pulled: o.pulled,
          digest: o.image?.digest,
          platform: o.image?.platform,
          layers: o.image?.layers.length,
          packages: o.image?.packages.length,
          error: o.error,
        }));
        const all = [...coverage, ...report.failures].sort(compareCoverage);
        const bases = report.bases && {
          ancestors: report.bases.ancestors,
          releases: report.bases.releases,
        };
        ctx.stdout.write(`${stableStringify({ summary, images, bases, coverage: all })}\n`);
      } else {
        // Failures are printed on their own line below; the other coverage goes to stderr as everywhere.
        writeCoverage(ctx, coverage);
        for (const o of report.outcomes) {
          const name = o.target.pulls[0] ?? o.target.key;
          if (o.status === "failed")
            ctx.stdout.write(`failed    ${name}: ${o.error?.reason}: ${o.error?.message}\n`);
          else
            ctx.stdout.write(
              `${o.status.padEnd(9)} ${name} ${o.image?.digest ?? ""} ${o.image?.platform ?? ""} ${o.image?.layers.length ?? 0} layers, ${o.image?.packages.length ?? 0} packages\n`,
            );
        }
        const b = report.bases;
        if (b) {
          for (const a of b.ancestors)
            ctx.stdout.write(`base      ${a.ref} ${a.digest} ${a.platform ?? ""} (${a.source})\n`);
          for (const r of b.releases)
            ctx.stdout.write(`release   ${r.ref} ${r.digest} ${r.platform ?? ""}\n`);
        }
        ctx.stdout.write(
          `discovered ${summary.discovered}, already known ${summary.alreadyKnown}, analyzed ${summary.analyzed}, failed ${summary.failed}\n`,
        );
        if (b) {
          const how = (["registry", "annotation", "provenance", "known"] as const)
            .filter((k) => b.bySource[k] > 0)
            .map((k) => `${b.bySource[k]} ${k === "known" ? "already known" : `by ${k}`}`);
          ctx.stdout.write(
            `bases (${b.mode}): ${b.ancestors.length} ancestor${b.ancestors.length === 1 ? "" : "s"}${how.length > 0 ? ` (${how.join(", ")})` : ""}, ${b.releases.length} later release${b.releases.length === 1 ? "" : "s"}, ${b.inspected} manifests read, ${b.analyzed} images analyzed; ${b.undetermined} running image${b.undetermined === 1 ? "" : "s"} without a known base\n`,
          );
        }
      }
      ctx.exitCode = EXIT.OK;
    });
}

/** `palisade images add|discover|list|history|tree`: the known images the lineage commands (`vuln impact|plan|status`) read. */
export function register(program: Command, ctx: CliContext): void {
  const images = program
    .command("images")
    .description("Known images: the image tree, where to fix, what runs them");

  addImageOptions(
    images
      .command("add")
      .description(
        "Analyze images and remember them (by digest, with their layer chain) to grow the image tree",
      )
      .argument(
        "<images...>",
        "oci:DIR[:TAG], docker-archive:FILE, registry reference, or a layout dir / .tar",
      )
      .option("--ref <reference>", "name to remember the image under (repeatable; one IMAGE only)", collect),
  )
    .addOption(storesDbOption(ctx))
    .action(async (targets: string[], flags: ImageFlags & { ref?: string[]; db?: string }) => {
      if (flags.ref?.length && targets.length !== 1)
        throw new PalisadeError("USAGE", "--ref names one image: give exactly one IMAGE with it");
      const { analyzeImage, parseSourceSpec } = await import("../../../adapters/image/index.js");
      const { canonicalRef } = await import("../../../core/lineage/index.js");
      for (const r of flags.ref ?? [])
        if (canonicalRef(r) === undefined)
          throw new PalisadeError("USAGE", `--ref ${r} is not an image reference`);
      const analyzeOpts = await imageAnalyzeOptions(flags, ctx);
      const { addImages } = await import("../../../services/images/index.js");
      await withStores(flags.db, ctx, {}, (stores) =>
        addImages(
          { targets, refs: flags.ref },
          {
            images: stores.images,
            now: ctx.now,
            analyze: async (t) => {
              const spec = imageSpec(t, ctx, { directories: false });
              const analyzed = await analyzeImage(spec, analyzeOpts);
              const s = parseSourceSpec(spec);
              return { ...analyzed, registryRef: s.transport === "registry" ? s.display : undefined };
            },
            onAdded: ({ target, image: img, coverage }) => {
              writeCoverage(ctx, coverage);
              ctx.stdout.write(
                `added ${img.refs.join(", ") || target} ${img.digest} ${img.platform ?? ""} ${img.layers.length} layers, ${img.packages.length} packages\n`,
              );
            },
          },
        ),
      );
      ctx.exitCode = EXIT.OK;
    });

  registerDiscover(images, ctx);

  images
    .command("list")
    .description("List known images")
    .addOption(outputOption(["table", "json"], "table"))
    .addOption(storesDbOption(ctx))
    .action(async (flags: { output: string; db?: string }) => {
      const { listKnownImages } = await import("../../../services/images/index.js");
      const listed = await withStores(flags.db, ctx, {}, (stores) =>
        listKnownImages({ images: stores.images }),
      );
      writeCoverage(ctx, listed.coverage);
      if (flags.output === "json") {
        ctx.stdout.write(`${stableStringify(listed.images)}\n`);
      } else {
        for (const i of listed.images)
          ctx.stdout.write(
            `${i.digest.slice(0, 19)}  ${(i.platform ?? "-").padEnd(12)} ${String(i.layers.length).padStart(3)} layers ${String(i.packages).padStart(5)} packages  ${i.refs.join(", ") || "(no name)"}\n`,
          );
        if (listed.images.length === 0)
          ctx.stdout.write(
            "no known images (palisade images add IMAGE..., or palisade images discover --snapshot FILE)\n",
          );
      }
      ctx.exitCode = EXIT.OK;
    });

  images
    .command("history")
    .description(
      "The history of image tags: each digest a tag named, from when (a base rebuilt under its tag moves it)",
    )
    .argument("[ref]", "one tag (registry/repository:tag); every tag without it")
    .addOption(outputOption(["table", "json"], "table"))
    .addOption(storesDbOption(ctx))
    .action(async (ref: string | undefined, flags: { output: string; db?: string }) => {
      const { canonicalRef } = await import("../../../core/lineage/index.js");
      const want = ref === undefined ? undefined : canonicalRef(ref);
      if (ref !== undefined && (want === undefined || want.includes("@")))
        throw new PalisadeError("USAGE", `${ref} is not a tag reference (registry/repository:tag)`);
      const moves = await withStores(flags.db, ctx, {}, (stores) => stores.images.tagHistory(want));
      if (flags.output === "json") ctx.stdout.write(`${stableStringify(moves)}\n`);
      else {
        let prev = "";
        for (const m of moves) {
          const key = `${m.ref} ${m.platform}`;
          ctx.stdout.write(
            `${key === prev ? "moved to " : "".padEnd(9)}${m.ref} ${m.platform || "-"} ${m.digest} since ${m.at}\n`,
          );
          prev = key;
        }
        if (moves.length === 0)
          ctx.stdout.write(`no tag history${want !== undefined ? ` for ${want}` : ""}\n`);
      }
      ctx.exitCode = EXIT.OK;
    });

  images
    .command("tree")
    .description(
      "Print the image tree (parents by layer chain, then base annotations) with vulnerabilities per node",
    )
    .addOption(outputOption(["table", "json", "dot"], "table"))
    .addOption(storesDbOption(ctx))
    .action(async (flags: { output: string; db?: string }) => {
      const { loadLineageState } = await import("../../../services/lineage/index.js");
      const lin = await import("../../../core/lineage/index.js");
      const state = await withStores(flags.db, ctx, { create: false }, loadLineageState);
      if (flags.output === "json") {
        const doc = lin.treeJson(state.lineage, state.vulns);
        ctx.stdout.write(`${stableStringify({ ...doc, coverage: state.coverage })}\n`);
      } else {
        writeCoverage(ctx, state.coverage);
        ctx.stdout.write(
          flags.output === "dot"
            ? lin.formatTreeDot(state.lineage, state.vulns)
            : lin.formatTreeText(state.lineage, state.vulns),
        );
      }
      ctx.exitCode = EXIT.OK;
    });
}
