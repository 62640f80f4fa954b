import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { PalisadeError } from "../../../core/errors/index.js";
import type { CliContext } from "../context.js";
import { dbLocation, storesDbOption, withStores } from "../db-location.js";
import { collect } from "../options.js";

/**
 * `palisade serve`: the HTTP API over one database. Every flag has a PALISADE_* variable; the flag wins.
 * SIGTERM and SIGINT stop it gracefully: the fleet batch in hand is settled, in-flight requests finish, then the
 * stores close.
 */
export function register(program: Command, ctx: CliContext): void {
  program
    .command("serve")
    .description("Serve the HTTP API (snapshot ingest, findings) and the web dashboard over one database")
    .option("--listen <host:port>", "address to listen on (default: $PALISADE_LISTEN, else 127.0.0.1:8080)")
    .addOption(storesDbOption(ctx))
    .option("--tls-cert <file>", "PEM certificate: serve HTTPS (default: $PALISADE_TLS_CERT)")
    .option("--tls-key <file>", "PEM private key of --tls-cert (default: $PALISADE_TLS_KEY)")
    .option(
      "--oidc-issuer <url>",
      "accept OIDC bearer tokens of this issuer (default: $PALISADE_OIDC_ISSUER)",
    )
    .option("--oidc-audience <aud>", "their required audience (default: $PALISADE_OIDC_AUDIENCE)")
    .option(
      "--oidc-jwks <file|url>",
      "the issuer's JWKS, a file or an https URL (default: $PALISADE_OIDC_JWKS)",
    )
    .option(
      "--oidc-roles <mapping>",
      "groups to roles, GROUP=ROLE[:TEAM],... e.g. sec=security,shop-devs=team-viewer:shop (default: $PALISADE_OIDC_ROLES)",
    )
    .option(
      "--oidc-groups-claim <claim>",
      'claim holding the groups (default: $PALISADE_OIDC_GROUPS_CLAIM, else "groups")',
    )
    .option(
      "--feed <source>",
      "threat feed for runtime events: file or http(s) URL of IPs/CIDRs/domains; CSV as SOURCE#column; read at start (repeatable; default: $PALISADE_FEEDS, comma-separated)",
      collect,
    )
    .option(
      "--feed-refresh <duration>",
      "poll the feeds again this often: a file when it changed, a URL by a conditional GET (default: $PALISADE_FEED_REFRESH, else 1h)",
    )
    .option(
      "--webhook <url>",
      "POST new runtime alerts as JSON here (repeatable; default: $PALISADE_ALERT_WEBHOOKS)",
      collect,
    )
    .option(
      "--slack-webhook <url>",
      "POST new runtime alerts to a Slack-compatible webhook (repeatable; default: $PALISADE_ALERT_SLACK_WEBHOOKS)",
      collect,
    )
    .option(
      "--alertmanager <url>",
      "POST new runtime alerts to Alertmanager's API at this base URL (repeatable; default: $PALISADE_ALERTMANAGERS)",
      collect,
    )
    .option(
      "--baseline-window <duration>",
      "learn per-workload runtime baselines for this long, then alert on drift (default: $PALISADE_BASELINE_WINDOW; off)",
    )
    .option(
      "--clock-skew <duration>",
      "attribute an event to an address holder within this much of its time (default: $PALISADE_CLOCK_SKEW, else 0)",
    )
    .option(
      "--nats <url>",
      "consume the fleet's deltas from NATS JetStream (sensors) into this database; comma-separated URLs; replicas given the same NATS share the work (default: $PALISADE_NATS)",
    )
    .option(
      "--nats-stream <name>",
      "with --nats: the JetStream stream (default: $PALISADE_NATS_STREAM, else PALISADE_DELTAS)",
    )
    .option(
      "--nats-subject-prefix <token>",
      "with --nats: first token of the stream's subjects, <token>.<cluster>.delta.<kind> (default: $PALISADE_NATS_SUBJECT_PREFIX, else palisade)",
    )
    .option(
      "--evaluate-interval <duration>",
      "after deltas commit (--nats, or posted by sensors), evaluate each changed cluster from its object state at most this often (default: $PALISADE_EVALUATE_INTERVAL, else 30s; 0: as soon as the previous evaluation ended)",
    )
    .option(
      "--demo",
      "serve the bundled demo (advisories, images, the 'before' snapshot as cluster demo) from a fresh throwaway database; prints log-in tokens",
    )
    .action(
      async (flags: {
        listen?: string;
        db?: string;
        tlsCert?: string;
        tlsKey?: string;
        demo?: boolean;
        nats?: string;
        natsStream?: string;
        natsSubjectPrefix?: string;
        evaluateInterval?: string;
        oidcIssuer?: string;
        oidcAudience?: string;
        oidcJwks?: string;
        oidcRoles?: string;
        oidcGroupsClaim?: string;
        feed?: string[];
        feedRefresh?: string;
        webhook?: string[];
        slackWebhook?: string[];
        alertmanager?: string[];
        baselineWindow?: string;
        clockSkew?: string;
      }) => {
        const { startServe } = await import("../../server/serve.js");
        const { findDashboard } = await import("../../server/dashboard.js");
        const env = ctx.env;
        if (flags.demo && flags.db !== undefined)
          throw new PalisadeError("USAGE", "--demo serves a fresh database of its own: drop --db");
        const demo = flags.demo ? (await import("../../server/demo.js")).bundledDemoDir() : undefined;
        const interval = flags.evaluateInterval ?? (env.PALISADE_EVALUATE_INTERVAL || undefined);
        const { parseDurationFlag } = await import("./events.js");
        const running = await startServe({
          demo,
          listen: flags.listen ?? (env.PALISADE_LISTEN || "127.0.0.1:8080"),
          db: dbLocation(flags.db, ctx),
          tlsCert: flags.tlsCert ?? (env.PALISADE_TLS_CERT || undefined),
          tlsKey: flags.tlsKey ?? (env.PALISADE_TLS_KEY || undefined),
          oidc: await oidcConfig(flags, env),
          adminToken: env.PALISADE_ADMIN_TOKEN || undefined,
          nats: flags.nats ?? (env.PALISADE_NATS || undefined),
          natsStream: {
            name: flags.natsStream ?? (env.PALISADE_NATS_STREAM || undefined),
            subjectPrefix: flags.natsSubjectPrefix ?? (env.PALISADE_NATS_SUBJECT_PREFIX || undefined),
          },
          evaluateIntervalMs:
            interval === undefined ? undefined : parseDurationFlag("--evaluate-interval", interval),
          now: ctx.now,
          dashboard: findDashboard(dirname(fileURLToPath(import.meta.url))),
          logger: { level: env.PALISADE_LOG_LEVEL || "info" },
          runtime: await runtimeConfig(flags, ctx),
        });
        for (const f of running.feeds) {
          ctx.stderr.write(
            `palisade: threat feed ${f.name}: ${f.addresses} address(es), ${f.domains} domain(s)\n`,
          );
          for (const p of f.problems) ctx.stderr.write(`palisade: threat feed ${f.name}: ${p}\n`);
        }
        if (running.demo !== undefined) {
          const d = running.demo;
          ctx.stderr.write(
            `palisade: demo loaded: ${d.advisories} advisories, ${d.images} images, cluster demo (${d.snapshot.objects} objects, ${d.snapshot.findings.total} findings)\n`,
          );
          for (const t of d.tokens)
            ctx.stderr.write(`palisade: demo token ${t.role}${t.team ? ` ${t.team}` : ""}: ${t.token}\n`);
          ctx.stderr.write(
            `palisade: roll out the fix: palisade push --server ${running.url} --cluster demo --snapshot ${d.next} --token <admin token>\n`,
          );
        }
        ctx.stderr.write(`palisade: serving on ${running.url}\n`);
        await new Promise<void>((done) => {
          const stop = () => {
            process.off("SIGTERM", stop);
            process.off("SIGINT", stop);
            running.close().then(done, done);
          };
          process.once("SIGTERM", stop);
          process.once("SIGINT", stop);
        });
        ctx.stderr.write("palisade: stopped\n");
      },
    );

  program
    .command("token")
    .description("API tokens of `palisade serve`")
    .command("create")
    .description("Create an API token and print it once (only its SHA-256 digest is stored)")
    .requiredOption("--role <role>", "admin, security, team-viewer or ingest")
    .option("--team <team>", "the team a team-viewer token reads")
    .addOption(storesDbOption(ctx))
    .action(async (flags: { role: string; team?: string; db?: string }) => {
      const { checkRole, issueToken } = await import("../../server/auth.js");
      const who = checkRole(flags.role, flags.team);
      await withStores(flags.db, ctx, { create: true }, async (stores) => {
        const now = ctx.now();
        const { token, record } = await issueToken(stores.tokens, who, now);
        await stores.audit.append({
          at: now,
          actor: "cli",
          action: "token.create",
          subject: record.id,
          details: { role: who.role, ...(who.team !== undefined ? { team: who.team } : {}) },
        });
        ctx.stderr.write(
          `palisade: created ${record.id} (${who.role}${who.team ? `, team ${who.team}` : ""}); shown once:\n`,
        );
        ctx.stdout.write(`${token}\n`);
      });
    });
}

