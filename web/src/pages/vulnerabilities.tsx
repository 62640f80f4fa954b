import { apiGetAll, query } from "../api";
import { ClusterFilter, clusterOf } from "../components/cluster-filter";
import { Empty, Loaded, Partial, SeverityBadge } from "../components/state";
import { Link, useLocation } from "../router";
import { useApi } from "../session";

/** A vulnerability as listed; the API may add fields the list does not show. */
export interface VulnerabilityRow {
  id?: string;
  vulnerabilityId?: string;
  severity?: string;
  summary?: string;
  images?: number | unknown[];
  workloads?: number | unknown[];
  replicas?: number;
  teams?: number | string[];
  fixable?: boolean;
  fixedVersions?: string[];
}

const count = (v: number | unknown[] | undefined) => (Array.isArray(v) ? v.length : v);

/**
 * Vulnerabilities found in the images that run, most severe first as the API orders them; `?image=DIGEST` keeps
 * those one image carries (the images page links here).
 */
export function VulnerabilitiesPage() {
  const { params } = useLocation();
  const image = params.get("image") ?? undefined;
  const cluster = clusterOf(params);
  const load = useApi(`vulns:${image ?? ""}:${cluster ?? ""}`, () =>
    apiGetAll<VulnerabilityRow>("/api/v1/vulnerabilities", { image, cluster }),
  );
  return (
    <section>
      <h1>Vulnerabilities</h1>
      <section className="filters" aria-label="Filters">
        <ClusterFilter params={params} />
      </section>
      {image !== undefined && (
        <p data-testid="image-filter">
          Carried by the image <span className="mono">{image}</span> (its bases included).{" "}
          <Link href="/vulnerabilities">Show all</Link> · <Link href="/images">Images</Link>
        </p>
      )}
      <Loaded load={load} what="vulnerabilities">
        {({ items: rows, complete }) => {
          if (rows.length === 0) return <Empty>No vulnerability matches the images this server knows.</Empty>;
          return (
            <>
              {!complete && <Partial n={rows.length} />}
              <table aria-label="Vulnerabilities">
                <thead>
                  <tr>
                    <th>Severity</th>
                    <th>Vulnerability</th>
                    <th>Images</th>
                    <th>Workloads</th>
                    <th>Teams</th>
                  </tr>
                </thead>
                <tbody>
                  {rows.map((v) => {
                    const id = v.vulnerabilityId ?? v.id ?? "";
                    return (
                      <tr key={id}>
                        <td>{v.severity !== undefined && <SeverityBadge severity={v.severity} />}</td>
                        <td>
                          <Link href={`/vulnerabilities/${encodeURIComponent(id)}${query({ cluster })}`}>
                            {id}
                          </Link>
                          {v.summary !== undefined && <div className="muted small">{v.summary}</div>}
                        </td>
                        <td className="num">{count(v.images) ?? ""}</td>
                        <td className="num">{count(v.workloads) ?? ""}</td>
                        <td>{Array.isArray(v.teams) ? v.teams.join(", ") : (v.teams ?? "")}</td>
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
