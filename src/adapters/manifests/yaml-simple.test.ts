/**
 * The simple-YAML fast path against the `yaml` package: the loader must give the same objects, positions,
 * document numbers, coverage and `locate` answers whichever path reads the text. Differential over the fixtures
 * and example manifests, a pathological cases section, and random documents written with hostile scalars.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Document } from "yaml";
import { formatFieldPath, type PathSegment } from "../../core/inventory/index.js";
import { DEFAULT_LIMITS, type LoadLimits } from "./limits.js";
import { parseYamlText, YAML_OPTIONS } from "./yaml-docs.js";
import { anyOf, parseSimpleYaml } from "./yaml-simple.js";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return yamlFiles(p);
    return /\.ya?ml$/.test(name) ? [p] : [];
  });
}

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

/** Everything the loader gives for a text, locate answers included. */
function load(text: string, simple: boolean, limits: LoadLimits = DEFAULT_LIMITS) {
  const r = parseYamlText(text, "f.yaml", limits, { keepDocuments: true, simple });
  return {
    objects: r.objects.map((o) => ({
      object: o.object,
      source: { ...o.source, locate: undefined },
      located: pathsOf(o.object).map((p) => [p, o.source?.locate?.(p)]),
    })),
    coverage: r.coverage,
  };
}

/** Same result both ways; returns whether the fast path took the text (so a test can check it ran). */
function expectSame(text: string, limits: LoadLimits = DEFAULT_LIMITS): boolean {
  expect(load(text, true, limits)).toEqual(load(text, false, limits));
  return parseSimpleYaml(text, YAML_OPTIONS, limits.maxDepth) !== undefined;
}

