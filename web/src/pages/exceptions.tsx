import { type FormEvent, useState } from "react";
import { ApiError, apiGetAll, apiPost } from "../api";
import { type AuditEntry, AuditLine } from "../components/audit-entry";
import { ClusterFilter, clusterOf } from "../components/cluster-filter";
import { auditEntryOf } from "../components/exception-form";
import { Empty, Loaded, Partial } from "../components/state";
import { when } from "../format";
import { useLocation } from "../router";
import { canWriteExceptions, useApi, useSession } from "../session";

/** As the API lists them: the exception (the exceptions file's entry), who made it, and whether it is in force. */
export interface StoredException {
  id: string;
  exception: Omit<ExceptionRow, "id">;
  clusters?: string[];
  createdBy?: string;
  createdAt?: string;
  revoked?: { at: string; by: string; reason?: string };
  active?: boolean;
}

export interface ExceptionRow {
  id: string;
  reason?: string;
  owner?: string;
  expires?: string;
  rules?: string[];
  namespaces?: string[];
  workloads?: string[];
  images?: string[];
  labels?: Record<string, string>;
  createdBy?: string;
  createdAt?: string;
  revoked?: { at: string; by: string; reason?: string };
  active?: boolean;
  matched?: number;
}

const DAY = 86400_000;

/** Days from today (UTC) to the end of `expires` (valid through that day, UTC); negative once past. */
export function daysLeft(expires: string, now: number): number {
  const end = Date.parse(`${expires}T00:00:00Z`) + DAY;
  return Math.ceil((end - now) / DAY) - 1;
}

function scope(e: ExceptionRow): string {
  const parts: string[] = [];
  if (e.rules?.length) parts.push(`rules ${e.rules.join(", ")}`);
  if (e.namespaces?.length) parts.push(`namespaces ${e.namespaces.join(", ")}`);
  if (e.workloads?.length) parts.push(`workloads ${e.workloads.join(", ")}`);
  if (e.images?.length) parts.push(`images ${e.images.join(", ")}`);
  if (e.labels && Object.keys(e.labels).length > 0)
    parts.push(
      `labels ${Object.entries(e.labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(", ")}`,
    );
  return parts.join("; ");
}

/**
 * Exceptions with their scope, owner, expiry and whether they are in force (an expired or revoked one suppresses
 * nothing and is shown so); a role that may write exceptions revokes one here, with a reason, and sees the audit
 * entry the server wrote.
 */
