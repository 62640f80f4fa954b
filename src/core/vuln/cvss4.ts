/**
 * CVSS v4.0 scoring per the FIRST specification (https://www.first.org/cvss/v4.0/specification-document, section
 * 8): the vector is classified into a MacroVector (EQ1..EQ6), whose score comes from the published lookup table;
 * the final score interpolates towards the next lower MacroVectors by the vector's severity distance from the
 * MacroVector's highest-severity vectors. Tables are FIRST's reference data (cvss_lookup, max_composed,
 * max_severity of the FIRST/Red Hat reference calculator, BSD-2-Clause).
 */
import type { CvssScore } from "./cvss.js";
import { severityFromScore } from "./cvss.js";

const ALLOWED: Record<string, readonly string[]> = {
  AV: ["N", "A", "L", "P"],
  AC: ["L", "H"],
  AT: ["N", "P"],
  PR: ["N", "L", "H"],
  UI: ["N", "P", "A"],
  VC: ["H", "L", "N"],
  VI: ["H", "L", "N"],
  VA: ["H", "L", "N"],
  SC: ["H", "L", "N"],
  SI: ["H", "L", "N"],
  SA: ["H", "L", "N"],
  E: ["X", "A", "P", "U"],
  CR: ["X", "H", "M", "L"],
  IR: ["X", "H", "M", "L"],
  AR: ["X", "H", "M", "L"],
  MAV: ["X", "N", "A", "L", "P"],
  MAC: ["X", "L", "H"],
  MAT: ["X", "N", "P"],
  MPR: ["X", "N", "L", "H"],
  MUI: ["X", "N", "P", "A"],
  MVC: ["X", "H", "L", "N"],
  MVI: ["X", "H", "L", "N"],
  MVA: ["X", "H", "L", "N"],
  MSC: ["X", "H", "L", "N"],
  MSI: ["X", "S", "H", "L", "N"],
  MSA: ["X", "S", "H", "L", "N"],
  // Supplemental metrics carry no weight in the score.
  S: ["X", "N", "P"],
  AU: ["X", "N", "Y"],
  R: ["X", "A", "U", "I"],
  V: ["X", "D", "C"],
  RE: ["X", "L", "M", "H"],
  U: ["X", "Clear", "Green", "Amber", "Red"],
};
const BASE = ["AV", "AC", "AT", "PR", "UI", "VC", "VI", "VA", "SC", "SI", "SA"] as const;