describe("simple YAML against the yaml package", () => {
  const files = [
    ...yamlFiles(join(ROOT, "src", "adapters", "manifests", "__fixtures__")),
    ...yamlFiles(join(ROOT, "examples")),
  ];

  it("reads the fixtures and example manifests exactly as the yaml package does, most of them on the fast path", () => {
    let fast = 0;
    for (const f of files) if (expectSame(readFileSync(f, "utf8"))) fast++;
    expect(files.length).toBeGreaterThan(80);
    expect(fast).toBeGreaterThan(files.length * 0.8);
  });

  describe("pathological cases", () => {
    const taken: Record<string, string> = {
      "YAML 1.1 scalars": [
        "kind: A",
        "a: yes",
        "b: off",
        "c: 0755",
        "d: 0x1F",
        "e: 0b101",
        "f: 1_000",
        "g: -1.5e3",
        "h: .inf",
        "i: ~",
        "j: 2001-12-14",
        "k: 1:20",
        "l: +12",
        "m: .5",
        "nn: 'it''s'",
        'o: "double"',
        "p: a#b",
        "q: b # comment",
        "r: 'q' # comment",
        "s: http://x:80/y",
        "t: --flag=1",
        "v:",
        "w:    spaced   ",
        "x: null",
        "yy: NULL",
        "z: Y",
      ].join("\n"),
      "sequences at and inside the key's indentation, maps in items, empty collections": [
        "kind: B",
        "a:",
        "- x",
        "- k: v",
        "  l: [] # empty",
        "  m:",
        "  - {}",
        "  - []",
        "b:",
        "    - 1",
        "    - 2",
        "c: {}",
      ].join("\n"),
      "empty documents and markers count as yaml numbers them":
        "# lead\n---\n# only\n---\nkind: C\n---\n---\nkind: D\n---",
      "a document before the first marker": "kind: E\n---\nkind: F\n",
    };
    for (const [name, text] of Object.entries(taken)) it(name, () => expect(expectSame(text)).toBe(true));

    const rejected: Record<string, string> = {
      "keys YAML 1.1 reads as booleans, numbers, null or merge": "on: 1\ny: 2\n0: 3\nnull: 4\n",
      "merge keys and anchors": "a: &x {b: 1}\nc:\n  <<: *x\n",
      "quoted keys": '"a b": 1\n',
      "duplicate keys": "a: 1\na: 2\n",
      "prototype keys": "__proto__: {a: 1}\nconstructor: x\n",
      "a mapping inside a scalar": "a: b: c\n",
      "escapes in double quotes": 'a: "x\\ny"\n',
      "an unclosed quote": "a: 'b\n",
      "text after a closing quote": "a: 'b'c\n",
      "a sequence on the key's line": "a: - b\n",
      "continuation lines": "a: b\n  c\n",
      "continuation after a blank line": "a: b\n\n  c: d\n",
      "bad indentation": "a:\n    b: 1\n  c: 2\n",
      "block scalars": "a: |\n  x\n",
      "flow collections": "a: [x, y]\nb: {c: 1}\n",
      "tabs and CR": "a:\t1\r\n",
      "directives and document end": "%YAML 1.1\n---\na: 1\n...\n",
      "a document that is a sequence or a scalar": "- a\n---\njust text\n",
      "no space after the key": "key:value\nother: 1\n",
      "a key of 1024 characters": `${"k".repeat(1024)}: 1\n`,
    };
    for (const [name, text] of Object.entries(rejected))
      it(`${name}: left to the yaml package`, () => {
        expect(parseSimpleYaml(text, YAML_OPTIONS, DEFAULT_LIMITS.maxDepth)).toBeUndefined();
        expectSame(text);
      });

    it("nesting at the depth limit is left to the yaml package, which reports it", () => {
      const limits = { ...DEFAULT_LIMITS, maxDepth: 3 };
      const text = "a:\n  b:\n    c:\n      d: 1\n";
      expect(parseSimpleYaml(text, YAML_OPTIONS, 3)).toBeUndefined();
      expectSame(text, limits);
      expect(load(text, true, limits).coverage).toHaveLength(1);
    });

    it("Secrets and Lists take the yaml path (their values are blanked there)", () => {
      expectSame("kind: Secret\nstringData:\n  password: hunter2\n");
      expectSame("kind: List\nitems:\n- kind: Secret\n  data:\n    a: YQ==\n");
    });
  });

  it("reads random block documents with hostile keys and scalars exactly as the yaml package does", () => {
    // Mostly what the fast path reads, sometimes what it must refuse (the yaml package then reads it).
    const key = fc.oneof(
      { weight: 60, arbitrary: fc.stringMatching(/^[a-z]{2}[a-z0-9./-]{0,4}$/) },
      {
        weight: 1,
        arbitrary: fc.constantFrom("on", "y", "no", "0", "<<", "null", "__proto__", "k k", "a:b"),
      },
    );
    const scalar = fc.oneof(
      {
        weight: 60,
        arbitrary: fc.constantFrom(
          "v",
          "yes",
          "1",
          "01",
          "0x1",
          "1e3",
          ".5",
          "-1",
          "--x",
          "~",
          "1_0",
          "2001-01-01",
          "1:2",
          "[]",
          "{}",
          "a#b",
          "a'b",
          "'q'",
          "'it''s'",
          '"d"',
          "",
          "x   ",
          "a #b",
          "'q' # c",
          "# c",
        ),
      },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          "-",
          "- a",
          "a: b",
          "'bad",
          '"e\\n"',
          "[a]",
          "&a",
          "*a",
          "!t",
          "|",
          "%p",
          "@at",
          "'q'x",
        ),
      },
    );
    type Tree = string | { map: [string, Tree][] } | { seq: Tree[] };
    const { tree } = fc.letrec<{ tree: Tree; map: Tree; seq: Tree }>((tie) => ({
      tree: fc.oneof({ depthSize: "small", withCrossShrink: true }, scalar, tie("map"), tie("seq")),
      map: fc.record({ map: fc.array(fc.tuple(key, tie("tree")), { minLength: 1, maxLength: 4 }) }),
      // Items are mostly scalars and maps: `- - x` (a sequence in a sequence) is refused by the fast path.
      seq: fc.record({
        seq: fc.array(
          fc.oneof(
            { weight: 6, arbitrary: fc.oneof(scalar, tie("map")) },
            { weight: 1, arbitrary: tie("seq") },
          ),
          {
            minLength: 1,
            maxLength: 3,
          },
        ),
      }),
    }));
    const render = (t: Tree, indent: number, seqIndent: number, out: string[]): void => {
      const pad = " ".repeat(indent);
      if (typeof t === "string") throw new Error("scalars are rendered by their parent");
      if ("map" in t)
        for (const [k, v] of t.map) {
          if (typeof v === "string") out.push(`${pad}${k}: ${v}`);
          else {
            out.push(`${pad}${k}:`);
            render(v, "seq" in v ? indent + seqIndent : indent + 2, seqIndent, out);
          }
        }
      else
        for (const item of t.seq) {
          if (typeof item === "string") out.push(`${pad}- ${item}`);
          else {
            const inner: string[] = [];
            render(item, indent + 2, seqIndent, inner);
            const first = inner[0] ?? "";
            // `- key: v` and `- - x` put the item's first line on the dash's line.
            out.push(`${pad}- ${first.slice(indent + 2)}`, ...inner.slice(1));
          }
        }
    };
    let fast = 0;
    let runs = 0;
    fc.assert(
      fc.property(
        fc.array(fc.record({ map: fc.array(fc.tuple(key, tree), { minLength: 1, maxLength: 4 }) }), {
          minLength: 1,
          maxLength: 3,
        }),
        fc.constantFrom(0, 2),
        fc.array(fc.nat(), { maxLength: 3 }),
        (docs, seqIndent, comments) => {
          const lines: string[] = [];
          docs.forEach((d, i) => {
            if (i > 0) lines.push("---");
            render(d, 0, seqIndent, lines);
          });
          // Comment and blank lines at random places.
          for (const c of comments) lines.splice(c % (lines.length + 1), 0, c % 2 ? "# note" : "");
          runs++;
          if (expectSame(lines.join("\n"))) fast++;
        },
      ),
      { numRuns: 400 },
    );
    // Both paths must have been compared on many documents, not only on the ones the fast path refuses.
    expect(fast).toBeGreaterThan(runs / 10);
  });

  it("reads the example manifests with random edits exactly as the yaml package does", () => {
    const texts = files.map((f) => readFileSync(f, "utf8")).filter((t) => t.length < 20_000);
    const edit = fc.record({
      at: fc.nat(),
      cut: fc.nat({ max: 6 }),
      insert: fc.constantFrom(
        "",
        " ",
        "  ",
        "\n",
        "\n\n",
        "-",
        "- ",
        ":",
        ": ",
        "#",
        " #",
        "'",
        '"',
        "a",
        "---\n",
        "{}",
        "[]",
        "0",
      ),
    });
    let fast = 0;
    let runs = 0;
    fc.assert(
      fc.property(fc.nat(), fc.array(edit, { minLength: 1, maxLength: 3 }), (pick, edits) => {
        let text = texts[pick % texts.length] ?? "";
        for (const e of edits) {
          const at = e.at % (text.length + 1);
          text = text.slice(0, at) + e.insert + text.slice(at + e.cut);
        }
        runs++;
        if (expectSame(text)) fast++;
      }),
      { numRuns: 300 },
    );
    expect(fast).toBeGreaterThan(runs / 10);
  });
});

