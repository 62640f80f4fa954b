/**
 * The PostgreSQL backend (`pg`): every store of a bundle shares one connection pool and one schema, so a fleet of
 * scanners, the central service and the CLI share one database.
 */

import type { OpenStoresOptions, Stores } from "../ports.js";
import { PgAlertStore } from "./alerts.js";
import { PgBaselineStore } from "./baselines.js";
import { openPgConnection } from "./connection.js";
import { PgAdmissionDecisionStore } from "./decisions.js";
import { PgKnownImageStore, PgRemediationStore } from "./lineage.js";
import { PgAuditStore, PgExceptionStore, PgFindingStore, PgSnapshotStore, PgTokenStore } from "./platform.js";
import { PgVulnStore } from "./vulns.js";

export type { PgConnectionOptions } from "./connection.js";
export {
  DEFAULT_PG_SCHEMA,
  isPostgresUrl,
  openPgConnection,
  PgConnection,
  redactDbUrl,
} from "./connection.js";
export { migratePg, PG_MIGRATIONS, PG_SCHEMA_VERSION } from "./migrations.js";
export { fromPgText, pgText } from "./text.js";
export type { PgVulnStoreOptions } from "./vulns.js";
export { PgAuditStore, PgFindingStore, PgKnownImageStore, PgRemediationStore, PgSnapshotStore, PgVulnStore };

/** Every store on one PostgreSQL schema (created and migrated when needed). */
export async function openPgStores(url: string, opts: OpenStoresOptions = {}): Promise<Stores> {
  const conn = await openPgConnection(url, opts);
  const vulns = new PgVulnStore(conn);
  const snapshots = new PgSnapshotStore(conn);
  let closed = false;
  return {
    location: conn.redactedUrl,
    vulns,
    images: new PgKnownImageStore(conn),
    remediation: new PgRemediationStore(conn),
    snapshots,
    findings: new PgFindingStore(conn),
    audit: new PgAuditStore(conn),
    tokens: new PgTokenStore(conn),
    exceptions: new PgExceptionStore(conn),
    baselines: new PgBaselineStore(conn),
    alerts: new PgAlertStore(conn),
    admissionDecisions: new PgAdmissionDecisionStore(conn),
    revision: () => conn.revision(),
    revisionAndClusters: () => snapshots.revisionAndClusters(),
    async close() {
      if (closed) return;
      closed = true;
      await vulns.close();
      await conn.end();
    },
  };
}
