/**
 * Make an exception from a finding: its rule, scoped to the finding's workload, its namespace or everywhere, in
 * its cluster or all, with a reason, an owner and an expiry (`POST /api/v1/exceptions`). The server checks the role
 * and writes the audit log; the entry it wrote is shown once the exception is made. It applies from each cluster's
 * next snapshot, which the page says.
 */
import { type FormEvent, useState } from "react";
import { ApiError, apiGet, apiPost, query, type StoredFinding } from "../api";
import { Link } from "../router";
import { type AuditEntry, AuditLine } from "./audit-entry";

type Scope = "workload" | "namespace" | "rule";

/** The exception body for a finding and the choices made. */
export function exceptionBody(
  f: StoredFinding,
  choice: { scope: Scope; thisCluster: boolean; reason: string; owner: string; expires: string },
): Record<string, unknown> {
  const wl = f.finding.workload ?? f.finding.resource;
  const ns = f.finding.resource.namespace;
  return {
    rules: [f.finding.ruleId],
    ...(choice.scope !== "rule" && ns !== undefined ? { namespaces: [ns] } : {}),
    ...(choice.scope === "workload" ? { workloads: [`${wl.kind}/${wl.name}`] } : {}),
    ...(choice.thisCluster ? { clusters: [f.cluster] } : {}),
    reason: choice.reason.trim(),
    ...(choice.owner.trim() !== "" ? { owner: choice.owner.trim() } : {}),
    expires: choice.expires,
  };
}

/** `YYYY-MM-DD`, `days` from `now` (UTC). */
function dayFrom(now: number, days: number): string {
  return new Date(now + days * 86400_000).toISOString().slice(0, 10);
}

/** The audit entry the server wrote for `action` on `subject`, at or after `since`. */
export async function auditEntryOf(
  subject: string,
  action: string,
  since: string,
): Promise<AuditEntry | undefined> {
  let after: string | undefined;
  for (let i = 0; i < 20; i++) {
    const page = await apiGet<{ items: AuditEntry[]; next?: string }>(
      `/api/v1/audit${query({ from: since, limit: 1000, after })}`,
    );
    const hit = page.items.find((e) => e.subject === subject && e.action === action);
    if (hit !== undefined || page.next === undefined) return hit;
    after = page.next;
  }
  return undefined;
}

interface Made {
  id: string;
  createdAt: string;
  audit?: AuditEntry | undefined;
  auditError?: string | undefined;
}

export function ExceptionForm({ stored }: { stored: StoredFinding }) {
  const f = stored.finding;
  const ns = f.resource.namespace;
  const wl = f.workload ?? f.resource;
  const now = Date.now();
  const [scope, setScope] = useState<Scope>(ns !== undefined ? "workload" : "rule");
  const [thisCluster, setThisCluster] = useState(true);
  const [reason, setReason] = useState("");
  const [owner, setOwner] = useState(f.team ?? "");
  const [expires, setExpires] = useState(dayFrom(now, 30));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const [made, setMade] = useState<Made | undefined>();

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (reason.trim() === "") return setError("Say why: a reason is required.");
    if (expires === "") return setError("Choose an expiry date.");
    setBusy(true);
    setError(undefined);
    try {
      const created = await apiPost<{ id: string; createdAt: string }>(
        "/api/v1/exceptions",
        exceptionBody(stored, { scope, thisCluster, reason, owner, expires }),
      );
      let audit: AuditEntry | undefined;
      let auditError: string | undefined;
      try {
        audit = await auditEntryOf(created.id, "exception.create", created.createdAt);
      } catch (err) {
        auditError = err instanceof ApiError ? err.message : String(err);
      }
      setMade({ id: created.id, createdAt: created.createdAt, audit, auditError });
    } catch (err) {
      setError(
        err instanceof ApiError && err.status === 403
          ? `Your token may not create exceptions: ${err.message}`
          : `The exception was not made: ${(err as Error).message}`,
      );
    } finally {
      setBusy(false);
    }
  };

  if (made !== undefined)
    return (
      <div className="state made" role="status" data-testid="exception-made">
        Exception <span className="mono">{made.id}</span> made: this finding is suppressed from the next
        snapshot of {thisCluster ? `cluster ${stored.cluster}` : "each cluster"}.{" "}
        <Link href="/exceptions">Exceptions</Link>
        {made.audit !== undefined ? (
          <AuditLine entry={made.audit} />
        ) : (
          <div className="muted">
            {made.auditError !== undefined
              ? `The audit log could not be read: ${made.auditError}`
              : "The audit entry was not found."}
          </div>
        )}
      </div>
    );

  return (
    <form className="exception-form" onSubmit={submit} aria-labelledby="exception-form-title">
      <h2 id="exception-form-title">Make an exception</h2>
      <fieldset>
        <legend>Scope: rule {f.ruleId}</legend>
        {ns !== undefined && (
          <label>
            <input
              type="radio"
              name="scope"
              value="workload"
              checked={scope === "workload"}
              onChange={() => setScope("workload")}
            />{" "}
            on {wl.kind}/{wl.name} in namespace {ns}
          </label>
        )}
        {ns !== undefined && (
          <label>
            <input
              type="radio"
              name="scope"
              value="namespace"
              checked={scope === "namespace"}
              onChange={() => setScope("namespace")}
            />{" "}
            anywhere in namespace {ns}
          </label>
        )}
        <label>
          <input
            type="radio"
            name="scope"
            value="rule"
            checked={scope === "rule"}
            onChange={() => setScope("rule")}
          />{" "}
          everywhere
        </label>
        <label>
          <input
            type="checkbox"
            name="this-cluster"
            checked={thisCluster}
            onChange={(e) => setThisCluster(e.target.checked)}
          />{" "}
          only in cluster {stored.cluster}
        </label>
      </fieldset>
      <label htmlFor="exception-reason">Reason</label>
      <textarea
        id="exception-reason"
        name="reason"
        required
        maxLength={2000}
        rows={3}
        value={reason}
        onChange={(e) => setReason(e.target.value)}
      />
      <label htmlFor="exception-owner">Owner</label>
      <input id="exception-owner" name="owner" value={owner} onChange={(e) => setOwner(e.target.value)} />
      <label htmlFor="exception-expires">Expires (end of the day, UTC)</label>
      <input
        id="exception-expires"
        name="expires"
        type="date"
        required
        min={dayFrom(now, 0)}
        value={expires}
        onChange={(e) => setExpires(e.target.value)}
      />
      {error !== undefined && (
        <div className="state error" role="alert">
          {error}
        </div>
      )}
      <button type="submit" disabled={busy}>
        {busy ? "Making the exception…" : "Make the exception"}
      </button>
    </form>
  );
}
