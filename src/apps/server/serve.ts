/**
 * `palisade serve` without the command line: open the stores, seed the admin token, listen (HTTPS when a
 * certificate and key are given), and close gracefully (in-flight requests finish, then the stores close).
 */
import { unwatchFile, watchFile } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Registry } from "prom-client";
import type { AlertSink } from "../../adapters/alerts/index.js";
import { type ClusterStateStore, openClusterState } from "../../adapters/fleet/index.js";
import { openStores } from "../../adapters/store/index.js";
import { PalisadeError } from "../../core/errors/index.js";
import type { FeedRefresher, FeedRefreshReport } from "../../services/runtime/index.js";
import { issueToken, type Role, tokenDigest } from "./auth.js";
import { type DemoLoaded, loadDemo } from "./demo.js";
import {
  type RunningFleetConsumer,
  type RunningFleetEvaluation,
  type RunningFleetEventsConsumer,
  startFleetConsumer,
  startFleetEvaluation,
  startFleetEventsConsumer,
} from "./fleet.js";
import { type OidcConfig, type OidcVerifier, oidcVerifier } from "./oidc.js";
import { eventsIngester } from "./runtime-routes.js";
import { buildServer, type ServerLimits, type ServerOptions } from "./server.js";

export interface ServeConfig {
  /** HOST:PORT (port 0: any free port). */
  listen: string;
  /** SQLite file, `postgres://` URL or `memory:`. */
  db: string;
  tlsCert?: string | undefined;
  tlsKey?: string | undefined;
  /** Seeds an admin token with this value (kept hashed only). */
  adminToken?: string | undefined;
  limits?: Partial<ServerLimits> | undefined;
  now: () => Date;
  /** The built web dashboard to serve at `/` (`dist/web`); undefined: a page saying it is not built. */
  dashboard?: string | undefined;
  /** pino logger options, or false. */
  logger?: boolean | Record<string, unknown> | undefined;
  /** OIDC bearer tokens, besides Palisade's own. */
  oidc?: OidcConfig | undefined;
  /** How often the TLS files are checked for a change, milliseconds (default 5 s). */
  tlsReloadIntervalMs?: number | undefined;
  /** Called after the TLS certificate was reloaded (tests wait on it). */
  onTlsReload?: (() => void) | undefined;
  /**
   * NATS server URL(s) (comma-separated): consume the fleet's deltas from JetStream into the object state kept
   * with the stores (`db`). Every server started with the same NATS shares the work.
   */
  nats?: string | undefined;
  /** JetStream stream of the deltas (default PALISADE_DELTAS) and the first token of its subjects (default palisade). */
  natsStream?: { name?: string | undefined; subjectPrefix?: string | undefined } | undefined;
  /** Messages per fleet batch (one transaction each); default 256. */
  fleetBatch?: number | undefined;
  /**
   * Least time between two evaluations of one cluster from its fleet object state after deltas commit, ms
   * (default 30 s; 0: as soon as the previous one ended).
   */
  evaluateIntervalMs?: number | undefined;
  /**
   * Serve the demo in this directory (examples/demo) from a fresh database of its own, removed at close; `db` is
   * then ignored.
   */
  demo?: string | undefined;
  /** Runtime events: threat feeds, baselines and where new alerts go. */
  runtime?: ServeRuntimeConfig | undefined;
}

export interface ServeRuntimeConfig {
  /** Threat feeds: files or http(s) URLs, `SOURCE#column` for a CSV column; polled at start, then refreshed. */
  feeds?: readonly string[] | undefined;
  /** How often the feeds are polled again (a file when it changed, a URL by a conditional GET); default 1 h. */
  feedRefreshMs?: number | undefined;
  /** Each refresh's report after the first (failed feeds keep their last good list). */
  onFeedReport?: ((r: FeedRefreshReport) => void) | undefined;
  webhooks?: readonly string[] | undefined;
  slackWebhooks?: readonly string[] | undefined;
  alertmanagers?: readonly string[] | undefined;
  baselineWindowMs?: number | undefined;
  skewMs?: number | undefined;
}

/** What a feed held when the server started. */
export interface LoadedFeed {
  name: string;
  addresses: number;
  domains: number;
  /** Lines that are not an address, range or domain (named by line), and a stale copy's reason. */
  problems: string[];
}

