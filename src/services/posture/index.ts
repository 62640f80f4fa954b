/**
 * Use cases of the posture domain outside a scan (posture findings themselves come from the scan service): the
 * rule catalogue (posture, RBAC, NetworkPolicy), filtered by framework or narrowed to one rule, and the literal
 * credential scan of text files. The file walker is the caller's reader; answers are values the caller formats.
 */
import type { CoverageEntry, RuleMeta } from "../../core/findings/index.js";
import { NODE_RULES } from "../../core/nodes/index.js";
import { ruleCatalogue } from "../../core/scan/index.js";
import type { SecretKind } from "../../core/secrets/index.js";

export interface RulesRequest {
  /** Only rules mapped to this compliance framework (nsa, cis, pss). */
  framework?: string | undefined;
  /** One rule by id, case-insensitive; looked up among the rules the framework keeps. */
  id?: string | undefined;
}

export type RulesResult =
  | { mode: "list"; rules: RuleMeta[] }
  /** `rule` is absent when no rule has that id. */
  | { mode: "explain"; id: string; rule?: RuleMeta | undefined };

/** The catalogue, filtered by framework, or the one rule asked for. */
export function postureRules(req: RulesRequest = {}): RulesResult {
  let rules = ruleCatalogue(NODE_RULES);
  const fw = req.framework;
  if (fw !== undefined) rules = rules.filter((r) => r.compliance.some((c) => c.framework === fw));
  if (req.id === undefined) return { mode: "list", rules };
  const id = req.id.toUpperCase();
  const rule = rules.find((r) => r.id === id);
  return rule === undefined ? { mode: "explain", id } : { mode: "explain", id, rule };
}

/** One credential found in a file; the value is redacted. */
export interface SecretMatch {
  file: string;
  line: number;
  kind: SecretKind;
  redacted: string;
}

export interface SecretsScanResult {
  matches: SecretMatch[];
  /** Files that could not be scanned (binary, symlink, over a budget). */
  coverage: CoverageEntry[];
  filesScanned: number;
}

export interface SecretsRequest {
  paths: readonly string[];
  /** Bytes read per file. */
  maxBytes: number;
  /** Files scanned in total. */
  maxFiles: number;
}

export interface SecretsDeps {
  /** Walks the paths and scans each text file within the budgets (the filesystem adapter). */
  scanPaths(paths: string[], budgets: { maxBytes: number; maxFiles: number }): Promise<SecretsScanResult>;
}

/** Scan the paths for literal credentials. */
export async function scanSecrets(req: SecretsRequest, deps: SecretsDeps): Promise<SecretsScanResult> {
  return deps.scanPaths([...req.paths], { maxBytes: req.maxBytes, maxFiles: req.maxFiles });
}
