/**
 * The cluster a list page shows, kept in `?cluster=` like every other filter (a filtered view is a URL to share),
 * chosen from the clusters the server holds a snapshot of (`GET /api/v1/clusters`, which lists to a team viewer only
 * the clusters its team runs something in). Changing it resets the page cursor.
 */
import { apiGetAll } from "../api";
import { setParams } from "../router";
import { useLoad } from "./state";

interface ClusterRow {
  cluster: string;
}

/** `?cluster=` of the page, as the API takes it (absent: every cluster). */
export function clusterOf(params: URLSearchParams): string | undefined {
  const v = params.get("cluster");
  return v === null || v === "" ? undefined : v;
}

/** A select of "All clusters" and each cluster; a cluster in the URL that the server does not list stays chosen. */
export function ClusterFilter({ params }: { params: URLSearchParams }) {
  const chosen = clusterOf(params);
  // No sign-out on 401 here: the page's own request does it, once (two would send the user back to the wrong page).
  const load = useLoad("clusters", () => apiGetAll<ClusterRow>("/api/v1/clusters", {}));
  const names = load.status === "ok" ? load.data.items.map((c) => c.cluster) : [];
  if (chosen !== undefined && !names.includes(chosen)) names.push(chosen);
  return (
    <label className="clusterfilter">
      Cluster{" "}
      <select
        name="cluster"
        value={chosen ?? ""}
        onChange={(e) => setParams({ cluster: e.target.value || undefined, after: undefined })}
      >
        <option value="">All clusters</option>
        {names.map((n) => (
          <option key={n} value={n}>
            {n}
          </option>
        ))}
      </select>
    </label>
  );
}