/** Start the feed refresher and make the alert receivers of a runtime configuration. */
async function runtimeOptions(
  rt: ServeRuntimeConfig,
  now: () => Date,
): Promise<{
  options: NonNullable<ServerOptions["runtime"]>;
  feeds: LoadedFeed[];
  refresher?: FeedRefresher;
}> {
  const { pollFeed } = await import("../../adapters/feeds/index.js");
  const { FeedRefresher } = await import("../../services/runtime/index.js");
  const { createAlertSink } = await import("../../adapters/alerts/index.js");
  let sinks: AlertSink[];
  try {
    sinks = [
      ...(rt.webhooks ?? []).map((u) => createAlertSink("webhook", u)),
      ...(rt.slackWebhooks ?? []).map((u) => createAlertSink("slack", u)),
      ...(rt.alertmanagers ?? []).map((u) => createAlertSink("alertmanager", u)),
    ];
  } catch (e) {
    throw new PalisadeError("USAGE", `alert receiver: ${(e as Error).message}`, { cause: e });
  }
  const specs = (rt.feeds ?? []).map((spec) => {
    const hash = spec.lastIndexOf("#");
    return hash > 0 ? { source: spec.slice(0, hash), column: spec.slice(hash + 1) } : { source: spec };
  });
  const refresher =
    specs.length === 0
      ? undefined
      : new FeedRefresher(specs, {
          poll: (source, previous) => pollFeed(source, previous),
          now: () => now().getTime(),
          intervalMs: rt.feedRefreshMs ?? 3_600_000,
          ...(rt.onFeedReport ? { onReport: rt.onFeedReport } : {}),
        });
  const first = refresher ? await refresher.start() : { results: [] };
  const status = refresher?.status() ?? [];
  const feeds: LoadedFeed[] = first.results.map((r, i) => ({
    name: r.source,
    addresses: status[i]?.addresses ?? 0,
    domains: status[i]?.domains ?? 0,
    problems: [
      ...(r.error ? [`not loaded: ${r.error}`] : []),
      ...(r.lineErrors ?? []).map((e) => `${e.file}:${e.line}: ${e.message}`),
    ],
  }));
  return {
    options: {
      config: {
        ...(refresher ? { threats: refresher } : {}),
        ...(rt.baselineWindowMs === undefined ? {} : { baselineWindowMs: rt.baselineWindowMs }),
        ...(rt.skewMs ? { skewMs: rt.skewMs } : {}),
      },
      sinks,
    },
    feeds,
    ...(refresher ? { refresher } : {}),
  };
}

/** A token issued for the demo: shown once to whoever started it. */
export interface DemoToken {
  role: Role;
  team?: string | undefined;
  token: string;
}

export interface RunningServer {
  /** http(s)://host:port actually bound. */
  url: string;
  /** Stop accepting, finish in-flight requests, close the stores. Calling it again does nothing. */
  close(): Promise<void>;
  /** With `demo`: what was loaded and the tokens to log in with. */
  demo?: (DemoLoaded & { tokens: DemoToken[] }) | undefined;
  /** The threat feeds read at start. */
  feeds: LoadedFeed[];
  /** Evaluations of clusters from the fleet object state (tests wait on `settled`). */
  fleetEvaluation: RunningFleetEvaluation;
}

/** Parse `HOST:PORT` (`[::1]:8080` for IPv6). */
export function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(text);
  const port = Number(m?.[3]);
  const host = m?.[1] ?? m?.[2];
  if (m === null || host === undefined || !Number.isInteger(port) || port > 65535)
    throw new PalisadeError(
      "USAGE",
      `--listen ${JSON.stringify(text)}: expected HOST:PORT, e.g. 127.0.0.1:8080`,
    );
  return { host, port };
}

