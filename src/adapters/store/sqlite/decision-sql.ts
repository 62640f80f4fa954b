/**
 * The statements of a prune in steps of SqliteAdmissionDecisionStore and the off-thread writer (decision-writer.ts). Parameters: by age
 * (time, rows), below (seq, rows), seqBelowAt (seq, offset).
 */
export const DECISION_SQL = Object.freeze({
  // By age the oldest first (the index on `at`).
  pruneByAge:
    "DELETE FROM admission_decisions WHERE seq IN (SELECT seq FROM admission_decisions WHERE at < ? ORDER BY at LIMIT ?)",
  // By count: everything at or below the newest row not kept.
  pruneBelow:
    "DELETE FROM admission_decisions WHERE seq IN (SELECT seq FROM admission_decisions WHERE seq <= ? ORDER BY seq LIMIT ?)",
  seqBelowAt: "SELECT seq FROM admission_decisions WHERE seq < ? ORDER BY seq DESC LIMIT 1 OFFSET ?",
});
