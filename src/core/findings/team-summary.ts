/**
 * Per-team summary of stored findings, for the dashboard's overview: open critical and high, open in all, new in
 * the week before the newest observation, resolved, mean time to resolve (MTTR) and its trend over the last four
 * weeks. "This week" counts back from the newest time the findings carry (last seen or resolved), never from a
 * clock, so a replayed or paused cluster reads the same.
 */
import { cmp, type Severity } from "./index.js";

/** What the summary reads of one stored finding (ISO times). */
export interface FindingStat {
  team?: string | undefined;
  severity: Severity;
  firstSeen: string;
  lastSeen: string;
  resolvedAt?: string | undefined;
}

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
  /** MTTR of findings resolved in each of the last four weeks, oldest first; null for a week with none. */
  trend: (number | null)[];
}

export interface FindingsOverview {
  findings: number;
  /** The instant "this week" counts back from; absent without findings. */
  latest?: string;
  /** Sorted by open critical, then open high (most first), then team name (no team last). */
  teams: TeamSummary[];
}

const WEEK_MS = 7 * 86_400_000;

export function summariseTeams(stats: Iterable<FindingStat>): FindingsOverview {
  const rows = [...stats];
  let latest = Number.NEGATIVE_INFINITY;
  for (const f of rows)
    latest = Math.max(latest, Date.parse(f.lastSeen), Date.parse(f.resolvedAt ?? f.lastSeen));
  const by = new Map<string | undefined, { s: TeamSummary; fix: number[]; weeks: number[][] }>();
  for (const f of rows) {
    let t = by.get(f.team);
    if (t === undefined) {
      const s: TeamSummary = { open: 0, critical: 0, high: 0, newThisWeek: 0, resolved: 0, trend: [] };
      if (f.team !== undefined) s.team = f.team;
      t = { s, fix: [], weeks: [[], [], [], []] };
      by.set(f.team, t);
    }
    if (f.resolvedAt === undefined) {
      t.s.open++;
      if (f.severity === "critical") t.s.critical++;
      if (f.severity === "high") t.s.high++;
      if (latest - Date.parse(f.firstSeen) < WEEK_MS) t.s.newThisWeek++;
    } else {
      t.s.resolved++;
      const secs = (Date.parse(f.resolvedAt) - Date.parse(f.firstSeen)) / 1000;
      t.fix.push(secs);
      const ago = Math.floor((latest - Date.parse(f.resolvedAt)) / WEEK_MS);
      if (ago >= 0 && ago < 4) t.weeks[3 - ago]?.push(secs);
    }
  }
  const mean = (xs: number[]) => (xs.length === 0 ? undefined : xs.reduce((a, b) => a + b, 0) / xs.length);
  const teams = [...by.values()].map(({ s, fix, weeks }) => {
    const m = mean(fix);
    return { ...s, ...(m !== undefined ? { mttrSeconds: m } : {}), trend: weeks.map((w) => mean(w) ?? null) };
  });
  teams.sort(
    (a, b) =>
      b.critical - a.critical ||
      b.high - a.high ||
      (a.team === undefined ? 1 : b.team === undefined ? -1 : cmp(a.team, b.team)),
  );
  return Number.isFinite(latest)
    ? { findings: rows.length, latest: new Date(latest).toISOString(), teams }
    : { findings: rows.length, teams };
}
