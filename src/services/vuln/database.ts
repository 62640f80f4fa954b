import type { VulnDbStatus, VulnStore } from "../../adapters/store/ports.js";
import { PalisadeError } from "../../core/errors/index.js";
import { type Freshness, freshness, type OsvRecord } from "../../core/vuln/index.js";
import type { AdvisoryLookup } from "../nodes/index.js";

/** The vulnerability store, opened when a use case needs it, and its name in messages (a URL without password). */
export type OpenVulnStore = () => Promise<{ vulns: VulnStore; where: string }>;

/** What the database says of itself, as of now: counts, import state, age, and why it cannot be trusted. */
export interface VulnDbCheck {
  where: string;
  status: VulnDbStatus;
  fresh: Freshness;
  /** Why the database cannot be trusted to be complete, when it cannot. */
  problem?: string | undefined;
}

/**
 * Why the database cannot be trusted to be complete, or undefined: the last import did not finish, or nothing
 * was ever imported. (A running import is fine: readers see the previous import until it commits.)
 */
export function importProblem(st: VulnDbStatus, where: string): string | undefined {
  if (st.importState === "interrupted")
    return `the last import into ${where} (started ${st.importStartedAt ?? "at an unknown time"}) did not finish: the database holds ${st.importedAt ? `the data of the import finished ${st.importedAt}` : "no completed import"}; run \`palisade vuln db import\` again`;
  if (st.advisories === 0)
    return `the vulnerability database ${where} holds no advisories: import OSV advisories with \`palisade vuln db import PATH...\``;
  return undefined;
}

/** Open the store, run `fn`, close it. */
export async function withVulnStore<T>(
  open: OpenVulnStore,
  fn: (vulns: VulnStore, where: string) => Promise<T>,
): Promise<T> {
  const { vulns, where } = await open();
  try {
    return await fn(vulns, where);
  } finally {
    await vulns.close();
  }
}

/** The status of an open store, its freshness at `now` and its import problem. */
export async function checkVulnStore(vulns: VulnStore, where: string, now: Date): Promise<VulnDbCheck> {
  const status = await vulns.status(now.toISOString());
  const fresh = freshness(status.newestModified, now, undefined, status.futureModified);
  return { where, status, fresh, problem: importProblem(status, where) };
}

/** `vuln db status`: what the database holds and how old it is. */
export async function vulnDbStatus(deps: { open: OpenVulnStore; now: () => Date }): Promise<VulnDbCheck> {
  return withVulnStore(deps.open, (vulns, where) => checkVulnStore(vulns, where, deps.now()));
}

/** How a use case treats a database that cannot be trusted to be complete. */
export interface IncompletePolicy {
  /** Go on (with a warning) instead of refusing. */
  allowIncomplete?: boolean | undefined;
  /** What the refusal tells the user to do to go on anyway (the app's flag). */
  override: string;
}

/** Advisories read for some keys, with the check of the database they came from. */
export interface AdvisoriesRead {
  byKey: Map<string, OsvRecord[]>;
  check: VulnDbCheck;
  /** Warnings for the user (an incomplete database read anyway). */
  warnings: string[];
}

/**
 * Read the advisories under `keys`, after checking the database: an interrupted or empty import is refused (no
 * match would read as all clear) unless the policy allows it, and then it is a warning. The one freshness and
 * completeness check of every use case that matches against the database (`vuln scan`, `vuln nodes`, scan
 * --nodes, the node part of `vuln impact`).
 */
export async function readAdvisories(
  keys: readonly string[],
  policy: IncompletePolicy,
  deps: { open: OpenVulnStore; now: () => Date },
): Promise<AdvisoriesRead> {
  return withVulnStore(deps.open, async (vulns, where) => {
    const check = await checkVulnStore(vulns, where, deps.now());
    if (check.problem && !policy.allowIncomplete)
      throw new PalisadeError("INPUT", `${check.problem}; ${policy.override}`);
    const warnings = check.problem ? [`${check.problem}: results may miss vulnerabilities`] : [];
    return { byKey: await vulns.lookup(keys), check, warnings };
  });
}

/**
 * {@link readAdvisories} as the node report's lookup (`vuln nodes`, scan --nodes, the node part of
 * `vuln impact`): the store is opened when the lookup runs and closed after it; `onRead` sees each read first
 * (the CLI prints its warnings and coverage as they happen).
 */
export function advisoryLookup(
  policy: IncompletePolicy,
  deps: { open: OpenVulnStore; now: () => Date; onRead?: ((read: AdvisoriesRead) => void) | undefined },
): AdvisoryLookup {
  return async (keys) => {
    const read = await readAdvisories(keys, policy, deps);
    deps.onRead?.(read);
    const { status, fresh } = read.check;
    return {
      byKey: read.byKey,
      coverage: fresh.coverage,
      database: {
        advisories: status.advisories,
        newestModified: status.newestModified,
        importedAt: status.importedAt,
        stale: fresh.stale,
      },
    };
  };
}