describe("anyOf (the scalar tags' prefilter)", () => {
  // The tests the fast path resolves plain scalars with: the manifest loader's YAML 1.1 schema.
  const tests = (
    new Document(null, YAML_OPTIONS).schema as unknown as { tags: { default?: unknown; test?: RegExp }[] }
  ).tags
    .filter((t) => t.default === true && t.test !== undefined)
    .map((t) => t.test as RegExp);

  it("matches exactly the strings some tag's test matches", () => {
    const any = anyOf(tests);
    expect(any).toBeDefined();
    expect(tests.length).toBeGreaterThan(5);
    const scalarish = fc.oneof(
      fc.string({ unit: fc.constantFrom(..."0123456789+-._eExXbBoaAfFnNyYtTlLuUrsSiI~ \n"), maxLength: 12 }),
      fc.constantFrom(
        "",
        "~",
        "null",
        "Null",
        "yes",
        "On",
        "OFF",
        "0x1F",
        "0b101",
        "017",
        "1_000",
        ".inf",
        "-.Inf",
        ".NaN",
        "1e3",
        "1.5",
        "v1",
      ),
      fc.string({ maxLength: 12 }),
    );
    fc.assert(
      fc.property(scalarish, (s) => {
        expect(any?.test(s)).toBe(tests.some((t) => t.test(s)));
      }),
      { numRuns: 5000 },
    );
  });

  it("declines patterns it cannot join as they are", () => {
    expect(anyOf([])).toBeUndefined();
    expect(anyOf([/^a$/i, /^b$/])).toBeUndefined();
    expect(anyOf([/^(a)\1$/, /^b$/])).toBeUndefined();
    expect(anyOf([/^(?<x>a)$/, /^b$/])).toBeUndefined();
    expect(anyOf([/^(?:a)$/, /^b$/])?.source).toBe("(?:^(?:a)$)|(?:^b$)");
  });
});
