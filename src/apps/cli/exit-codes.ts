/** Documented exit codes (README, "Exit codes"). */
export const EXIT = {
  /** Clean: no findings at or above --fail-on. */
  OK: 0,
  /** Findings at or above --fail-on (or a policy answer of "no" where a command says so). */
  FINDINGS: 1,
  /** Usage or input error. */
  USAGE: 2,
  /** Internal error: a bug (the stack trace is printed). */
  INTERNAL: 3,
} as const;
