/**
 * Per team: open critical and high findings, findings new in the week before the newest observation, and the mean
 * time to resolve (MTTR) with its trend over the last four weeks. "This week" is counted back from the newest
 * snapshot the server holds, not from the browser's clock, so a replayed or paused cluster reads the same.
 */
import { apiGetAll, type StoredFinding } from "../api";
import { Empty, Loaded, SeverityBadge } from "../components/state";
import { duration, plural, when } from "../format";
import { Link } from "../router";
import { useApi } from "../session";

const WEEK = 7 * 86400_000;
const NO_TEAM = "(no team)";

export interface TeamSummary {
  team: string;
  open: number;
  critical: number;
  high: number;
  newThisWeek: number;
  resolved: number;
  /** Mean seconds from first seen to resolved, or undefined when nothing was resolved. */
  mttr?: number;
  /** MTTR of findings resolved in each of the last four weeks, oldest first. */
  trend: (number | undefined)[];
}

/** Summaries per team (sorted by open critical, then high, then name) and the instant counted back from. */
export function summarise(items: StoredFinding[]): { teams: TeamSummary[]; latest?: number } {
  let latest = Number.NEGATIVE_INFINITY;
  for (const f of items)
    latest = Math.max(latest, Date.parse(f.lastSeen), Date.parse(f.resolvedAt ?? f.lastSeen));
  const by = new Map<string, { s: TeamSummary; fix: number[]; weeks: number[][] }>();
  for (const f of items) {
    const team = f.finding.team ?? NO_TEAM;
    let t = by.get(team);
    if (t === undefined) {
      t = {
        s: { team, open: 0, critical: 0, high: 0, newThisWeek: 0, resolved: 0, trend: [] },
        fix: [],
        weeks: [[], [], [], []],
      };
      by.set(team, t);
    }
    if (f.finding.suppressed !== undefined) continue;
    if (f.resolvedAt === undefined) {
      t.s.open++;
      if (f.finding.severity === "critical") t.s.critical++;
      if (f.finding.severity === "high") t.s.high++;
      if (latest - Date.parse(f.firstSeen) < WEEK) t.s.newThisWeek++;
    } else {
      t.s.resolved++;
      const secs = (Date.parse(f.resolvedAt) - Date.parse(f.firstSeen)) / 1000;
      t.fix.push(secs);
      const ago = Math.floor((latest - Date.parse(f.resolvedAt)) / WEEK);
      if (ago >= 0 && ago < 4) t.weeks[3 - ago]?.push(secs);
    }
  }
  const mean = (xs: number[]) => (xs.length === 0 ? undefined : xs.reduce((a, b) => a + b, 0) / xs.length);
  const teams = [...by.values()].map(({ s, fix, weeks }) => {
    const m = mean(fix);
    return { ...s, ...(m !== undefined ? { mttr: m } : {}), trend: weeks.map(mean) };
  });
  teams.sort((a, b) => b.critical - a.critical || b.high - a.high || (a.team < b.team ? -1 : 1));
  return Number.isFinite(latest) ? { teams, latest } : { teams };
}

function Trend({ values }: { values: (number | undefined)[] }) {
  const max = Math.max(1, ...values.map((v) => v ?? 0));
  return (
    <span className="trend" title="MTTR of findings resolved in each of the last four weeks">
      {values.map((v, i) => (
        <span
          // biome-ignore lint/suspicious/noArrayIndexKey: four fixed weekly buckets
          key={i}
          className={v === undefined ? "bar none" : "bar"}
          style={{ height: `${v === undefined ? 2 : Math.max(3, (v / max) * 20)}px` }}
        />
      ))}
    </span>
  );
}

export function OverviewPage() {
  const load = useApi("overview", () => apiGetAll<StoredFinding>("/api/v1/findings", {}));
  return (
    <section>
      <h1>Overview</h1>
      <Loaded load={load} what="findings">
        {({ items, complete }) => {
          const { teams, latest } = summarise(items);
          if (teams.length === 0)
            return (
              <Empty>
                No findings yet. Push a snapshot (<code>palisade push</code> or{" "}
                <code>POST /api/v1/clusters/NAME/snapshots</code>) and they appear here.
              </Empty>
            );
          return (
            <>
              {!complete && (
                <div className="state warning" role="status">
                  Only the first {plural(items.length, "finding")} were read: the numbers below are partial.
                </div>
              )}
              <p className="muted">
                {plural(items.length, "finding")}; newest observation{" "}
                {when(new Date(latest ?? 0).toISOString())}.
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
                    const team = t.team === NO_TEAM ? undefined : t.team;
                    const link = (extra: Record<string, string>) =>
                      `/findings?${new URLSearchParams({ ...(team ? { team } : {}), open: "true", ...extra })}`;
                    return (
                      <tr key={t.team} data-team={t.team}>
                        <th scope="row">
                          <Link href={link({})}>{t.team}</Link>
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
                        <td className="num">{t.mttr === undefined ? "–" : duration(t.mttr)}</td>
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
