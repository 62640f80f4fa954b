/** Audit log entries as the dashboard shows them (the audit page, and after a change it made). */
import { when } from "../format";

/** One entry as the API answers it. */
export interface AuditEntry {
  seq?: number;
  at: string;
  actor: string;
  action: string;
  subject?: string;
  details?: Record<string, unknown>;
}

/** A detail value in words: lists joined, objects as `k=v`. */
function detailText(v: unknown): string {
  if (Array.isArray(v)) return v.map(detailText).join(", ");
  if (typeof v === "object" && v !== null)
    return Object.entries(v)
      .map(([k, x]) => `${k}=${detailText(x)}`)
      .join(", ");
  return String(v);
}

/** An entry's details as a definition list, keys in the order the server wrote them. */
export function AuditDetails({ details }: { details: Record<string, unknown> | undefined }) {
  const entries = Object.entries(details ?? {});
  if (entries.length === 0) return null;
  return (
    <dl className="details small">
      {entries.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{detailText(v)}</dd>
        </div>
      ))}
    </dl>
  );
}

/** An audit entry in one line, with its details. */
export function AuditLine({ entry }: { entry: AuditEntry }) {
  return (
    <div className="audit-entry" data-testid="audit-entry">
      Audit log: <span className="mono">{entry.action}</span> of <span className="mono">{entry.subject}</span>{" "}
      by <span className="mono">{entry.actor}</span> at {when(entry.at)}
      <AuditDetails details={entry.details} />
    </div>
  );
}
