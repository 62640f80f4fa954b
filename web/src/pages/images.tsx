/**
 * Images (`/images?cluster=C&namespace=N&team=T&q=TEXT`): the images the scope runs (every known image for an
 * unscoped reader) with their usage and vulnerability counts, from `GET /api/v1/images`, then the image tree from
 * `GET /api/v1/images/tree`. Each image links to the vulnerabilities it carries, and from there to each one's
 * impact page.
 */
import { apiGet, query } from "../api";
import { Pager, ScopeFilters, SeverityCounts, scopeOf, TextFilter } from "../components/filters";
import { Empty, Loaded } from "../components/state";
import { Link, useLocation } from "../router";
import { useApi } from "../session";
import { type Tree, TreeView } from "./vulnerability";

/** An image as the API lists it. */
export interface ImageRow {
  digest: string;
  refs: string[];
  platform?: string;
  node?: string;
  packages: number;
  firstSeen: string;
  lastSeen: string;
  workloads: number;
  replicas: number;
  vulnerabilities?: { total?: number; fixHere?: number; bySeverity?: Partial<Record<string, number>> };
}

const PAGE = 100;

/** The vulnerabilities page narrowed to what one image (digest or tree node) carries. */
export function imageVulnsHref(image: string): string {
  return `/vulnerabilities${query({ image })}`;
}

export function ImagesPage() {
  const { params } = useLocation();
  const after = params.get("after") ?? undefined;
  const scope = scopeOf(params);
  const url = `/api/v1/images${query({ ...scope, after, limit: PAGE })}`;
  const load = useApi(url, () => apiGet<{ items: ImageRow[]; next?: string }>(url));
  const treeUrl = `/api/v1/images/tree${query(scope)}`;
  const tree = useApi(treeUrl, () => apiGet<Tree>(treeUrl));
  const text = (params.get("q") ?? "").toLowerCase();
  return (
    <section>
      <h1>Images</h1>
      <section className="filters" aria-label="Filters">
        <ScopeFilters params={params} />
        <TextFilter name="q" label="Reference or digest" value={params.get("q") ?? ""} />
      </section>
      <Loaded load={load} what="images">
        {(page) => {
          const rows = page.items.filter(
            (i) =>
              text === "" ||
              i.digest.toLowerCase().includes(text) ||
              i.refs.some((r) => r.toLowerCase().includes(text)),
          );
          return (
            <>
              {rows.length === 0 ? (
                <Empty>No image matches these filters{page.next !== undefined ? " on this page" : ""}.</Empty>
              ) : (
                <table className="images" aria-label="Images">
                  <thead>
                    <tr>
                      <th scope="col">Image</th>
                      <th scope="col">Digest</th>
                      <th scope="col">Platform</th>
                      <th scope="col">Packages</th>
                      <th scope="col">Workloads</th>
                      <th scope="col">Replicas</th>
                      <th scope="col">Vulnerabilities</th>
                    </tr>
                  </thead>
                  <tbody>
                    {rows.map((i) => (
                      <tr key={i.digest} data-image={i.refs[0] ?? i.digest}>
                        <th scope="row" className="mono">
                          {i.refs.length > 0 ? i.refs.join(", ") : <span className="muted">no tag</span>}
                        </th>
                        <td className="mono small" title={i.digest}>
                          {i.digest.slice(0, 19)}…
                        </td>
                        <td>{i.platform ?? ""}</td>
                        <td className="num">{i.packages}</td>
                        <td className="num">{i.workloads}</td>
                        <td className="num">{i.replicas}</td>
                        <td>
                          <SeverityCounts counts={i.vulnerabilities?.bySeverity} />
                          {(i.vulnerabilities?.total ?? 0) > 0 && (
                            <>
                              {" "}
                              <Link
                                href={imageVulnsHref(i.digest)}
                                aria-label={`Vulnerabilities of ${i.refs[0] ?? i.digest}`}
                              >
                                list
                              </Link>
                            </>
                          )}
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
      <h2>Image tree</h2>
      <p className="muted">
        Each image under the base it was built from: a fix in a base reaches every image below it.
      </p>
      <Loaded load={tree} what="the image tree">
        {(t) => <TreeView tree={t} impact={undefined} href={(n) => imageVulnsHref(n.id)} />}
      </Loaded>
    </section>
  );
}
