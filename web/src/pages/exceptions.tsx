import { apiGetAll } from "../api";
import { Empty, Loaded, Partial } from "../components/state";
import { useApi } from "../session";

/** As the API lists them: the exception (the exceptions file's entry), who made it, and whether it is in force. */
export interface StoredException {
  id: string;
  exception: Omit<ExceptionRow, "id">;
  clusters?: string[];
  createdBy?: string;
  createdAt?: string;
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

/** Exceptions with their scope, owner and expiry; an expired one suppresses nothing and is shown so. */
export function ExceptionsPage() {
  const load = useApi("exceptions", () => apiGetAll<StoredException>("/api/v1/exceptions", {}));
  const now = Date.now();
  return (
    <section>
      <h1>Exceptions</h1>
      <Loaded load={load} what="exceptions">
        {({ items, complete }) => {
          const rows: ExceptionRow[] = items.map((s) => ({
            ...s.exception,
            id: s.id,
            ...(s.createdBy !== undefined ? { createdBy: s.createdBy } : {}),
            ...(s.createdAt !== undefined ? { createdAt: s.createdAt } : {}),
          }));
          if (rows.length === 0) return <Empty>No exception: every finding counts.</Empty>;
          return (
            <>
              {!complete && <Partial n={rows.length} />}
              <table aria-label="Exceptions">
                <thead>
                  <tr>
                    <th>Exception</th>
                    <th>Scope</th>
                    <th>Reason</th>
                    <th>Owner</th>
                    <th>Expires</th>
                  </tr>
                </thead>
                <tbody>
                  {rows.map((e) => {
                    const left = e.expires !== undefined ? daysLeft(e.expires, now) : undefined;
                    const cls = left === undefined ? "" : left < 0 ? "expired" : left <= 14 ? "expiring" : "";
                    return (
                      <tr key={e.id} className={cls} data-exception={e.id}>
                        <td className="mono">{e.id}</td>
                        <td className="small">{scope(e)}</td>
                        <td>{e.reason ?? ""}</td>
                        <td>{e.owner ?? ""}</td>
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