// MacroVector scores (FIRST cvss_lookup), key = EQ1..EQ6 digits.
const LOOKUP: Readonly<Record<string, number>> = Object.freeze(
  Object.fromEntries(
    `000000 10|000001 9.9|000010 9.8|000011 9.5|000020 9.5|000021 9.2|000100 10|000101 9.6|000110 9.3|000111 8.7|000120 9.1|000121 8.1|000200 9.3|000201 9|000210 8.9|000211 8|000220 8.1|000221 6.8|001000 9.8|001001 9.5|001010 9.5|001011 9.2|001020 9|001021 8.4|001100 9.3|001101 9.2|001110 8.9|001111 8.1|001120 8.1|001121 6.5|001200 8.8|001201 8|001210 7.8|001211 7|001220 6.9|001221 4.8|002001 9.2|002011 8.2|002021 7.2|002101 7.9|002111 6.9|002121 5|002201 6.9|002211 5.5|002221 2.7|010000 9.9|010001 9.7|010010 9.5|010011 9.2|010020 9.2|010021 8.5|010100 9.5|010101 9.1|010110 9|010111 8.3|010120 8.4|010121 7.1|010200 9.2|010201 8.1|010210 8.2|010211 7.1|010220 7.2|010221 5.3|011000 9.5|011001 9.3|011010 9.2|011011 8.5|011020 8.5|011021 7.3|011100 9.2|011101 8.2|011110 8|011111 7.2|011120 7|011121 5.9|011200 8.4|011201 7|011210 7.1|011211 5.2|011220 5|011221 3|012001 8.6|012011 7.5|012021 5.2|012101 7.1|012111 5.2|012121 2.9|012201 6.3|012211 2.9|012221 1.7|100000 9.8|100001 9.5|100010 9.4|100011 8.7|100020 9.1|100021 8.1|100100 9.4|100101 8.9|100110 8.6|100111 7.4|100120 7.7|100121 6.4|100200 8.7|100201 7.5|100210 7.4|100211 6.3|100220 6.3|100221 4.9|101000 9.4|101001 8.9|101010 8.8|101011 7.7|101020 7.6|101021 6.7|101100 8.6|101101 7.6|101110 7.4|101111 5.8|101120 5.9|101121 5|101200 7.2|101201 5.7|101210 5.7|101211 5.2|101220 5.2|101221 2.5|102001 8.3|102011 7|102021 5.4|102101 6.5|102111 5.8|102121 2.6|102201 5.3|102211 2.1|102221 1.3|110000 9.5|110001 9|110010 8.8|110011 7.6|110020 7.6|110021 7|110100 9|110101 7.7|110110 7.5|110111 6.2|110120 6.1|110121 5.3|110200 7.7|110201 6.6|110210 6.8|110211 5.9|110220 5.2|110221 3|111000 8.9|111001 7.8|111010 7.6|111011 6.7|111020 6.2|111021 5.8|111100 7.4|111101 5.9|111110 5.7|111111 5.7|111120 4.7|111121 2.3|111200 6.1|111201 5.2|111210 5.7|111211 2.9|111220 2.4|111221 1.6|112001 7.1|112011 5.9|112021 3|112101 5.8|112111 2.6|112121 1.5|112201 2.3|112211 1.3|112221 0.6|200000 9.3|200001 8.7|200010 8.6|200011 7.2|200020 7.5|200021 5.8|200100 8.6|200101 7.4|200110 7.4|200111 6.1|200120 5.6|200121 3.4|200200 7|200201 5.4|200210 5.2|200211 4|200220 4|200221 2.2|201000 8.5|201001 7.5|201010 7.4|201011 5.5|201020 6.2|201021 5.1|201100 7.2|201101 5.7|201110 5.5|201111 4.1|201120 4.6|201121 1.9|201200 5.3|201201 3.6|201210 3.4|201211 1.9|201220 1.9|201221 0.8|202001 6.4|202011 5.1|202021 2|202101 4.7|202111 2.1|202121 1.1|202201 2.4|202211 0.9|202221 0.4|210000 8.8|210001 7.5|210010 7.3|210011 5.3|210020 6|210021 5|210100 7.3|210101 5.5|210110 5.9|210111 4|210120 4.1|210121 2|210200 5.4|210201 4.3|210210 4.5|210211 2.2|210220 2|210221 1.1|211000 7.5|211001 5.5|211010 5.8|211011 4.5|211020 4|211021 2.1|211100 6.1|211101 5.1|211110 4.8|211111 1.8|211120 2|211121 0.9|211200 4.6|211201 1.8|211210 1.7|211211 0.7|211220 0.8|211221 0.2|212001 5.3|212011 2.4|212021 1.4|212101 2.4|212111 1.2|212121 0.5|212201 1|212211 0.3|212221 0.1`
      .split("|")
      .map((e) => {
        const [k, v] = e.split(" ");
        return [k as string, Number(v)];
      }),
  ),
);

// Highest-severity vectors per EQ level (FIRST max_composed); EQ3 is keyed by EQ3 then EQ6.
const MAX_COMPOSED = {
  eq1: [
    ["AV:N/PR:N/UI:N/"],
    ["AV:A/PR:N/UI:N/", "AV:N/PR:L/UI:N/", "AV:N/PR:N/UI:P/"],
    ["AV:P/PR:N/UI:N/", "AV:A/PR:L/UI:P/"],
  ],
  eq2: [["AC:L/AT:N/"], ["AC:H/AT:N/", "AC:L/AT:P/"]],
  eq3: [
    {
      0: ["VC:H/VI:H/VA:H/CR:H/IR:H/AR:H/"],
      1: ["VC:H/VI:H/VA:L/CR:M/IR:M/AR:H/", "VC:H/VI:H/VA:H/CR:M/IR:M/AR:M/"],
    },
    {
      0: ["VC:L/VI:H/VA:H/CR:H/IR:H/AR:H/", "VC:H/VI:L/VA:H/CR:H/IR:H/AR:H/"],
      1: [
        "VC:L/VI:H/VA:L/CR:H/IR:M/AR:H/",
        "VC:L/VI:H/VA:H/CR:H/IR:M/AR:M/",
        "VC:H/VI:L/VA:H/CR:M/IR:H/AR:M/",
        "VC:H/VI:L/VA:L/CR:M/IR:H/AR:H/",
        "VC:L/VI:L/VA:H/CR:H/IR:H/AR:M/",
      ],
    },
    { 1: ["VC:L/VI:L/VA:L/CR:H/IR:H/AR:H/"] },
  ] as Record<number, string[]>[],
  eq4: [["SC:H/SI:S/SA:S/"], ["SC:H/SI:H/SA:H/"], ["SC:L/SI:L/SA:L/"]],
  eq5: [["E:A/"], ["E:P/"], ["E:U/"]],
} as const;

