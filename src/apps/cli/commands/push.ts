import { createReadStream } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { resolve } from "node:path";
import { createGzip } from "node:zlib";
import type { Command } from "commander";
import { PalisadeError } from "../../../core/errors/index.js";
import type { CliContext } from "../context.js";
import { EXIT } from "../exit-codes.js";
import { addImageOptions, type ImageFlags, imageAnalyzeOptions, imageSpec } from "../image-options.js";
import { collect } from "../options.js";

const HELP = `
Send what this machine read to \`palisade serve\`: a cluster snapshot (the JSON of
\`kubectl get ... -A -o json\`, gzipped on the way), or an image analysed here (its SBOM, with the names given).

The token comes from --token or PALISADE_TOKEN (an ingest or admin token: palisade token create --role ingest).
The server is reached over https, verified against the system CAs, NODE_EXTRA_CA_CERTS and --ca FILE; plain
http only to a loopback address.

Examples:
  kubectl get pods,deployments,namespaces -A -o json > prod.json
  PALISADE_TOKEN=... palisade push --server https://palisade.example:8443 --cluster prod --snapshot prod.json
  palisade push --server https://palisade.example:8443 --image registry.example/app:1.2 --ca ca.pem
`;

interface PushFlags extends ImageFlags {
  server: string;
  cluster?: string;
  snapshot?: string;
  image?: string;
  ref?: string[];
  token?: string;
  ca?: string;
  dangerouslyAllowHttp?: boolean;
}

/** The server's error text, or the body. */
function answerText(body: string): string {
  try {
    const j = JSON.parse(body) as { error?: { code?: string; message?: string } };
    if (j.error?.message) return `${j.error.code ?? "ERROR"}: ${j.error.message}`;
  } catch {}
  return body.slice(0, 500);
}

/** `palisade push`: a snapshot or an image to the server. */
export function register(program: Command, ctx: CliContext): void {
  addImageOptions(
    program
      .command("push")
      .description("Send a cluster snapshot or an analysed image to palisade serve")
      .requiredOption("--server <url>", "the server, e.g. https://palisade.example:8443")
      .option("--cluster <name>", "the cluster the snapshot is of")
      .option("--snapshot <file>", "kubectl get ... -A -o json output (- for standard input)")
      .option("--image <image>", "an image to analyse here and send (registry reference, oci:DIR, archive)")
      .option("--ref <reference>", "name to remember --image under (repeatable)", collect)
      .option("--token <token>", "API token (default: $PALISADE_TOKEN)")
      .option("--ca <file>", "PEM CA certificate(s) to trust for the server, besides the system ones")
      .option(
        "--dangerously-allow-http",
        "allow plain http to a host that is not loopback (the token travels in clear)",
      ),
  )
    .addHelpText("after", HELP)
    .action(async (flags: PushFlags) => {
      const token = flags.token ?? ctx.env.PALISADE_TOKEN;
      if (!token) throw new PalisadeError("USAGE", "no token: give --token or set PALISADE_TOKEN");
      if ((flags.snapshot === undefined) === (flags.image === undefined))
        throw new PalisadeError("USAGE", "give one of --snapshot FILE (with --cluster) or --image IMAGE");
      const { apiRequest, serverUrl } = await import("../../../adapters/api-client/index.js");
      serverUrl(flags.server, flags.dangerouslyAllowHttp);
      const ca = flags.ca === undefined ? undefined : await readFile(resolve(ctx.cwd, flags.ca));
      const base = { server: flags.server, token, ca, dangerouslyAllowHttp: flags.dangerouslyAllowHttp };
      if (flags.snapshot !== undefined) {
        if (flags.cluster === undefined) throw new PalisadeError("USAGE", "--snapshot needs --cluster NAME");
        const file = flags.snapshot;
        let source: NodeJS.ReadableStream;
        if (file === "-") source = ctx.stdin;
        else {
          const path = resolve(ctx.cwd, file);
          await stat(path).catch((e: unknown) => {
            throw new PalisadeError("IO", `cannot read ${file}: ${(e as Error).message}`, { cause: e });
          });
          source = createReadStream(path);
        }
        const gzip = createGzip();
        source.on("error", (e) => gzip.destroy(e));
        const r = await apiRequest({
          ...base,
          method: "POST",
          path: `/api/v1/clusters/${encodeURIComponent(flags.cluster)}/snapshots`,
          headers: { "content-type": "application/json", "content-encoding": "gzip" },
          body: source.pipe(gzip),
        });
        if (r.status !== 200)
          throw new PalisadeError(
            "REMOTE",
            `the server refused the snapshot (${r.status}): ${answerText(r.body)}`,
          );
        const s = JSON.parse(r.body) as {
          objects: number;
          findings: { total: number; opened: number; resolved: number };
          remediation?: { transitions: number };
        };
        ctx.stdout.write(
          `pushed ${flags.cluster}: ${s.objects} objects, ${s.findings.total} findings (${s.findings.opened} new, ${s.findings.resolved} resolved)${s.remediation ? `, ${s.remediation.transitions} remediation changes` : ""}\n`,
        );
      } else {
        const { analyzeImage } = await import("../../../adapters/image/index.js");
        const { toCycloneDx } = await import("../../../core/sbom/index.js");
        const spec = imageSpec(flags.image as string, ctx, { directories: false });
        const { sbom } = await analyzeImage(spec, await imageAnalyzeOptions(flags, ctx));
        const doc = JSON.stringify(toCycloneDx(sbom, { now: ctx.now() }));
        const refs = [...(flags.ref ?? [])];
        if (!/^(oci|docker-archive|dir):/.test(spec) && refs.length === 0) refs.push(flags.image as string);
        const qs = refs.map((r) => `ref=${encodeURIComponent(r)}`).join("&");
        const r = await apiRequest({
          ...base,
          method: "POST",
          path: `/api/v1/images${qs ? `?${qs}` : ""}`,
          headers: { "content-type": "application/json" },
          body: Buffer.from(doc),
        });
        if (r.status !== 200)
          throw new PalisadeError(
            "REMOTE",
            `the server refused the image (${r.status}): ${answerText(r.body)}`,
          );
        const s = JSON.parse(r.body) as { digest: string; refs: string[]; packages: number };
        ctx.stdout.write(`pushed ${s.refs.join(", ") || flags.image} ${s.digest} (${s.packages} packages)\n`);
      }
      ctx.exitCode = EXIT.OK;
    });
}
