import { isMap, isScalar, isSeq, LineCounter, type ParsedNode, parseDocument } from "yaml";
import { PalisadeError } from "../../core/errors/index.js";
import {
  DEFAULT_OWNERSHIP,
  formatFieldPath,
  type OwnershipConfig,
  type PathSegment,
} from "../../core/inventory/index.js";
import { globPatternProblem, isRecord } from "../../core/util/index.js";
import { checkValue } from "./safety.js";
import { YAML_OPTIONS } from "./yaml-docs.js";

const ROOT_FIELDS = new Set(["keys", "namespaces", "images"]);

/**
 * Parse and validate an ownership file:
 *
 * ```yaml
 * keys: [team, owner]                       # label/annotation keys, checked in order (default: team, owner)
 * namespaces: { "payments-*": payments }    # or a list: [{ pattern: "payments-*", team: payments }]
 * images: { "docker.io/acme/pay-*": payments }
 * ```
 *
 * Map form keeps file order (first match wins, as in {@link resolveTeam}). Errors are PalisadeError INPUT
 * (or UNSAFE) naming the file, the field path and, when known, its line.
 */
export function parseOwnershipText(text: string, file: string): OwnershipConfig {
  const lines = new LineCounter();
  const doc = parseDocument(text, { ...YAML_OPTIONS, lineCounter: lines });
  const fail = (field: PathSegment[], message: string, code: "INPUT" | "UNSAFE" = "INPUT"): never => {
    const fieldPath = formatFieldPath(field);
    const context: ConstructorParameters<typeof PalisadeError>[2] = { context: { file, field: fieldPath } };
    const node = field.length === 0 ? doc.contents : (doc.getIn(field, true) as ParsedNode | undefined);
    // getIn returns the value node; for a missing value fall back to the document start.
    const offset = isScalar(node) || isMap(node) || isSeq(node) ? (node as ParsedNode).range[0] : undefined;
    if (offset !== undefined && context.context) {
      const p = lines.linePos(offset);
      context.context.line = p.line;
      context.context.column = p.col;
    }
    throw new PalisadeError(code, fieldPath === "" ? message : `field "${fieldPath}": ${message}`, context);
  };
  const err = doc.errors[0];
  if (err) {
    const p = lines.linePos(err.pos[0]);
    throw new PalisadeError("INPUT", `ownership file is not valid YAML: ${err.message}`, {
      context: { file, line: p.line, column: p.col },
    });
  }
  let root: unknown;
  try {
    root = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    throw new PalisadeError("LIMIT", "ownership file: too many YAML aliases", {
      cause: e,
      context: { file },
    });
  }
  const unsafe = checkValue(root, 20);
  if (unsafe) {
    fail(
      unsafe.path,
      unsafe.kind === "unsafe" ? `forbidden key "${unsafe.key}"` : "nested too deeply",
      unsafe.kind === "unsafe" ? "UNSAFE" : "INPUT",
    );
  }
  if (!isRecord(root)) return fail([], "ownership file must be a mapping with keys, namespaces and images");
  for (const k of Object.keys(root)) {
    if (!ROOT_FIELDS.has(k)) fail([k], `unknown field (expected one of: keys, namespaces, images)`);
  }
  const out: OwnershipConfig = { keys: [...DEFAULT_OWNERSHIP.keys], namespaces: [], images: [] };
  if (root.keys !== undefined) {
    if (!Array.isArray(root.keys) || root.keys.length === 0)
      fail(["keys"], "must be a non-empty list of label keys");
    out.keys = (root.keys as unknown[]).map((k, i) =>
      typeof k === "string" && k !== "" ? k : fail(["keys", i], "must be a non-empty string"),
    );
  }
  out.namespaces = rules(root.namespaces, "namespaces", fail);
  out.images = rules(root.images, "images", fail);
  return out;
}

function rules(
  v: unknown,
  field: string,
  fail: (f: PathSegment[], m: string) => never,
): { pattern: string; team: string }[] {
  if (v === undefined || v === null) return [];
  const str = (x: unknown, at: PathSegment[]): string =>
    typeof x === "string" && x !== "" ? x : fail(at, "must be a non-empty string");
  const glob = (x: unknown, at: PathSegment[]): string => {
    const p = str(x, at);
    const problem = globPatternProblem(p);
    return problem === undefined ? p : fail(at, problem);
  };
  if (Array.isArray(v)) {
    return v.map((item, i) => {
      if (!isRecord(item)) return fail([field, i], "must be a mapping with pattern and team");
      for (const k of Object.keys(item)) {
        if (k !== "pattern" && k !== "team") fail([field, i, k], "unknown field (expected pattern and team)");
      }
      return { pattern: glob(item.pattern, [field, i, "pattern"]), team: str(item.team, [field, i, "team"]) };
    });
  }
  if (isRecord(v)) {
    return Object.entries(v).map(([pattern, team]) => ({
      pattern: glob(pattern, [field]),
      team: str(team, [field, pattern]),
    }));
  }
  return fail([field], "must be a mapping of pattern to team, or a list of {pattern, team}");
}
