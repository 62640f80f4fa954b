/**
 * Workloads (`/workloads?cluster=C&namespace=N&team=T&q=TEXT`): what runs, with its replicas, exposure, images and
 * the vulnerabilities of those images, as `GET /api/v1/workloads` answers for the caller's scope. Each workload
 * links to its findings and each image to the images page, which links on to the vulnerabilities.
 */
import { apiGet, query, type ResourceRef } from "../api";
import { Pager, ScopeFilters, SeverityCounts, scopeOf, TextFilter } from "../components/filters";
import { Empty, Loaded } from "../components/state";
import { imageHref, WorkloadFindingsLink } from "../components/workload";
import { Link, useLocation } from "../router";
import { useApi } from "../session";

/** A workload as the API lists it. */
export interface WorkloadRow {
  cluster?: string;
  ref: ResourceRef;
  team?: string;
  replicas: number;
  exposed: boolean;
  images: string[];
  vulnerabilities: Partial<Record<string, number>>;
}

const PAGE = 100;

export function WorkloadsPage() {
  const { params } = useLocation();
  const after = params.get("after") ?? undefined;
  const url = `/api/v1/workloads${query({ ...scopeOf(params), after, limit: PAGE })}`;
  const load = useApi(url, () => apiGet<{ items: WorkloadRow[]; next?: string }>(url));
  const text = (params.get("q") ?? "").toLowerCase();
  return (
    <section>
      <h1>Workloads</h1>
      <section className="filters" aria-label="Filters">
        <ScopeFilters params={params} />
        <TextFilter name="q" label="Name or image" value={params.get("q") ?? ""} />
      </section>
      <Loaded load={load} what="workloads">
        {(page) => {
          const rows = page.items.filter(
            (w) =>
              text === "" ||
              `${w.ref.kind}/${w.ref.name}`.toLowerCase().includes(text) ||
              w.images.some((i) => i.toLowerCase().includes(text)),
          );
          return (
            <>
              {rows.length === 0 ? (
                <Empty>
                  No workload matches these filters{page.next !== undefined ? " on this page" : ""}.
                </Empty>
              ) : (
                <table className="workloads" aria-label="Workloads">
                  <thead>
                    <tr>
                      <th scope="col">Workload</th>
                      <th scope="col">Team</th>
                      <th scope="col">Cluster</th>
                      <th scope="col">Replicas</th>
                      <th scope="col">Exposed</th>
                      <th scope="col">Images</th>
                      <th scope="col">Vulnerabilities</th>
                      <th scope="col">
                        <span className="visually-hidden">Links</span>
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {rows.map((w) => (
                      <tr
                        key={`${w.cluster ?? ""}/${w.ref.namespace ?? ""}/${w.ref.kind}/${w.ref.name}`}
                        data-workload={`${w.ref.namespace ?? ""}/${w.ref.name}`}
                        data-team={w.team ?? ""}
                      >
                        <th scope="row" className="mono">
                          {w.ref.namespace !== undefined && `${w.ref.namespace}/`}
                          {w.ref.kind}/{w.ref.name}
                        </th>
                        <td>{w.team ?? ""}</td>
                        <td>{w.cluster ?? ""}</td>
                        <td className="num">{w.replicas}</td>
                        <td>{w.exposed ? "yes" : "no"}</td>
                        <td>
                          <ul className="plain">
                            {w.images.map((i) => (
                              <li key={i}>
                                <Link href={imageHref(i)} className="mono">
                                  {i}
                                </Link>
                              </li>
                            ))}
                          </ul>
                        </td>
                        <td>
                          <SeverityCounts counts={w.vulnerabilities} />
                        </td>
                        <td>
                          <WorkloadFindingsLink cluster={w.cluster} workload={w.ref} />
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
