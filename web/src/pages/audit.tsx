/**
 * The audit log (`/audit?q=TEXT`): every change the server recorded (exception created or revoked, token issued,
 * images and advisories added), who made it (a token id or OIDC subject, never a token) and when, from
 * `GET /api/v1/audit`. Admin and security only: the API refuses any other role, and the page says so.
 */
import { apiGet, query } from "../api";
import { AuditDetails, type AuditEntry } from "../components/audit-entry";
import { Pager, TextFilter } from "../components/filters";
import { Empty, Loaded } from "../components/state";
import { when } from "../format";
import { useLocation } from "../router";
import { useApi } from "../session";

const PAGE = 100;

export function AuditPage() {
  const { params } = useLocation();
  const after = params.get("after") ?? undefined;
  const url = `/api/v1/audit${query({ after, limit: PAGE })}`;
  const load = useApi(url, () => apiGet<{ items: AuditEntry[]; next?: string }>(url));
  const text = (params.get("q") ?? "").toLowerCase();
  return (
    <section>
      <h1>Audit log</h1>
      <p className="muted">Every change made through the server, oldest first: who, what and when.</p>
      <section className="filters" aria-label="Filters">
        <TextFilter name="q" label="Action, actor or subject" value={params.get("q") ?? ""} />
      </section>
      <Loaded load={load} what="the audit log">
        {(page) => {
          const rows = page.items.filter(
            (e) =>
              text === "" ||
              e.action.toLowerCase().includes(text) ||
              e.actor.toLowerCase().includes(text) ||
              (e.subject ?? "").toLowerCase().includes(text),
          );
          return (
            <>
              {rows.length === 0 ? (
                <Empty>No audit entry matches{page.next !== undefined ? " on this page" : ""}.</Empty>
              ) : (
                <table className="audit" aria-label="Audit log">
                  <thead>
                    <tr>
                      <th scope="col">When</th>
                      <th scope="col">Who</th>
                      <th scope="col">Action</th>
                      <th scope="col">Subject</th>
                      <th scope="col">Details</th>
                    </tr>
                  </thead>
                  <tbody>
                    {rows.map((e, i) => (
                      <tr key={e.seq ?? `${e.at}/${i}`} data-action={e.action} data-subject={e.subject ?? ""}>
                        <td>{when(e.at)}</td>
                        <td className="mono">{e.actor}</td>
                        <td className="mono">{e.action}</td>
                        <td className="mono">{e.subject ?? ""}</td>
                        <td>
                          <AuditDetails details={e.details} />
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
              <Pager paged={after !== undefined} next={page.next} />
            </>
          );
        }}
      </Loaded>
    </section>
  );
}
