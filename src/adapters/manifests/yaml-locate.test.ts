/**
 * `locate` answers from the documents composed at load while they are kept, and re-parses a document from the
 * kept text otherwise (large inputs, files with Secret values). Both must give the same location for every field
 * path: a differential check over the fixtures, the example manifests, hostile layouts and random documents.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { formatFieldPath, type PathSegment } from "../../core/inventory/index.js";
import { DEFAULT_LIMITS } from "./limits.js";
import { parseYamlText } from "./yaml-docs.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return yamlFiles(p);
    return /\.ya?ml$/.test(name) ? [p] : [];
  });
}

/** Every path into a value (maps and sequences), plus a missing key and index under each container. */
function pathsOf(value: unknown, prefix: PathSegment[] = [], out: string[] = []): string[] {
  out.push(formatFieldPath(prefix));
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      pathsOf(v, [...prefix, i], out);
    });
    out.push(formatFieldPath([...prefix, value.length]));
  } else if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) pathsOf(v, [...prefix, k], out);
    out.push(formatFieldPath([...prefix, "no-such-key"]));
  }
  return out;
}

/** Locations of every path of every object, with the documents kept or re-parsed. */
function locations(text: string, keepDocuments: boolean): unknown[] {
  const r = parseYamlText(text, "f.yaml", DEFAULT_LIMITS, { keepDocuments });
  return r.objects.map((o) => pathsOf(o.object).map((p) => [p, o.source?.locate?.(p)]));
}

function expectSameLocations(text: string): void {
  const kept = locations(text, true);
  expect(kept).toEqual(locations(text, false));
}

describe("locate: kept documents against re-parsing", () => {
  const files = [
    ...yamlFiles(join(ROOT, "src", "adapters", "manifests", "__fixtures__")),
    ...yamlFiles(join(ROOT, "examples", "demo", "manifests")),
  ];

  it("finds the fixtures and example manifests (the checks below would otherwise pass on nothing)", () => {
    expect(files.length).toBeGreaterThan(50);
    const n = files.reduce((sum, f) => sum + locations(readFileSync(f, "utf8"), true).length, 0);
    expect(n).toBeGreaterThan(200);
  });

  it("gives the same location for every field path of the fixtures and example manifests", () => {
    for (const f of files) expectSameLocations(readFileSync(f, "utf8"));
  });

  describe("pathological cases", () => {
    const cases: Record<string, string> = {
      "anchors, aliases and merge keys": [
        "base: &b {app: x, tier: web}",
        "kind: ConfigMap",
        "metadata:",
        "  labels:",
        "    <<: *b",
        "    tier: db",
        "  annotations: *b",
        "data: {a: '1'}",
      ].join("\n"),
      "documents after directives and markers, indented contents, comments": [
        "%YAML 1.1",
        "---",
        "# comment",
        "kind: A",
        "...",
        "--- # after the marker",
        "  kind: B",
        "  spec:",
        "    - {x: [1, 2, {y: z}]}",
        "---",
        "",
        "---",
        "kind: C",
      ].join("\n"),
      "CRLF line ends and quoted keys with dots":
        "kind: D\r\nmetadata:\r\n  \"a.b/c\": 1\r\n  'd e': [x, y]\r\n",
      "flow mapping document": "{kind: E, spec: {containers: [{name: c, image: i}]}}",
      "a List with items": "kind: List\nitems:\n- kind: ConfigMap\n  data: {k: v}\n- kind: Pod\n  spec: {}\n",
      "a broken document between good ones": "kind: F\n---\nkey: [unclosed\n---\nkind: G\n",
      "a Secret (its values are blanked, both ways)":
        "kind: Secret\nmetadata: {name: s}\nstringData:\n  password: hunter2\n---\nkind: ConfigMap\ndata: {a: b}\n",
    };
    for (const [name, text] of Object.entries(cases)) it(name, () => expectSameLocations(text));
  });

  it("gives the same location on random documents written in block and flow styles", () => {
    const key = fc.oneof(
      fc.constantFrom("a", "b", "kind", "a.b", "x y", "<<", "on", "0"),
      fc.string({ maxLength: 4 }),
    );
    const leaf = fc.oneof(fc.string({ maxLength: 6 }), fc.integer(), fc.boolean(), fc.constant(null));
    const { tree } = fc.letrec((tie) => ({
      tree: fc.oneof({ depthSize: "small" }, leaf, tie("map"), tie("seq")),
      map: fc.dictionary(key, tie("tree"), { maxKeys: 4 }),
      seq: fc.array(tie("tree"), { maxLength: 4 }),
    }));
    fc.assert(
      fc.property(
        fc.array(fc.dictionary(key, tree, { minKeys: 1, maxKeys: 5 }), { minLength: 1, maxLength: 3 }),
        fc.constantFrom(false, true),
        (docs, flow) => {
          const text = docs.map((d) => stringify(d, flow ? { collectionStyle: "flow" } : {})).join("---\n");
          expectSameLocations(text);
        },
      ),
      { numRuns: 200 },
    );
  });
});