// Maximal severity distances within each MacroVector level (+1), FIRST max_severity.
const MAX_SEVERITY = {
  eq1: [1, 4, 5],
  eq2: [1, 2],
  eq3eq6: [
    [7, 6],
    [8, 8],
    [Number.NaN, 10],
  ],
  eq4: [6, 5, 4],
} as const;

const LEVELS: Record<string, Record<string, number>> = {
  AV: { N: 0, A: 0.1, L: 0.2, P: 0.3 },
  PR: { N: 0, L: 0.1, H: 0.2 },
  UI: { N: 0, P: 0.1, A: 0.2 },
  AC: { L: 0, H: 0.1 },
  AT: { N: 0, P: 0.1 },
  VC: { H: 0, L: 0.1, N: 0.2 },
  VI: { H: 0, L: 0.1, N: 0.2 },
  VA: { H: 0, L: 0.1, N: 0.2 },
  SC: { H: 0.1, L: 0.2, N: 0.3 },
  SI: { S: 0, H: 0.1, L: 0.2, N: 0.3 },
  SA: { S: 0, H: 0.1, L: 0.2, N: 0.3 },
  CR: { H: 0, M: 0.1, L: 0.2 },
  IR: { H: 0, M: 0.1, L: 0.2 },
  AR: { H: 0, M: 0.1, L: 0.2 },
};

function parse(vector: string): Map<string, string> | undefined {
  const parts = vector.trim().split("/");
  if (parts.shift() !== "CVSS:4.0") return undefined;
  const m = new Map<string, string>();
  for (const p of parts) {
    const [k, v, extra] = p.split(":");
    if (k === undefined || v === undefined || extra !== undefined) return undefined;
    const allowed = Object.hasOwn(ALLOWED, k) ? ALLOWED[k] : undefined;
    if (!allowed?.includes(v) || m.has(k)) return undefined;
    m.set(k, v);
  }
  for (const k of BASE) if (!m.has(k)) return undefined;
  return m;
}

/** Effective metric value: environmental overrides base; unset E/CR/IR/AR default to their worst case (spec 8.1). */
function effective(m: Map<string, string>, metric: string): string {
  const sel = m.get(metric) ?? "X";
  if (metric === "E" && sel === "X") return "A";
  if ((metric === "CR" || metric === "IR" || metric === "AR") && sel === "X") return "H";
  const mod = m.get(`M${metric}`);
  if (mod !== undefined && mod !== "X") return mod;
  return sel;
}

function macroVector(g: (k: string) => string): number[] {
  const av = g("AV");
  const pr = g("PR");
  const ui = g("UI");
  const eq1 =
    av === "N" && pr === "N" && ui === "N"
      ? 0
      : (av === "N" || pr === "N" || ui === "N") && av !== "P"
        ? 1
        : 2;
  const eq2 = g("AC") === "L" && g("AT") === "N" ? 0 : 1;
  const vc = g("VC");
  const vi = g("VI");
  const va = g("VA");
  const eq3 = vc === "H" && vi === "H" ? 0 : vc === "H" || vi === "H" || va === "H" ? 1 : 2;
  const msi = g("MSI");
  const msa = g("MSA");
  const eq4 = msi === "S" || msa === "S" ? 0 : g("SC") === "H" || g("SI") === "H" || g("SA") === "H" ? 1 : 2;
  const e = g("E");
  const eq5 = e === "A" ? 0 : e === "P" ? 1 : 2;
  const eq6 =
    (g("CR") === "H" && vc === "H") || (g("IR") === "H" && vi === "H") || (g("AR") === "H" && va === "H")
      ? 0
      : 1;
  return [eq1, eq2, eq3, eq4, eq5, eq6];
}

function metricOf(vec: string, metric: string): string {
  const m = new RegExp(`(?:^|/)${metric}:([A-Z]+)`).exec(vec);
  return m?.[1] ?? "";
}

