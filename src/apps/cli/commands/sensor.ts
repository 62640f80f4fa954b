import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import type { Command } from "commander";
import { PalisadeError } from "../../../core/errors/index.js";
import type { CliContext } from "../context.js";
import { EXIT } from "../exit-codes.js";

const HELP = `
Run in (or next to) one cluster: list, then watch, every kind Palisade's analyses read, and send each change as
a delta to NATS JetStream (--nats), or, for small setups without NATS, post the deltas to palisade serve
(--server), with the cluster's whole state as a snapshot at start and after a relist (at most one per
--snapshot-interval).

Secret values never leave the sensor (only which keys held a value). Secrets are not read at all unless
--with-secrets (their RBAC grant is rated high; see --print-rbac).

When the transport is down, deltas go to a bounded disk buffer (--buffer-dir, --buffer-max-bytes; the oldest are
dropped, and counted, when it is full) and are sent in order once it is back.

Runtime events: with --events-listen the sensor also takes what the cluster's tools post (Falco's http_output,
the API server's audit webhook, Hubble flows or flow logs as JSON lines or CSV) at POST /events/{source}
(source: auto, falco, k8s-audit, hubble, tetragon, flowlog) and forwards it over the same transport. A body is
answered 202 once it is in the disk buffer (--buffer-dir/events). HTTPS with --events-tls-cert/--events-tls-key;
a bearer token required with --events-token (or $PALISADE_EVENTS_TOKEN).

Examples:
  palisade sensor --print-rbac > sensor-rbac.yaml
  palisade sensor --kubeconfig ~/.kube/config --cluster prod --nats nats://nats.example:4222
  palisade sensor --kubeconfig in-cluster --cluster prod --server https://palisade.example:8443 --token ...
  palisade sensor ... --metrics-listen 127.0.0.1:9464    # Prometheus text at /metrics
  palisade sensor ... --events-listen 0.0.0.0:8765 --events-tls-cert tls.crt --events-tls-key tls.key
`;

interface SensorFlags {
  kubeconfig?: string;
  context?: string;
  cluster?: string;
  nats?: string;
  stream?: string;
  subjectPrefix?: string;
  server?: string;
  token?: string;
  ca?: string;
  dangerouslyAllowHttp?: boolean;
  snapshotInterval: string;
  bufferDir: string;
  bufferMaxBytes: string;
  metricsListen?: string;
  eventsListen?: string;
  eventsTlsCert?: string;
  eventsTlsKey?: string;
  eventsToken?: string;
  eventsMaxBytes: string;
  withSecrets?: boolean;
  printRbac?: boolean;
  namespace: string;
}

function positive(flag: string, v: string): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n <= 0)
    throw new PalisadeError("USAGE", `${flag} ${v}: expected a positive integer`);
  return n;
}