/** Runtime events: flags, else PALISADE_* variables (lists comma-separated). */
async function runtimeConfig(
  flags: {
    feed?: string[];
    feedRefresh?: string;
    webhook?: string[];
    slackWebhook?: string[];
    alertmanager?: string[];
    baselineWindow?: string;
    clockSkew?: string;
  },
  ctx: CliContext,
): Promise<import("../../server/serve.js").ServeRuntimeConfig> {
  const env = ctx.env;
  const list = (flag: string[] | undefined, name: string) =>
    flag ??
    (env[name] || "")
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s !== "");
  const { parseDurationFlag } = await import("./events.js");
  const { resolve } = await import("node:path");
  const feeds = list(flags.feed, "PALISADE_FEEDS").map((f) =>
    /^https?:/i.test(f) ? f : resolve(ctx.cwd, f),
  );
  const refresh = flags.feedRefresh ?? (env.PALISADE_FEED_REFRESH || undefined);
  const window = flags.baselineWindow ?? (env.PALISADE_BASELINE_WINDOW || undefined);
  const skew = flags.clockSkew ?? (env.PALISADE_CLOCK_SKEW || undefined);
  return {
    feeds,
    feedRefreshMs: refresh === undefined ? undefined : parseDurationFlag("--feed-refresh", refresh),
    onFeedReport: (r) => {
      for (const f of r.results)
        if (f.outcome === "failed")
          ctx.stderr.write(
            `palisade: threat feed ${f.source}: refresh failed (${f.error}); keeping its last list\n`,
          );
    },
    webhooks: list(flags.webhook, "PALISADE_ALERT_WEBHOOKS"),
    slackWebhooks: list(flags.slackWebhook, "PALISADE_ALERT_SLACK_WEBHOOKS"),
    alertmanagers: list(flags.alertmanager, "PALISADE_ALERTMANAGERS"),
    baselineWindowMs: window === undefined ? undefined : parseDurationFlag("--baseline-window", window),
    skewMs: skew === undefined ? undefined : parseDurationFlag("--clock-skew", skew),
  };
}

