import { describe, expect, it } from "vitest";
import { summariseTeams } from "./index.js";

describe("summariseTeams", () => {
  it("counts per team back from the newest time the findings carry; findings of no team come last", () => {
    const day = (d: number) => new Date(Date.UTC(2026, 0, d)).toISOString();
    const o = summariseTeams([
      { team: "beta", severity: "high", firstSeen: day(1), lastSeen: day(29) },
      { team: "alpha", severity: "critical", firstSeen: day(25), lastSeen: day(29) },
      { team: "alpha", severity: "low", firstSeen: day(1), lastSeen: day(10), resolvedAt: day(11) },
      { team: "alpha", severity: "low", firstSeen: day(20), lastSeen: day(27), resolvedAt: day(28) },
      { severity: "critical", firstSeen: day(1), lastSeen: day(29) },
    ]);
    expect(o).toEqual({
      findings: 5,
      latest: day(29),
      teams: [
        {
          team: "alpha",
          open: 1,
          critical: 1,
          high: 0,
          newThisWeek: 1,
          resolved: 2,
          mttrSeconds: ((10 + 8) / 2) * 86400,
          trend: [null, 10 * 86400, null, 8 * 86400],
        },
        { open: 1, critical: 1, high: 0, newThisWeek: 0, resolved: 0, trend: [null, null, null, null] },
        {
          team: "beta",
          open: 1,
          critical: 0,
          high: 1,
          newThisWeek: 0,
          resolved: 0,
          trend: [null, null, null, null],
        },
      ],
    });
    expect(summariseTeams([])).toEqual({ findings: 0, teams: [] });
  });
});
