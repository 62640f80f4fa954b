import { describe, expect, it } from "vitest";
import { freshness } from "./freshness.js";

const now = () => new Date("2024-06-01T00:00:00Z");

describe("freshness", () => {
  it("is stale after 7 days of the newest modified, by the injected clock", () => {
    expect([
      freshness("2024-05-25T00:00:00Z", now()),
      freshness("2024-05-20T00:00:00Z", now()).stale,
      freshness(undefined, now()).coverage[0]?.reason,
    ]).toEqual([{ ageDays: 7, stale: false, coverage: [], notes: [] }, true, "missing"]);
  });
  it("says how many records are dated after now, and an unparsable newest time is stale", () => {
    expect([freshness("2024-05-31T00:00:00Z", now(), 7, 2), freshness("yesterday", now())]).toEqual([
      {
        ageDays: 1,
        stale: false,
        coverage: [],
        notes: [
          "2 advisory record(s) have a modified time after now; they are not counted for the database's freshness",
        ],
      },
      {
        stale: true,
        notes: [],
        coverage: [
          {
            reason: "stale",
            subject: "vulnerability database",
            message: "newest record time yesterday is not a date",
          },
        ],
      },
    ]);
  });
});
