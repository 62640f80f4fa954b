import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { PalisadeError } from "../../../core/errors/index.js";
import type { CliContext } from "../context.js";
import { dbLocation, storesDbOption, withStores } from "../db-location.js";

/**
 * `palisade serve`: the HTTP API over one database. Every flag has a PALISADE_* variable; the flag wins.
 * SIGTERM and SIGINT stop it gracefully: in-flight requests finish, then the stores close.
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
        oidcIssuer?: string;
        oidcAudience?: string;
        oidcJwks?: string;
        oidcRoles?: string;
        oidcGroupsClaim?: string;
      }) => {
        const { startServe } = await import("../../server/serve.js");
        const { findDashboard } = await import("../../server/dashboard.js");
        const env = ctx.env;
        if (flags.demo && flags.db !== undefined)
          throw new PalisadeError("USAGE", "--demo serves a fresh database of its own: drop --db");
        const demo = flags.demo ? (await import("../../server/demo.js")).bundledDemoDir() : undefined;
        const running = await startServe({
          demo,
          listen: flags.listen ?? (env.PALISADE_LISTEN || "127.0.0.1:8080"),
          db: dbLocation(flags.db, ctx),
          tlsCert: flags.tlsCert ?? (env.PALISADE_TLS_CERT || undefined),
          tlsKey: flags.tlsKey ?? (env.PALISADE_TLS_KEY || undefined),
          oidc: await oidcConfig(flags, env),
          adminToken: env.PALISADE_ADMIN_TOKEN || undefined,
          now: ctx.now,
          dashboard: findDashboard(dirname(fileURLToPath(import.meta.url))),
          logger: { level: env.PALISADE_LOG_LEVEL || "info" },
        });
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
