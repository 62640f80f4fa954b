/**
 * The risk queue (`/risk?team=T&namespace=N&cluster=C`): one ranked list of workloads across vulnerabilities,
 * exposure and privilege, as `GET /api/v1/risk` scores it, each with the reasons for its place. The filters are the
 * API's scope, kept in the query string; the rank counts from the first page.
 */
import { apiGet, query, type ResourceRef } from "../api";
import { Pager, ScopeFilters, SeverityCounts, scopeOf } from "../components/filters";
import { Empty, Loaded } from "../components/state";
import { WorkloadFindingsLink } from "../components/workload";
import { useLocation } from "../router";
import { useApi } from "../session";

/** One entry of the queue as the API answers it. */
export interface RiskEntry {
  cluster?: string;
  ref: ResourceRef;
  team?: string;
  score: number;
  exposed: boolean;
  replicas: number;
  vulnerabilities: Partial<Record<string, number>>;
  privilege: string[];
  reasons: string[];
}

const PAGE = 50;

export function RiskPage() {
  const { params } = useLocation();
  const after = params.get("after") ?? undefined;
  const url = `/api/v1/risk${query({ ...scopeOf(params), after, limit: PAGE })}`;
  const load = useApi(url, () => apiGet<{ items: RiskEntry[]; next?: string }>(url));
  const offset = after === undefined ? 0 : Number(after) || 0;
  return (
    <section>
      <h1>Risk</h1>
      <p className="muted">
        Workloads ranked by the vulnerabilities of their images, their critical and high posture findings
        (privilege), doubled when exposed outside the cluster. Fix from the top.
      </p>
      <section className="filters" aria-label="Filters">
        <ScopeFilters params={params} />
      </section>
      <Loaded load={load} what="the risk queue">
        {(page) =>
          page.items.length === 0 ? (
            <Empty>
              No workload in this scope carries a known vulnerability or a critical or high finding.
            </Empty>
          ) : (
            <>
              <table className="risk" aria-label="Risk queue">
                <thead>
                  <tr>
                    <th scope="col">Rank</th>
                    <th scope="col">Score</th>
                    <th scope="col">Workload</th>
                    <th scope="col">Team</th>
                    <th scope="col">Cluster</th>
                    <th scope="col">Why</th>
                    <th scope="col">Vulnerabilities</th>
                    <th scope="col">
                      <span className="visually-hidden">Links</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {page.items.map((r, i) => (
                    <tr
                      key={`${r.cluster ?? ""}/${r.ref.namespace ?? ""}/${r.ref.kind}/${r.ref.name}`}
                      data-workload={`${r.ref.namespace ?? ""}/${r.ref.name}`}
                      data-team={r.team ?? ""}
                    >
                      <td className="num">{offset + i + 1}</td>
                      <td className="num">{r.score}</td>
                      <th scope="row" className="mono">
                        {r.ref.namespace !== undefined && `${r.ref.namespace}/`}
                        {r.ref.kind}/{r.ref.name}
                        <div className="muted small">
                          {r.replicas} {r.replicas === 1 ? "replica" : "replicas"}
                          {r.exposed && " · exposed"}
                        </div>
                      </th>
                      <td>{r.team ?? ""}</td>
                      <td>{r.cluster ?? ""}</td>
                      <td>
                        <ul className="reasons">
                          {r.reasons.map((why) => (
                            <li key={why}>{why}</li>
                          ))}
                        </ul>
                      </td>
                      <td>
                        <SeverityCounts counts={r.vulnerabilities} />
                      </td>
                      <td>
                        <WorkloadFindingsLink cluster={r.cluster} workload={r.ref} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
              <Pager paged={after !== undefined} next={page.next} />
            </>
          )
        }
      </Loaded>
    </section>
  );
}
