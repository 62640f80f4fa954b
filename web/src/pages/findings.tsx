/**
 * Findings with filters in the query string (`/findings?severity=critical,high&team=payments&open=true`), so a
 * filtered view is a link to share. Filters the API takes are passed to it; the text filter applies to the page
 * shown.
 */
import { apiGet, query, type StoredFinding } from "../api";
import { ClusterFilter } from "../components/cluster-filter";
import { Pager, SeverityFilter, severitiesOf, TextFilter } from "../components/filters";
import { Empty, Loaded, SeverityBadge } from "../components/state";
import { refText, when } from "../format";
import { Link, setParams, useLocation } from "../router";
import { useApi } from "../session";

const PAGE = 100;

export function FindingsPage() {
  const { params } = useLocation();
  const severity = severitiesOf(params);
  const api = {
    severity: severity.join(",") || undefined,
    team: params.get("team") ?? undefined,
    namespace: params.get("namespace") ?? undefined,
    cluster: params.get("cluster") ?? undefined,
    open: params.get("open") === "false" ? undefined : true,
    after: params.get("after") ?? undefined,
    limit: PAGE,
  };
  const text = (params.get("q") ?? "").toLowerCase();
  const url = `/api/v1/findings${query(api)}`;
  const load = useApi(url, () => apiGet<{ items: StoredFinding[]; next?: string }>(url));

  return (
    <section>
      <h1>Findings</h1>
      <section className="filters" aria-label="Filters">
        <SeverityFilter chosen={severity} />
        <TextFilter name="team" label="Team" value={params.get("team") ?? ""} />
        <TextFilter name="namespace" label="Namespace" value={params.get("namespace") ?? ""} />
        <ClusterFilter params={params} />
        <TextFilter name="q" label="Rule, resource or text" value={params.get("q") ?? ""} />
        <label>
          <input
            type="checkbox"
            name="include-resolved"
            checked={params.get("open") === "false"}
            onChange={(e) => setParams({ open: e.target.checked ? "false" : undefined, after: undefined })}
          />{" "}
          include resolved
        </label>
      </section>
      <Loaded load={load} what="findings">
        {(page) => {
          const items = page.items.filter(
            (f) =>
              text === "" ||
              f.finding.ruleId.toLowerCase().includes(text) ||
              f.finding.message.toLowerCase().includes(text) ||
              refText(f.finding.resource).toLowerCase().includes(text) ||
              refText(f.finding.workload).toLowerCase().includes(text),
          );
          return (
            <>
              {items.length === 0 ? (
                <Empty>
                  No finding matches these filters{page.next !== undefined ? " on this page" : ""}.
                </Empty>
              ) : (
                <table className="findings" aria-label="Findings">
                  <thead>
                    <tr>
                      <th>Severity</th>
                      <th>Rule</th>
                      <th>Resource</th>
                      <th>Team</th>
                      <th>Cluster</th>
                      <th>First seen</th>
                      <th>Status</th>
                    </tr>
                  </thead>
                  <tbody>
                    {items.map((f) => (
                      <tr key={`${f.cluster}/${f.finding.id}`} data-severity={f.finding.severity}>
                        <td>
                          <SeverityBadge severity={f.finding.severity} />
                        </td>
                        <td>
                          <Link
                            href={`/findings/${encodeURIComponent(f.finding.id)}?${new URLSearchParams({ cluster: f.cluster })}`}
                          >
                            {f.finding.ruleId}
                          </Link>
                          <div className="muted small">{f.finding.message}</div>
                        </td>
                        <td className="mono">{refText(f.finding.resource)}</td>
                        <td>{f.finding.team ?? ""}</td>
                        <td>{f.cluster}</td>
                        <td>{when(f.firstSeen)}</td>
                        <td>
                          {f.resolvedAt !== undefined
                            ? `resolved ${when(f.resolvedAt)}`
                            : f.finding.suppressed !== undefined
                              ? "suppressed"
                              : "open"}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
              <Pager paged={api.after !== undefined} next={page.next} />
            </>
          );
        }}
      </Loaded>
    </section>
  );
}