export function ExceptionsPage() {
  const [version, setVersion] = useState(0);
  const [revoked, setRevoked] = useState<{ id: string; audit?: AuditEntry | undefined } | undefined>();
  const { params } = useLocation();
  const cluster = clusterOf(params);
  const load = useApi(`exceptions:${version}:${cluster ?? ""}`, () =>
    apiGetAll<StoredException>("/api/v1/exceptions", { cluster }),
  );
  const { principal } = useSession();
  const mayRevoke = canWriteExceptions(principal);
  const now = Date.now();
  return (
    <section>
      <h1>Exceptions</h1>
      <p className="muted">
        Made from a finding's page (admin and security). An exception applies from the next snapshot of each
        cluster, and so does revoking it.
      </p>
      {revoked !== undefined && (
        <div className="state made" role="status" data-testid="exception-revoked">
          Exception <span className="mono">{revoked.id}</span> revoked: its findings are reported again from
          the next snapshot.
          {revoked.audit !== undefined && <AuditLine entry={revoked.audit} />}
        </div>
      )}
      <section className="filters" aria-label="Filters">
        <ClusterFilter params={params} />
      </section>
      <Loaded load={load} what="exceptions">
        {({ items, complete }) => {
          const rows: ExceptionRow[] = items.map((s) => ({
            ...s.exception,
            id: s.id,
            ...(s.createdBy !== undefined ? { createdBy: s.createdBy } : {}),
            ...(s.createdAt !== undefined ? { createdAt: s.createdAt } : {}),
            ...(s.revoked !== undefined ? { revoked: s.revoked } : {}),
            ...(s.active !== undefined ? { active: s.active } : {}),
          }));
          if (rows.length === 0) return <Empty>No exception: every finding counts.</Empty>;
          return (
            <>
              {!complete && <Partial n={rows.length} />}
              <table aria-label="Exceptions">
                <thead>
                  <tr>
                    <th scope="col">Exception</th>
                    <th scope="col">Scope</th>
                    <th scope="col">Reason</th>
                    <th scope="col">Owner</th>
                    <th scope="col">Made</th>
                    <th scope="col">Status</th>
                    <th scope="col">Expires</th>
                  </tr>
                </thead>
                <tbody>
                  {rows.map((e) => {
                    const left = e.expires !== undefined ? daysLeft(e.expires, now) : undefined;
                    const cls =
                      e.revoked !== undefined
                        ? "expired"
                        : left === undefined
                          ? ""
                          : left < 0
                            ? "expired"
                            : left <= 14
                              ? "expiring"
                              : "";
                    return (
                      <tr key={e.id} className={cls} data-exception={e.id}>
                        <th scope="row" className="mono">
                          {e.id}
                        </th>
                        <td className="small">{scope(e)}</td>
                        <td>{e.reason ?? ""}</td>
                        <td>{e.owner ?? ""}</td>
                        <td className="small">
                          {e.createdBy !== undefined && <span className="mono">{e.createdBy}</span>}
                          {e.createdAt !== undefined && <div>{when(e.createdAt)}</div>}
                        </td>
                        <td className="small" data-testid="status">
                          {e.revoked !== undefined ? (
                            <>
                              revoked by <span className="mono">{e.revoked.by}</span> at {when(e.revoked.at)}
                              {e.revoked.reason !== undefined && `: ${e.revoked.reason}`}
                            </>
                          ) : e.active === false ? (
                            "expired"
                          ) : (
                            <>
                              in force
                              {mayRevoke && (
                                <RevokeForm
                                  id={e.id}
                                  onRevoked={(audit) => {
                                    setRevoked({ id: e.id, audit });
                                    setVersion((v) => v + 1);
                                  }}
                                />
                              )}
                            </>
                          )}
                        </td>
                        <td>
                          {e.expires === undefined
                            ? "never"
                            : left !== undefined && left < 0
                              ? `expired ${e.expires}`
                              : `${e.expires} (${left} days left)`}
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </>
          );
        }}
      </Loaded>
    </section>
  );
}

/** Revoke one exception, with an optional reason; hands the audit entry the server wrote to `onRevoked`. */
function RevokeForm({ id, onRevoked }: { id: string; onRevoked: (audit: AuditEntry | undefined) => void }) {
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  if (!open)
    return (
      <div>
        <button type="button" onClick={() => setOpen(true)} aria-label={`Revoke ${id}`}>
          Revoke
        </button>
      </div>
    );
  const submit = async (ev: FormEvent) => {
    ev.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const r = await apiPost<{ id: string; revoked?: { at: string } }>(
        `/api/v1/exceptions/${encodeURIComponent(id)}/revoke`,
        reason.trim() === "" ? {} : { reason: reason.trim() },
      );
      const audit = await auditEntryOf(
        id,
        "exception.revoke",
        r.revoked?.at ?? new Date(0).toISOString(),
      ).catch(() => undefined);
      onRevoked(audit);
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err));
      setBusy(false);
    }
  };
  return (
    <form className="revoke" onSubmit={submit}>
      <label>
        Why revoke {id}?{" "}
        <input name="revoke-reason" value={reason} onChange={(e) => setReason(e.target.value)} />
      </label>{" "}
      <button type="submit" disabled={busy}>
        Confirm revoke
      </button>
      {error !== undefined && (
        <div className="state error" role="alert">
          {error}
        </div>
      )}
    </form>
  );
}
