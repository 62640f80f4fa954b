/**
 * Generate src/core/rbac/bootstrap-data.ts: the API server's bootstrap RBAC policy (the ClusterRoles,
 * ClusterRoleBindings, and kube-system/kube-public Roles and RoleBindings that kube-apiserver reconciles at
 * start-up) for a range of Kubernetes minor versions, taken from upstream's own golden files
 * (k8s.io/kubernetes plugin/pkg/auth/authorizer/rbac/bootstrappolicy/testdata/*.yaml, default feature gates).
 *
 *   npx tsx scripts/gen-bootstrap-policy.ts --fetch           # download v1.16.0 … v1.37.0 with `go mod download`
 *   npx tsx scripts/gen-bootstrap-policy.ts --from DIR        # DIR/v1.N.0/{*.yaml,SUM} already on disk
 *   add --check to exit 1 when the committed module differs instead of writing it
 *
 * Identical objects across versions are stored once with the minor-version ranges they exist in, and identical
 * rules once in a table, so 22 versions stay small. The pure functions here are exported for the test that
 * compares the committed data with upstream's files for the pinned newest version
 * (src/core/rbac/__fixtures__/bootstrap-upstream/).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parse } from "yaml";

/** Oldest and newest modelled minor versions (1.N). */
export const FIRST_MINOR = 16;
export const LAST_MINOR = 37;

/** The upstream golden files that make up the default bootstrap policy (not the all-feature-gates variant). */
export const UPSTREAM_FILES = [
  "cluster-roles.yaml",
  "cluster-role-bindings.yaml",
  "controller-roles.yaml",
  "controller-role-bindings.yaml",
  "namespace-roles.yaml",
  "namespace-role-bindings.yaml",
] as const;
export const UPSTREAM_DIR = "plugin/pkg/auth/authorizer/rbac/bootstrappolicy/testdata";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const DATA_PATH = join(ROOT, "src", "core", "rbac", "bootstrap-data.ts");

const BOOTSTRAP_LABEL = "kubernetes.io/bootstrapping";

type Kind = "ClusterRole" | "ClusterRoleBinding" | "Role" | "RoleBinding";
/** [verbs, apiGroups, resources, resourceNames, nonResourceURLs] */
export type RuleRow = [string[], string[], string[], string[], string[]];

/** One upstream object, normalised: what the analyzers read, nothing else. */
export interface PolicyObject {
  kind: Kind;
  namespace?: string;
  name: string;
  /** Labels other than kubernetes.io/bootstrapping=rbac-defaults (every bootstrap object has that one). */
  labels: Record<string, string>;
  rules: RuleRow[];
  /** aggregationRule.clusterRoleSelectors (upstream uses matchLabels only; anything else is refused). */
  aggregate?: Record<string, string>[];
  roleRef?: [string, string];
  /** [kind, name] or [kind, name, namespace] */
  subjects?: string[][];
}

const strings = (v: unknown, what: string): string[] => {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || !v.every((x) => typeof x === "string"))
    throw new Error(`${what}: not a string list`);
  return v as string[];
};
const rec = (v: unknown, what: string): Record<string, unknown> => {
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new Error(`${what}: not an object`);
  return v as Record<string, unknown>;
};

