import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
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
    .action(async (flags: { listen?: string; db?: string; tlsCert?: string; tlsKey?: string }) => {
      const { startServe } = await import("../../server/serve.js");
      const { findDashboard } = await import("../../server/dashboard.js");
      const env = ctx.env;
      const running = await startServe({
        listen: flags.listen ?? (env.PALISADE_LISTEN || "127.0.0.1:8080"),
        db: dbLocation(flags.db, ctx),
        tlsCert: flags.tlsCert ?? (env.PALISADE_TLS_CERT || undefined),
        tlsKey: flags.tlsKey ?? (env.PALISADE_TLS_KEY || undefined),
        adminToken: env.PALISADE_ADMIN_TOKEN || undefined,
        now: ctx.now,
        dashboard: findDashboard(dirname(fileURLToPath(import.meta.url))),
        logger: { level: env.PALISADE_LOG_LEVEL || "info" },
      });
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
    });

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