/** Start serving; resolves once listening. */
export async function startServe(config: ServeConfig): Promise<RunningServer> {
  const { host, port } = parseListen(config.listen);
  if ((config.tlsCert === undefined) !== (config.tlsKey === undefined))
    throw new PalisadeError("USAGE", "give both --tls-cert and --tls-key, or neither");
  const https =
    config.tlsCert !== undefined && config.tlsKey !== undefined
      ? { cert: await readFile(config.tlsCert), key: await readFile(config.tlsKey) }
      : undefined;
  const demoDir = config.demo !== undefined ? await mkdtemp(join(tmpdir(), "palisade-demo-")) : undefined;
  const removeDemo = async () => {
    if (demoDir !== undefined) await rm(demoDir, { recursive: true, force: true });
  };
  const stores = await openStores(demoDir !== undefined ? join(demoDir, "demo.db") : config.db).catch(
    async (e: unknown) => {
      await removeDemo();
      throw e;
    },
  );
  const tokens = stores.tokens;
  let demo: RunningServer["demo"];
  if (config.demo !== undefined) {
    try {
      const loaded = await loadDemo(stores, config.demo, config.now);
      const issued: DemoToken[] = [];
      for (const who of [
        { role: "admin" },
        { role: "security" },
        { role: "team-viewer", team: "team-a" },
        { role: "team-viewer", team: "team-b" },
      ] as const) {
        const { token, record } = await issueToken(tokens, who, config.now());
        await stores.audit.append({
          at: config.now(),
          actor: "palisade",
          action: "token.create",
          subject: record.id,
          details: { role: who.role, ...("team" in who ? { team: who.team } : {}), source: "demo" },
        });
        issued.push({ ...who, token });
      }
      demo = { ...loaded, tokens: issued };
    } catch (e) {
      await stores.close();
      await removeDemo();
      throw e;
    }
  }
  if (config.adminToken !== undefined) {
    if (config.adminToken.length < 16) {
      await stores.close();
      await removeDemo();
      throw new PalisadeError("USAGE", "PALISADE_ADMIN_TOKEN must be at least 16 characters");
    }
    // Seeded once: a restart with the same value finds it stored.
    const digest = tokenDigest(config.adminToken);
    if (!(await tokens.list()).some((t) => t.digest === digest)) {
      const { record } = await issueToken(tokens, { role: "admin" }, config.now(), config.adminToken);
      await stores.audit.append({
        at: config.now(),
        actor: "palisade",
        action: "token.seed",
        subject: record.id,
        details: { role: "admin", source: "PALISADE_ADMIN_TOKEN" },
      });
    }
  }
  let oidc: OidcVerifier | undefined;
  let runtime: Awaited<ReturnType<typeof runtimeOptions>> | undefined;
  try {
    oidc = config.oidc === undefined ? undefined : await oidcVerifier(config.oidc, config.now);
    runtime = config.runtime === undefined ? undefined : await runtimeOptions(config.runtime, config.now);
  } catch (e) {
    await stores.close();
    await removeDemo();
    throw e;
  }
  // The fleet object state: sensors' deltas land here, from JetStream (--nats) or posted to the server.
  let fleetState: ClusterStateStore;
  try {
    fleetState = await openClusterState(demoDir !== undefined ? join(demoDir, "demo.db") : config.db);
  } catch (e) {
    runtime?.refresher?.stop();
    await stores.close();
    await removeDemo();
    throw e;
  }
  const metrics = new Registry();
  // Findings follow the deltas: a cluster whose state a commit changed is evaluated from it (at most once per
  // interval), as a snapshot of it posted would be.
  let fleetEvaluation: RunningFleetEvaluation;
  // The server's logger exists once the server is built; an evaluation cannot fail before (none has run).
  let evaluationFailed = (_cluster: string, _e: PalisadeError): void => {};
  try {
    fleetEvaluation = await startFleetEvaluation(
      {
        state: fleetState,
        stores,
        now: config.now,
        intervalMs: config.evaluateIntervalMs,
        onError: (cluster, e) => evaluationFailed(cluster, e),
      },
      metrics,
    );
  } catch (e) {
    runtime?.refresher?.stop();
    await fleetState.close();
    await stores.close();
    await removeDemo();
    throw e;
  }
  const app = buildServer({
    fleetState,
    fleetEvaluation,
    metrics,
    stores,
    now: config.now,
    auth: { tokens, oidc },
    limits: config.limits,
    logger: config.logger,
    https,
    dashboard: { root: config.dashboard },
    runtime: runtime?.options,
  });
  evaluationFailed = (cluster, e) =>
    app.log.warn(
      { cluster, code: e.code, err: e.message },
      "fleet: evaluation of the cluster's state failed; tried again after the interval",
    );
  // The fleet consumer starts before the server answers, so /metrics has its gauges from the first scrape.
  let fleet: RunningFleetConsumer | undefined;
  if (config.nats !== undefined) {
    try {
      fleet = await startFleetConsumer(
        {
          nats: config.nats,
          state: fleetState,
          stream: config.natsStream,
          db: demoDir !== undefined ? join(demoDir, "demo.db") : config.db,
          batch: config.fleetBatch,
          onCommitted: (clusters) => fleetEvaluation.changed(clusters),
          onError: (e) =>
            app.log.warn({ code: e.code, err: e.message }, "fleet: batch not applied; its deltas come again"),
        },
        metrics,
      );
    } catch (e) {
      runtime?.refresher?.stop();
      await fleetEvaluation.close();
      await app.close();
      await fleetState.close();
      await stores.close();
      await removeDemo();
      throw e;
    }
  }
  // Runtime events sensors forward go through the events route's own code (counted, alerts stored and routed).
  let fleetEvents: RunningFleetEventsConsumer | undefined;
  const ingest = eventsIngester(app);
  if (config.nats !== undefined && ingest !== undefined) {
    try {
      fleetEvents = await startFleetEventsConsumer(
        {
          nats: config.nats,
          ingest: async (e) => {
            await ingest(e.cluster, e.source, `forwarded ${e.id}`, e.body);
          },
          onError: (e) =>
            app.log.warn({ code: e.code, err: e.message }, "fleet: events not ingested; they come again"),
          onRejected: (m) => app.log.warn({ err: m }, "fleet: a message on the events stream was refused"),
        },
        metrics,
      );
    } catch (e) {
      await fleet?.close();
      await fleetEvaluation.close();
      runtime?.refresher?.stop();
      await app.close();
      await fleetState.close();
      await stores.close();
      await removeDemo();
      throw e;
    }
  }
  // The consumers first (their batches settled), then the evaluation in hand, before the stores close.
  const closeFleet = async () => {
    await fleetEvents?.close();
    await fleet?.close();
    await fleetEvaluation.close();
  };
  try {
    await app.listen({ host, port });
  } catch (e) {
    runtime?.refresher?.stop();
    await closeFleet();
    await app.close();
    await fleetState.close();
    await stores.close();
    await removeDemo();
    throw new PalisadeError("IO", `cannot listen on ${config.listen}: ${(e as Error).message}`, { cause: e });
  }
  // The certificate and key are read again when either file changes (a renewed certificate is served without a
  // restart); a pair that does not load is logged and the one in use is kept.
  const watched: string[] = [];
  if (https !== undefined && config.tlsCert !== undefined && config.tlsKey !== undefined) {
    const cert = config.tlsCert;
    const key = config.tlsKey;
    const server = app.server as unknown as { setSecureContext(o: { cert: Buffer; key: Buffer }): void };
    const reload = () => {
      void (async () => {
        try {
          server.setSecureContext({ cert: await readFile(cert), key: await readFile(key) });
          app.log.info({ cert }, "TLS certificate reloaded");
          config.onTlsReload?.();
        } catch (e) {
          app.log.error({ err: e, cert }, "TLS certificate not reloaded: keeping the one in use");
        }
      })();
    };
    for (const f of [cert, key]) {
      watchFile(f, { interval: config.tlsReloadIntervalMs ?? 5_000, persistent: false }, (cur, prev) => {
        if (cur.mtimeMs !== prev.mtimeMs || cur.ino !== prev.ino || cur.size !== prev.size) reload();
      });
      watched.push(f);
    }
  }
  const addr = app.server.address();
  const bound = typeof addr === "object" && addr !== null ? addr.port : port;
  const shownHost = host.includes(":") ? `[${host}]` : host;
  let closing: Promise<void> | undefined;
  return {
    url: `${https ? "https" : "http"}://${shownHost}:${bound}`,
    demo,
    feeds: runtime?.feeds ?? [],
    fleetEvaluation,
    close() {
      closing ??= (async () => {
        for (const f of watched) unwatchFile(f);
        runtime?.refresher?.stop();
        try {
          // The fleet batch in hand is applied and acknowledged (or handed back) before anything closes.
          await closeFleet();
          await app.close();
        } finally {
          await fleetState.close();
          await stores.close();
          await removeDemo();
        }
      })();
      return closing;
    },
  };
}