/** Parse one upstream testdata file (a v1 List) into normalised objects. Throws on anything unexpected. */
export function parseUpstreamFile(text: string, file: string): PolicyObject[] {
  const doc = rec(parse(text), file);
  if (!Array.isArray(doc.items)) throw new Error(`${file}: no items`);
  return doc.items.map((raw, i) => {
    const where = `${file} items[${i}]`;
    const o = rec(raw, where);
    const kind = o.kind;
    if (kind !== "ClusterRole" && kind !== "ClusterRoleBinding" && kind !== "Role" && kind !== "RoleBinding")
      throw new Error(`${where}: unexpected kind ${String(kind)}`);
    const md = rec(o.metadata, `${where}.metadata`);
    if (typeof md.name !== "string") throw new Error(`${where}: no name`);
    const labels: Record<string, string> = {};
    for (const [k, v] of Object.entries(rec(md.labels ?? {}, `${where}.labels`))) {
      if (typeof v !== "string") throw new Error(`${where}: label ${k} is not a string`);
      if (k === BOOTSTRAP_LABEL) {
        if (v !== "rbac-defaults") throw new Error(`${where}: ${k}=${v}`);
        continue;
      }
      labels[k] = v;
    }
    if ((md.labels as Record<string, unknown> | undefined)?.[BOOTSTRAP_LABEL] !== "rbac-defaults")
      throw new Error(`${where}: missing ${BOOTSTRAP_LABEL} label`);
    const out: PolicyObject = { kind, name: md.name, labels, rules: [] };
    if (typeof md.namespace === "string") out.namespace = md.namespace;
    if (kind === "ClusterRole" || kind === "Role") {
      out.rules = ((o.rules ?? []) as unknown[]).map((r, j) => {
        const rr = rec(r, `${where}.rules[${j}]`);
        return [
          strings(rr.verbs, "verbs"),
          strings(rr.apiGroups, "apiGroups"),
          strings(rr.resources, "resources"),
          strings(rr.resourceNames, "resourceNames"),
          strings(rr.nonResourceURLs, "nonResourceURLs"),
        ];
      });
      if (o.aggregationRule !== undefined && o.aggregationRule !== null) {
        const sels = rec(o.aggregationRule, `${where}.aggregationRule`).clusterRoleSelectors;
        if (!Array.isArray(sels)) throw new Error(`${where}: aggregationRule without clusterRoleSelectors`);
        out.aggregate = sels.map((s, j) => {
          const sel = rec(s, `${where}.clusterRoleSelectors[${j}]`);
          if (sel.matchExpressions !== undefined) throw new Error(`${where}: matchExpressions not modelled`);
          return Object.fromEntries(
            Object.entries(rec(sel.matchLabels ?? {}, "matchLabels")).map(([k, v]) => [k, String(v)]),
          );
        });
      }
    } else {
      const ref = rec(o.roleRef, `${where}.roleRef`);
      out.roleRef = [String(ref.kind), String(ref.name)];
      out.subjects = ((o.subjects ?? []) as unknown[]).map((s, j) => {
        const ss = rec(s, `${where}.subjects[${j}]`);
        const row = [String(ss.kind), String(ss.name)];
        if (typeof ss.namespace === "string" && ss.namespace !== "") row.push(ss.namespace);
        return row;
      });
    }
    return out;
  });
}