/** Score of a CVSS v4.0 vector (base, threat and environmental metrics), or undefined when invalid. */
export function cvss4Score(vector: string): CvssScore | undefined {
  const m = parse(vector);
  if (!m) return undefined;
  const g = (k: string): string => effective(m, k);
  const done = (score: number): CvssScore => ({
    version: "4.0",
    vector,
    score,
    severity: severityFromScore(score),
  });
  // No impact on the vulnerable or subsequent systems scores 0 outright.
  if (["VC", "VI", "VA", "SC", "SI", "SA"].every((k) => g(k) === "N")) return done(0);
  const eq = macroVector(g);
  const [eq1, eq2, eq3, eq4, eq5, eq6] = eq as [number, number, number, number, number, number];
  const key = (a: number[]): string => a.join("");
  const value = LOOKUP[key(eq)];
  if (value === undefined) return undefined;
  const lower = (d: number[]): number => LOOKUP[key(eq.map((x, i) => x + (d[i] ?? 0)))] ?? Number.NaN;
  const scoreEq1 = lower([1, 0, 0, 0, 0, 0]);
  const scoreEq2 = lower([0, 1, 0, 0, 0, 0]);
  let scoreEq3eq6: number;
  if (eq3 === 0 && eq6 === 0) {
    // Two next-lower MacroVectors (00 -> 01 and 00 -> 10): the higher one is used.
    const left = lower([0, 0, 0, 0, 0, 1]);
    const right = lower([0, 0, 1, 0, 0, 0]);
    scoreEq3eq6 = Math.max(left, right);
  } else if (eq3 === 1 && eq6 === 0) scoreEq3eq6 = lower([0, 0, 0, 0, 0, 1]);
  else if ((eq3 === 1 && eq6 === 1) || (eq3 === 0 && eq6 === 1)) scoreEq3eq6 = lower([0, 0, 1, 0, 0, 0]);
  else scoreEq3eq6 = lower([0, 0, 1, 0, 0, 1]);
  const scoreEq4 = lower([0, 0, 0, 1, 0, 0]);
  const scoreEq5 = lower([0, 0, 0, 0, 1, 0]);

  const maxVectors: string[] = [];
  for (const a of MAX_COMPOSED.eq1[eq1] ?? [])
    for (const b of MAX_COMPOSED.eq2[eq2] ?? [])
      for (const c of MAX_COMPOSED.eq3[eq3]?.[eq6] ?? [])
        for (const d of MAX_COMPOSED.eq4[eq4] ?? [])
          for (const e of MAX_COMPOSED.eq5[eq5] ?? []) maxVectors.push(a + b + c + d + e);
  const metrics = ["AV", "PR", "UI", "AC", "AT", "VC", "VI", "VA", "SC", "SI", "SA", "CR", "IR", "AR"];
  let dist: Record<string, number> = {};
  // The first highest-severity vector that the scored vector does not exceed on any metric.
  for (const mv of maxVectors) {
    dist = {};
    for (const k of metrics) dist[k] = (LEVELS[k]?.[g(k)] ?? 0) - (LEVELS[k]?.[metricOf(mv, k)] ?? 0);
    if (!Object.values(dist).some((d) => d < 0)) break;
  }
  const d = (k: string): number => dist[k] ?? 0;
  const cur1 = d("AV") + d("PR") + d("UI");
  const cur2 = d("AC") + d("AT");
  const cur36 = d("VC") + d("VI") + d("VA") + d("CR") + d("IR") + d("AR");
  const cur4 = d("SC") + d("SI") + d("SA");
  const step = 0.1;
  const parts: [number, number, number][] = [
    [value - scoreEq1, cur1, (MAX_SEVERITY.eq1[eq1] ?? Number.NaN) * step],
    [value - scoreEq2, cur2, (MAX_SEVERITY.eq2[eq2] ?? Number.NaN) * step],
    [value - scoreEq3eq6, cur36, (MAX_SEVERITY.eq3eq6[eq3]?.[eq6] ?? Number.NaN) * step],
    [value - scoreEq4, cur4, (MAX_SEVERITY.eq4[eq4] ?? Number.NaN) * step],
  ];
  let n = 0;
  let sum = 0;
  for (const [available, current, max] of parts) {
    if (Number.isNaN(available)) continue;
    n++;
    sum += available * (current / max);
  }
  // EQ5 has no intra-MacroVector distance: it counts towards the mean with proportion 0.
  if (!Number.isNaN(value - scoreEq5)) n++;
  const mean = n === 0 ? 0 : sum / n;
  let score = value - mean;
  if (score < 0) score = 0;
  if (score > 10) score = 10;
  // FIRST's calculator rounds half up with a small epsilon against binary floating-point error.
  return done(Math.round((score + 1e-6) * 10) / 10);
}