/** `palisade sensor`. */
export function register(program: Command, ctx: CliContext): void {
  program
    .command("sensor")
    .description("Watch a cluster and send its changes to NATS JetStream or palisade serve")
    .option(
      "--kubeconfig <file>",
      "kubeconfig to read the cluster with (in-cluster: the pod's ServiceAccount)",
    )
    .option("--context <name>", "kubeconfig context (default: its current-context)")
    .option("--cluster <name>", "the name this cluster has in the fleet (a DNS label)")
    .option("--nats <url>", "NATS server(s), comma-separated, e.g. nats://nats.example:4222")
    .option("--stream <name>", "JetStream stream name", "PALISADE_DELTAS")
    .option(
      "--subject-prefix <token>",
      "first token of the stream's subjects, <token>.<cluster>.delta.<kind>",
      "palisade",
    )
    .option(
      "--server <url>",
      "palisade serve URL (instead of --nats): posts deltas, and a snapshot at start and relists",
    )
    .option("--token <token>", "API token for --server (default: $PALISADE_TOKEN)")
    .option("--ca <file>", "PEM CA certificate(s) to trust for --server")
    .option("--dangerously-allow-http", "allow plain http to a --server that is not loopback")
    .option("--snapshot-interval <seconds>", "with --server: least time between two full snapshots", "30")
    .option("--buffer-dir <dir>", "disk buffer for when the transport is down", "palisade-sensor-buffer")
    .option(
      "--buffer-max-bytes <n>",
      "size cap of the disk buffer (oldest dropped beyond it)",
      String(256 * 1024 * 1024),
    )
    .option(
      "--metrics-listen <host:port>",
      "serve Prometheus metrics at http://HOST:PORT/metrics (default: off)",
    )
    .option("--events-listen <host:port>", "take runtime events at POST /events/{source} and forward them")
    .option("--events-tls-cert <file>", "with --events-listen: PEM certificate chain (HTTPS)")
    .option("--events-tls-key <file>", "with --events-listen: PEM private key")
    .option(
      "--events-token <token>",
      "with --events-listen: bearer token required (default: $PALISADE_EVENTS_TOKEN)",
    )
    .option("--events-max-bytes <n>", "largest events body accepted, decompressed", String(16 * 1024 * 1024))
    .option("--with-secrets", "also read Secrets (values are dropped; needs a broader ClusterRole)")
    .option("--print-rbac", "print the sensor's ServiceAccount, ClusterRole and ClusterRoleBinding, and exit")
    .option("--namespace <ns>", "with --print-rbac: the ServiceAccount's namespace", "palisade-system")
    .addHelpText("after", HELP)
    .action(async (flags: SensorFlags) => {
      const { sensorKinds, startSensor } = await import("../sensor-run.js");
      const withSecrets = flags.withSecrets === true;
      if (flags.printRbac) {
        const { sensorRbacYaml } = await import("../sensor-rbac.js");
        ctx.stdout.write(sensorRbacYaml(sensorKinds(withSecrets), flags.namespace));
        ctx.exitCode = EXIT.OK;
        return;
      }
      if (flags.kubeconfig === undefined)
        throw new PalisadeError("USAGE", "give --kubeconfig FILE (or in-cluster)");
      const { CLUSTER_NAME } = await import("../../../core/deltas/index.js");
      if (flags.cluster === undefined || !CLUSTER_NAME.test(flags.cluster))
        throw new PalisadeError("USAGE", "give --cluster NAME (lowercase letters, digits, '.', '_', '-')");
      if ((flags.nats === undefined) === (flags.server === undefined))
        throw new PalisadeError("USAGE", "give one of --nats URL or --server URL");
      const cluster = flags.cluster;
      let transport: Parameters<typeof startSensor>[0]["transport"];
      if (flags.nats !== undefined)
        transport = { nats: flags.nats, stream: flags.stream, subjectPrefix: flags.subjectPrefix };
      else {
        const token = flags.token ?? ctx.env.PALISADE_TOKEN;
        if (!token)
          throw new PalisadeError("USAGE", "--server needs --token or PALISADE_TOKEN (an ingest token)");
        const { serverUrl } = await import("../../../adapters/api-client/index.js");
        serverUrl(flags.server as string, flags.dangerouslyAllowHttp);
        transport = {
          server: flags.server as string,
          token,
          ca: flags.ca === undefined ? undefined : await readFile(resolve(ctx.cwd, flags.ca)),
          dangerouslyAllowHttp: flags.dangerouslyAllowHttp,
          intervalMs: positive("--snapshot-interval", flags.snapshotInterval) * 1000,
        };
      }
      let events: Parameters<typeof startSensor>[0]["events"];
      if (flags.eventsListen !== undefined) {
        if ((flags.eventsTlsCert === undefined) !== (flags.eventsTlsKey === undefined))
          throw new PalisadeError("USAGE", "give both --events-tls-cert and --events-tls-key, or neither");
        const read = async (flag: string, f: string) => {
          try {
            return await readFile(resolve(ctx.cwd, f));
          } catch (e) {
            throw new PalisadeError("IO", `${flag} ${f}: ${(e as Error).message}`, { cause: e });
          }
        };
        events = {
          listen: flags.eventsListen,
          tls:
            flags.eventsTlsCert === undefined || flags.eventsTlsKey === undefined
              ? undefined
              : {
                  cert: await read("--events-tls-cert", flags.eventsTlsCert),
                  key: await read("--events-tls-key", flags.eventsTlsKey),
                },
          token: flags.eventsToken ?? (ctx.env.PALISADE_EVENTS_TOKEN || undefined),
          maxBytes: positive("--events-max-bytes", flags.eventsMaxBytes),
        };
      }
      const log = (line: string) =>
        ctx.stderr.write(`${ctx.now().toISOString()} sensor ${cluster}: ${line}\n`);
      const sensor = await startSensor({
        cluster,
        api: {
          kubeconfig: flags.kubeconfig === "in-cluster" ? "in-cluster" : resolve(ctx.cwd, flags.kubeconfig),
          context: flags.context,
        },
        transport,
        bufferDir: resolve(ctx.cwd, flags.bufferDir),
        bufferMaxBytes: positive("--buffer-max-bytes", flags.bufferMaxBytes),
        withSecrets,
        metricsListen: flags.metricsListen,
        events,
        now: ctx.now,
        log,
      });
      if (sensor.metricsAddress) log(`metrics at http://${sensor.metricsAddress}/metrics`);
      if (sensor.eventsAddress)
        log(`events at ${events?.tls ? "https" : "http"}://${sensor.eventsAddress}/events/{source}`);
      const stop = () => {
        log("stopping");
        void sensor.stop();
      };
      process.once("SIGTERM", stop);
      process.once("SIGINT", stop);
      await sensor.done;
      const s = sensor.stats();
      log(`stopped: ${s.sent} deltas sent, ${s.buffered} buffered, ${s.dropped} dropped`);
      ctx.exitCode = EXIT.OK;
    });
}
