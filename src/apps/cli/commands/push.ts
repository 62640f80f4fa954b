import { createReadStream } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import { resolve } from "node:path";
import { Readable } from "node:stream";
import { createGzip } from "node:zlib";
import type { Command } from "commander";
import { PalisadeError } from "../../../core/errors/index.js";
import type { RawObject } from "../../../core/inventory/index.js";
import { countNotEvaluated, incompleteText } from "../../../core/report/index.js";
import type { CliContext } from "../context.js";
import { EXIT } from "../exit-codes.js";
import { addImageOptions, type ImageFlags, imageAnalyzeOptions, imageSpec } from "../image-options.js";
import { collect } from "../options.js";
import { writeCoverage } from "../text.js";

const HELP = `
Send what this machine read to \`palisade serve\`: a cluster snapshot (the JSON of
\`kubectl get ... -A -o json\`, gzipped on the way), the live cluster of a kubeconfig (listed here with the same
reads as \`palisade scan --kubeconfig\`, Secret values dropped, streamed up as one snapshot), or an image analysed
here (its SBOM, with the names given).

A live listing with gaps (a kind forbidden, a cap hit, the API unreachable) is not sent unless --allow-partial:
the server would read every object missing from it as deleted.

The token comes from --token or PALISADE_TOKEN (an ingest or admin token: palisade token create --role ingest).
The server is reached over https, verified against the system CAs, NODE_EXTRA_CA_CERTS and --ca FILE; plain
http only to a loopback address.

Examples:
  kubectl get pods,deployments,namespaces -A -o json > prod.json
  PALISADE_TOKEN=... palisade push --server https://palisade.example:8443 --cluster prod --snapshot prod.json
  palisade push --server https://palisade.example:8443 --cluster prod --kubeconfig ~/.kube/config --context prod
  palisade push --server https://palisade.example:8443 --image registry.example/app:1.2 --ca ca.pem
`;

interface PushFlags extends ImageFlags {
  server: string;
  cluster?: string;
  snapshot?: string;
  kubeconfig?: string;
  context?: string;
  allowPartial?: boolean;
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
      .option("--kubeconfig <file>", "list the live cluster of this kubeconfig and send it as the snapshot")
      .option("--context <name>", "kubeconfig context (default: its current context)")
      .option("--allow-partial", "send a live listing even when some kinds could not be read")
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
      const given = [flags.snapshot, flags.kubeconfig, flags.image].filter((x) => x !== undefined).length;
      if (given !== 1)
        throw new PalisadeError(
          "USAGE",
          "give one of --snapshot FILE or --kubeconfig FILE (each with --cluster), or --image IMAGE",
        );
      const { apiRequest, serverUrl } = await import("../../../adapters/api-client/index.js");
      serverUrl(flags.server, flags.dangerouslyAllowHttp);
      const ca = flags.ca === undefined ? undefined : await readFile(resolve(ctx.cwd, flags.ca));
      const base = { server: flags.server, token, ca, dangerouslyAllowHttp: flags.dangerouslyAllowHttp };
      if (flags.snapshot !== undefined || flags.kubeconfig !== undefined) {
        if (flags.cluster === undefined)
          throw new PalisadeError(
            "USAGE",
            `${flags.snapshot !== undefined ? "--snapshot" : "--kubeconfig"} needs --cluster NAME`,
          );
        const file = flags.snapshot;
        let source: NodeJS.ReadableStream;
        if (file === undefined) {
          const { loadLiveCluster } = await import("../../../adapters/kube/index.js");
          const live = await loadLiveCluster({
            kubeconfig: resolve(ctx.cwd, flags.kubeconfig as string),
            ...(flags.context !== undefined ? { context: flags.context } : {}),
          });
          const gaps = countNotEvaluated(live.coverage);
          if (live.coverage.length > 0) writeCoverage(ctx, live.coverage);
          if (gaps > 0 && flags.allowPartial !== true) {
            ctx.stderr.write(
              `palisade: not sent: the listing is ${incompleteText(gaps)} (the server would read what is missing as deleted); --allow-partial sends it anyway\n`,
            );
            ctx.exitCode = EXIT.USAGE;
            return;
          }
          source = Readable.from(listChunks(live.objects));
        } else if (file === "-") source = ctx.stdin;
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

/**
 * A kubectl List of `objects` as text, one object at a time (the listing is held once, as objects, never also as
 * one string). Each object is sent as read (Secret values already dropped by the reader).
 */
function* listChunks(objects: readonly RawObject[]): Generator<string> {
  yield '{"apiVersion":"v1","kind":"List","metadata":{"resourceVersion":""},"items":[';
  let first = true;
  for (const o of objects) {
    yield `${first ? "" : ","}\n${JSON.stringify(o.object)}`;
    first = false;
  }
  yield "\n]}\n";
}
