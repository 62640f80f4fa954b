/**
 * How old the advisory data is: the newest record's `modified` against the injected clock. Pure; the stores
 * report `newestModified` (leaving out records dated after now) and the vulnerability service decides.
 */
import type { CoverageEntry } from "../findings/index.js";

export interface Freshness {
  /** Whole days since the newest record's `modified` (undefined for an empty database). */
  ageDays?: number | undefined;
  stale: boolean;
  coverage: CoverageEntry[];
  /** What the user should know that is not a problem (records dated in the future, left out). */
  notes: string[];
}

/** Data older than this many days triggers a warning (and a "stale" coverage entry). */
export const STALE_AFTER_DAYS = 7;

/** How old the database content is, from the newest `modified` and the injected clock. */
export function freshness(
  newestModified: string | undefined,
  now: Date,
  staleAfterDays = STALE_AFTER_DAYS,
  futureModified = 0,
): Freshness {
  // Stores leave records modified after `now` out of newestModified (status(now)): one record dated 9999 must not
  // make the database look fresh forever.
  const notes =
    futureModified > 0
      ? [
          `${futureModified} advisory record(s) have a modified time after now; they are not counted for the database's freshness`,
        ]
      : [];
  if (!newestModified) {
    return {
      notes,
      stale: true,
      coverage: [
        {
          reason: "missing",
          subject: "vulnerability database",
          message:
            "the vulnerability database is empty: import OSV advisories with `palisade vuln db import`",
        },
      ],
    };
  }
  const t = Date.parse(newestModified);
  if (Number.isNaN(t))
    return {
      stale: true,
      notes,
      coverage: [
        {
          reason: "stale",
          subject: "vulnerability database",
          message: `newest record time ${newestModified} is not a date`,
        },
      ],
    };
  const ageDays = Math.floor((now.getTime() - t) / 86_400_000);
  const stale = ageDays > staleAfterDays;
  return {
    ageDays,
    stale,
    notes,
    coverage: stale
      ? [
          {
            reason: "stale",
            subject: "vulnerability database",
            message: `the newest advisory is ${ageDays} days old (newest modified ${newestModified}); re-import to see recent vulnerabilities`,
          },
        ]
      : [],
  };
}
