/**
 * CVSS vectors to base scores. v3.0/v3.1 implement the FIRST specification formulas exactly, including the
 * v3.1 Roundup (https://www.first.org/cvss/v3.1/specification-document, section 7.4 and Appendix A), which
 * avoids floating-point artefacts such as 4.000000000000001 rounding up to 4.1.
 */
import type { Severity } from "../findings/index.js";

export interface CvssScore {
  version: "3.0" | "3.1" | "4.0";
  vector: string;
  score: number;
  severity: Severity;
}

const V3_WEIGHTS = {
  AV: { N: 0.85, A: 0.62, L: 0.55, P: 0.2 },
  AC: { L: 0.77, H: 0.44 },
  UI: { N: 0.85, R: 0.62 },
  CIA: { H: 0.56, L: 0.22, N: 0 },
} as const;

const V3_REQUIRED = ["AV", "AC", "PR", "UI", "S", "C", "I", "A"] as const;
const V3_ALLOWED: Record<string, readonly string[]> = {
  AV: ["N", "A", "L", "P"],
  AC: ["L", "H"],
  PR: ["N", "L", "H"],
  UI: ["N", "R"],
  S: ["U", "C"],
  C: ["H", "L", "N"],
  I: ["H", "L", "N"],
  A: ["H", "L", "N"],
  // Temporal and environmental metrics may follow; they do not change the base score.
  E: ["X", "U", "P", "F", "H"],
  RL: ["X", "O", "T", "W", "U"],
  RC: ["X", "U", "R", "C"],
  CR: ["X", "L", "M", "H"],
  IR: ["X", "L", "M", "H"],
  AR: ["X", "L", "M", "H"],
  MAV: ["X", "N", "A", "L", "P"],
  MAC: ["X", "L", "H"],
  MPR: ["X", "N", "L", "H"],
  MUI: ["X", "N", "R"],
  MS: ["X", "U", "C"],
  MC: ["X", "H", "L", "N"],
  MI: ["X", "H", "L", "N"],
  MA: ["X", "H", "L", "N"],
};

/** Parse `CVSS:3.x/AV:N/...` into its metrics; undefined when the vector is not a valid v3 base vector. */
function parseV3(vector: string): { version: "3.0" | "3.1"; m: Map<string, string> } | undefined {
  const parts = vector.trim().split("/");
  const head = parts.shift();
  if (head !== "CVSS:3.0" && head !== "CVSS:3.1") return undefined;
  const m = new Map<string, string>();
  for (const p of parts) {
    const [k, v, extra] = p.split(":");
    if (k === undefined || v === undefined || extra !== undefined) return undefined;
    const allowed = Object.hasOwn(V3_ALLOWED, k) ? V3_ALLOWED[k] : undefined;
    if (!allowed?.includes(v) || m.has(k)) return undefined;
    m.set(k, v);
  }
  for (const k of V3_REQUIRED) if (!m.has(k)) return undefined;
  return { version: head === "CVSS:3.0" ? "3.0" : "3.1", m };
}

/** CVSS v3.1 Roundup: the smallest number, to one decimal place, equal to or higher than its input. */
export function roundUp31(input: number): number {
  const intInput = Math.round(input * 100_000);
  if (intInput % 10_000 === 0) return intInput / 100_000;
  return (Math.floor(intInput / 10_000) + 1) / 10;
}

/** CVSS v3.0 Round up: plain ceiling to one decimal (the v3.0 specification, section 8.1). */
function roundUp30(input: number): number {
  return Math.ceil(input * 10) / 10;
}

/** Base score of a CVSS v3.0/v3.1 vector, or undefined when the vector is invalid. */
export function cvss3BaseScore(vector: string): CvssScore | undefined {
  const parsed = parseV3(vector);
  if (!parsed) return undefined;
  const { m, version } = parsed;
  const get = (k: string): string => m.get(k) as string;
  const changed = get("S") === "C";
  const av = V3_WEIGHTS.AV[get("AV") as keyof typeof V3_WEIGHTS.AV];
  const ac = V3_WEIGHTS.AC[get("AC") as keyof typeof V3_WEIGHTS.AC];
  const ui = V3_WEIGHTS.UI[get("UI") as keyof typeof V3_WEIGHTS.UI];
  // Privileges Required weighs more when the scope changes (spec Table 16).
  const pr = { N: 0.85, L: changed ? 0.68 : 0.62, H: changed ? 0.5 : 0.27 }[get("PR") as "N" | "L" | "H"];
  const c = V3_WEIGHTS.CIA[get("C") as "H" | "L" | "N"];
  const i = V3_WEIGHTS.CIA[get("I") as "H" | "L" | "N"];
  const a = V3_WEIGHTS.CIA[get("A") as "H" | "L" | "N"];
  const iss = 1 - (1 - c) * (1 - i) * (1 - a);
  const impact = changed ? 7.52 * (iss - 0.029) - 3.25 * (iss - 0.02) ** 15 : 6.42 * iss;
  const exploitability = 8.22 * av * ac * pr * ui;
  const roundUp = version === "3.1" ? roundUp31 : roundUp30;
  let score: number;
  if (impact <= 0) score = 0;
  else if (changed) score = roundUp(Math.min(1.08 * (impact + exploitability), 10));
  else score = roundUp(Math.min(impact + exploitability, 10));
  return { version, vector, score, severity: severityFromScore(score) };
}

/** Qualitative rating (v3.1 section 5, identical in v4.0): 0 None, 0.1-3.9 Low, 4-6.9 Medium, 7-8.9 High, 9+ Critical. */
export function severityFromScore(score: number): Severity {
  if (score >= 9) return "critical";
  if (score >= 7) return "high";
  if (score >= 4) return "medium";
  if (score > 0) return "low";
  return "info";
}