/** Every object of one version's files, in a stable order (kind, namespace, name). */
export function parseUpstreamVersion(files: Readonly<Record<string, string>>): PolicyObject[] {
  const all = UPSTREAM_FILES.flatMap((f) => {
    const text = files[f];
    if (text === undefined) throw new Error(`missing ${f}`);
    return parseUpstreamFile(text, f);
  });
  const key = (o: PolicyObject) => `${o.kind}\u0000${o.namespace ?? ""}\u0000${o.name}`;
  return all.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/** Canonical text of an object (rules in upstream order: aggregation and evidence read them in order). */
export const objectText = (o: PolicyObject): string =>
  JSON.stringify([
    o.kind,
    o.namespace ?? "",
    o.name,
    o.labels,
    o.rules,
    o.aggregate ?? null,
    o.roleRef ?? null,
    o.subjects ?? null,
  ]);

export interface UpstreamVersion {
  minor: number;
  /** Module version the files came from, e.g. v1.37.0. */
  version: string;
  /** Go module checksum (go.sum h1: hash) of k8s.io/kubernetes at that version. */
  sum: string;
  objects: PolicyObject[];
}

/** Render the committed data module (before formatting). */
export function renderBootstrapData(versions: readonly UpstreamVersion[]): string {
  const rules: string[] = [];
  const ruleIndex = new Map<string, number>();
  const ruleId = (r: RuleRow) => {
    const t = JSON.stringify(r);
    let i = ruleIndex.get(t);
    if (i === undefined) {
      i = rules.length;
      rules.push(t);
      ruleIndex.set(t, i);
    }
    return i;
  };
  const entries = new Map<string, { obj: PolicyObject; minors: number[] }>();
  for (const v of [...versions].sort((a, b) => a.minor - b.minor))
    for (const o of v.objects) {
      const t = objectText(o);
      const e = entries.get(t) ?? { obj: o, minors: [] };
      entries.set(t, e);
      e.minors.push(v.minor);
    }
  const ranges = (ms: number[]) => {
    const out: number[] = [];
    for (const m of ms) {
      if (out.length > 0 && out[out.length - 1] === m - 1) out[out.length - 1] = m;
      else out.push(m, m);
    }
    return out;
  };
  const rows = [...entries.values()].map(({ obj, minors }) => {
    const row: Record<string, unknown> = { v: ranges(minors), kind: obj.kind };
    if (obj.namespace !== undefined) row.namespace = obj.namespace;
    row.name = obj.name;
    if (Object.keys(obj.labels).length > 0) row.labels = obj.labels;
    if (obj.kind === "ClusterRole" || obj.kind === "Role") row.rules = obj.rules.map(ruleId);
    if (obj.aggregate) row.aggregate = obj.aggregate;
    if (obj.roleRef) row.roleRef = obj.roleRef;
    if (obj.subjects) row.subjects = obj.subjects;
    return JSON.stringify(row);
  });
  const sources = [...versions]
    .sort((a, b) => a.minor - b.minor)
    .map((v) => `  [${v.minor}, ${JSON.stringify(v.version)}, ${JSON.stringify(v.sum)}],`);
  return renderDataModule(sources, rules, rows);
}

/**
 * The data module's text from its rows: the version list as a literal, the rules and objects as JSON texts in
 * template literals (one row per line) given to JSON.parse. They are one string each in the CLI's code cache, where
 * array and object literals were a boilerplate object per row (a seventh of the RBAC chunk's cache, deserialised on
 * every run) and built by interpreted code on every start. They are parsed on first use, not at load: a scan whose
 * input holds no RBAC object never needs them, and parsed at load they were a quarter of a one-file scan's young
 * garbage, copied by both of its scavenges (docs/benchmarks.md, Start-up).
 */
export function renderDataModule(
  sources: readonly string[],
  rules: readonly string[],
  rows: readonly string[],
): string {
  for (const r of [...rules, ...rows])
    if (/[`\\]|\$\{/.test(r)) throw new Error(`a row the template literal would change: ${r}`);
  return `/**
 * GENERATED by \`npx tsx scripts/gen-bootstrap-policy.ts\`: do not edit by hand.
 *
 * The kube-apiserver bootstrap RBAC policy (k8s.io/kubernetes ${UPSTREAM_DIR}, default feature gates) for
 * Kubernetes 1.${FIRST_MINOR} to 1.${LAST_MINOR}. Every object carries the label kubernetes.io/bootstrapping=rbac-defaults and the
 * annotation rbac.authorization.kubernetes.io/autoupdate=true upstream; they are not repeated here.
 * The rules and objects are JSON texts (no backslash, backtick or \`\${\` in them: the generator checks).
 */
import type { BootstrapEntry, BootstrapRuleRow } from "./bootstrap-types.js";

/** [minor, module version, go.sum h1: checksum of the k8s.io/kubernetes module] of every modelled version. */
export const BOOTSTRAP_SOURCES: readonly (readonly [number, string, string])[] = [
${sources.join("\n")}
];

let rules: readonly BootstrapRuleRow[] | undefined;
let entries: readonly BootstrapEntry[] | undefined;

/** Distinct rules: [verbs, apiGroups, resources, resourceNames, nonResourceURLs]. Parsed on first use. */
export function bootstrapRules(): readonly BootstrapRuleRow[] {
  rules ??= JSON.parse(\`[
${rules.join(",\n")}
]\`) as BootstrapRuleRow[];
  return rules;
}

/** Distinct objects; \`v\` lists inclusive [from, to] minor-version ranges, \`rules\` index bootstrapRules(). */
export function bootstrapEntries(): readonly BootstrapEntry[] {
  entries ??= JSON.parse(\`[
${rows.join(",\n")}
]\`) as BootstrapEntry[];
  return entries;
}
`;
}

function format(text: string): string {
  const bin = join(ROOT, "node_modules", ".bin", "biome");
  const r = spawnSync(bin, ["format", `--stdin-file-path=${DATA_PATH}`], { input: text, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`biome format failed: ${r.stderr}`);
  return r.stdout;
}

/** Read DIR/v1.N.0/{files, SUM} for every modelled minor. */
export function readUpstreamDir(dir: string): UpstreamVersion[] {
  const out: UpstreamVersion[] = [];
  for (let minor = FIRST_MINOR; minor <= LAST_MINOR; minor++) {
    const version = `v1.${minor}.0`;
    const d = join(dir, version);
    const files: Record<string, string> = {};
    for (const f of UPSTREAM_FILES) files[f] = readFileSync(join(d, f), "utf8");
    const sum = readFileSync(join(d, "SUM"), "utf8").trim();
    out.push({ minor, version, sum, objects: parseUpstreamVersion(files) });
  }
  return out;
}

/** `go mod download` each version into a throw-away module cache and keep only the testdata files. */
function fetchUpstream(dir: string): void {
  const cache = mkdtempSync(join(tmpdir(), "palisade-gomod-"));
  try {
    for (let minor = FIRST_MINOR; minor <= LAST_MINOR; minor++) {
      const version = `v1.${minor}.0`;
      const out = join(dir, version);
      if (existsSync(join(out, "SUM"))) continue;
      const info = JSON.parse(
        execFileSync("go", ["mod", "download", "-json", `k8s.io/kubernetes@${version}`], {
          env: { ...process.env, GOMODCACHE: cache, GOFLAGS: "-modcacherw" },
          encoding: "utf8",
          maxBuffer: 1 << 20,
        }),
      ) as { Dir: string; Sum: string };
      mkdirSync(out, { recursive: true });
      for (const f of UPSTREAM_FILES) cpSync(join(info.Dir, UPSTREAM_DIR, f), join(out, f));
      writeFileSync(join(out, "SUM"), `${info.Sum}\n`);
      rmSync(info.Dir, { recursive: true, force: true });
      process.stderr.write(`fetched ${version}\n`);
    }
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
}

function main(argv: string[]): number {
  const fromIdx = argv.indexOf("--from");
  let dir = fromIdx >= 0 ? argv[fromIdx + 1] : undefined;
  if (argv.includes("--fetch")) {
    dir ??= join(tmpdir(), "palisade-bootstrap-upstream");
    fetchUpstream(dir);
  }
  if (!dir) {
    process.stderr.write("usage: gen-bootstrap-policy.ts (--fetch | --from DIR) [--check]\n");
    return 2;
  }
  const text = format(renderBootstrapData(readUpstreamDir(dir)));
  if (argv.includes("--check")) {
    const current = existsSync(DATA_PATH) ? readFileSync(DATA_PATH, "utf8") : "";
    if (current === text) return 0;
    process.stderr.write(`${DATA_PATH} is out of date\n`);
    return 1;
  }
  writeFileSync(DATA_PATH, text);
  process.stdout.write(`wrote ${DATA_PATH} (${text.length} bytes)\n`);
  return 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exitCode = main(process.argv.slice(2));
}