/** The OIDC configuration from flags and PALISADE_OIDC_* (none when no issuer is given). */
async function oidcConfig(
  flags: {
    oidcIssuer?: string;
    oidcAudience?: string;
    oidcJwks?: string;
    oidcRoles?: string;
    oidcGroupsClaim?: string;
  },
  env: NodeJS.ProcessEnv,
): Promise<import("../../server/oidc.js").OidcConfig | undefined> {
  const issuer = flags.oidcIssuer ?? (env.PALISADE_OIDC_ISSUER || undefined);
  if (issuer === undefined) return undefined;
  const audience = flags.oidcAudience ?? (env.PALISADE_OIDC_AUDIENCE || undefined);
  const jwks = flags.oidcJwks ?? (env.PALISADE_OIDC_JWKS || undefined);
  const roles = flags.oidcRoles ?? (env.PALISADE_OIDC_ROLES || undefined);
  if (audience === undefined || jwks === undefined || roles === undefined)
    throw new PalisadeError(
      "USAGE",
      "OIDC needs --oidc-issuer, --oidc-audience, --oidc-jwks and --oidc-roles together",
    );
  const { parseGroupRoles } = await import("../../server/oidc.js");
  return {
    issuer,
    audience,
    jwks,
    roles: parseGroupRoles(roles),
    groupsClaim: flags.oidcGroupsClaim ?? (env.PALISADE_OIDC_GROUPS_CLAIM || undefined),
  };
}
