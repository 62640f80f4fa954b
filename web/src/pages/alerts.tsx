/**
 * Runtime alerts the server keeps (`/alerts?severity=critical,high&cluster=prod`): one row per cluster, rule and
 * subject with how often and when it was seen; filters live in the query string like the findings page's.
 */
import { apiGet, query, type Severity } from "../api";
import { ClusterFilter } from "../components/cluster-filter";
import { SeverityFilter, severitiesOf } from "../components/filters";
import { Empty, Loaded, SeverityBadge } from "../components/state";
import { when } from "../format";
import { Link, useLocation } from "../router";
import { useApi } from "../session";

/** A stored alert as `GET /api/v1/alerts` answers it (fields the page does not show left out). */
export interface StoredAlert {
  cluster: string;
  ruleId: string;
  key: string;
  severity: Severity;
  firstSeen: string;
  lastSeen: string;
  count: number;
  alert: {
    title: string;
    evidence: string;
    category?: string;
    workload?: { kind: string; namespace: string; name: string };
    team?: string;
    user?: string;
    resource?: { resource: string; namespace?: string; name?: string };
    vulns?: string[];
  };
}

const PAGE = 100;

/** Who or what an alert is about: its workload, else the audited object and user. */
function subject(a: StoredAlert["alert"]): string {
  if (a.workload) return `${a.workload.kind} ${a.workload.namespace}/${a.workload.name}`;
  const r = a.resource;
  const obj = r ? `${r.resource} ${r.namespace ? `${r.namespace}/` : ""}${r.name ?? ""}`.trim() : "";
  return [obj, a.user ? `by ${a.user}` : ""].filter((s) => s !== "").join(" ");
}

export function AlertsPage() {
  const { params } = useLocation();
  const severity = severitiesOf(params);
  const api = {
    severity: severity.join(",") || undefined,
    cluster: params.get("cluster") ?? undefined,
    namespace: params.get("namespace") ?? undefined,
    team: params.get("team") ?? undefined,
    rule: params.get("rule") ?? undefined,
    after: params.get("after") ?? undefined,
    limit: PAGE,
  };
  const url = `/api/v1/alerts${query(api)}`;
  const load = useApi(url, () => apiGet<{ items: StoredAlert[]; next?: string }>(url));
  return (
    <section>
      <h1>Runtime alerts</h1>
      <section className="filters" aria-label="Filters">
        <SeverityFilter chosen={severity} />
        <ClusterFilter params={params} />
      </section>
      <Loaded load={load} what="alerts">
        {(page) =>
          page.items.length === 0 ? (
            <Empty>No runtime alert matches these filters.</Empty>
          ) : (
            <>
              <table className="alerts" aria-label="Alerts">
                <thead>
                  <tr>
                    <th>Severity</th>
                    <th>Rule</th>
                    <th>About</th>
                    <th>Team</th>
                    <th>Cluster</th>
                    <th>Seen</th>
                    <th>Evidence</th>
                  </tr>
                </thead>
                <tbody>
                  {page.items.map((a) => (
                    <tr
                      key={`${a.cluster}/${a.ruleId}/${a.key}`}
                      data-severity={a.severity}
                      data-rule={a.ruleId}
                    >
                      <td>
                        <SeverityBadge severity={a.severity} />
                      </td>
                      <td>
                        <span className="mono">{a.ruleId}</span>
                        <div className="small">{a.alert.title}</div>
                      </td>
                      <td>{subject(a.alert)}</td>
                      <td>{a.alert.team ?? ""}</td>
                      <td>{a.cluster}</td>
                      <td className="small">
                        {a.count}× · first {when(a.firstSeen)} · last {when(a.lastSeen)}
                      </td>
                      <td className="small">{a.alert.evidence}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
              {page.next !== undefined && (
                <p>
                  <Link href={`/alerts${query({ ...Object.fromEntries(params), after: page.next })}`}>
                    Next page
                  </Link>
                </p>
              )}
            </>
          )
        }
      </Loaded>
    </section>
  );
}
