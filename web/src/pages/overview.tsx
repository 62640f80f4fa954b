/**
 * Per team: open critical and high findings, findings new in the week before the newest observation, and the mean
 * time to resolve (MTTR) with its trend over the last four weeks, as the server counts them (GET /api/v1/overview:
 * one answer, however many findings). "This week" is counted back from the newest snapshot the server holds, not
 * from the browser's clock, so a replayed or paused cluster reads the same.
 */
import { apiGet, query } from "../api";
import { ClusterFilter, clusterOf } from "../components/cluster-filter";
import { Empty, Loaded, SeverityBadge } from "../components/state";
import { duration, plural, when } from "../format";
import { Link, useLocation } from "../router";
import { useApi } from "../session";

const NO_TEAM = "(no team)";

/** One team's row of GET /api/v1/overview. */
export interface TeamSummary {
  /** Absent: findings of no team. */
  team?: string;
  open: number;
  critical: number;
  high: number;
  newThisWeek: number;
  resolved: number;
  /** Mean seconds from first seen to resolved; absent when nothing was resolved. */
  mttrSeconds?: number;
  /** MTTR of findings resolved in each of the last four weeks, oldest first. */
  trend: (number | null)[];
}

export interface Overview {
  findings: number;
  latest?: string;
  teams: TeamSummary[];
}

function Trend({ values }: { values: (number | null)[] }) {
  const max = Math.max(1, ...values.map((v) => v ?? 0));
  return (
    <span className="trend" title="MTTR of findings resolved in each of the last four weeks">
      {values.map((v, i) => (
        <span
          // biome-ignore lint/suspicious/noArrayIndexKey: four fixed weekly buckets
          key={i}
          className={v === null ? "bar none" : "bar"}
          style={{ height: `${v === null ? 2 : Math.max(3, (v / max) * 20)}px` }}
        />
      ))}
    </span>
  );
}

export function OverviewPage() {
  const { params } = useLocation();
  const url = `/api/v1/overview${query({ cluster: clusterOf(params) })}`;
  const load = useApi(url, () => apiGet<Overview>(url));
  return (
    <section>
      <h1>Overview</h1>
      <section className="filters" aria-label="Filters">
        <ClusterFilter params={params} />
      </section>
      <Loaded load={load} what="findings">
        {({ findings, latest, teams }) => {
          if (teams.length === 0)
            return (
              <Empty>
                No findings yet. Push a snapshot (<code>palisade push</code> or{" "}
                <code>POST /api/v1/clusters/NAME/snapshots</code>) and they appear here.
              </Empty>
            );
          return (
            <>
              <p className="muted">
                {plural(findings, "finding")}; newest observation {when(latest ?? new Date(0).toISOString())}.
              </p>
              <table className="teams" aria-label="Teams">
                <thead>
                  <tr>
                    <th>Team</th>
                    <th>
                      Open <SeverityBadge severity="critical" />
                    </th>
                    <th>
                      Open <SeverityBadge severity="high" />
                    </th>
                    <th>Open, all</th>
                    <th>New this week</th>
                    <th>Resolved</th>
                    <th>MTTR</th>
                    <th>MTTR, 4 weeks</th>
                  </tr>
                </thead>
                <tbody>
                  {teams.map((t) => {
                    const team = t.team;
                    const link = (extra: Record<string, string>) =>
                      `/findings?${new URLSearchParams({ ...(team ? { team } : {}), open: "true", ...extra })}`;
                    return (
                      <tr key={team ?? NO_TEAM} data-team={team ?? NO_TEAM}>
                        <th scope="row">
                          <Link href={link({})}>{team ?? NO_TEAM}</Link>
                        </th>
                        <td className="num">
                          <Link href={link({ severity: "critical" })}>{t.critical}</Link>
                        </td>
                        <td className="num">
                          <Link href={link({ severity: "high" })}>{t.high}</Link>
                        </td>
                        <td className="num">{t.open}</td>
                        <td className="num">{t.newThisWeek}</td>
                        <td className="num">{t.resolved}</td>
                        <td className="num">{t.mttrSeconds === undefined ? "–" : duration(t.mttrSeconds)}</td>
                        <td>
                          <Trend values={t.trend} />
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
