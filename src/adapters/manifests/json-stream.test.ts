import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Budget } from "../../core/budget/index.js";
import type { CoverageEntry } from "../../core/findings/index.js";
import type { RawObject } from "../../core/inventory/index.js";
import { parseJsonText } from "./json-docs.js";
import { type JsonStreamOptions, streamJsonObjects } from "./json-stream.js";
import { DEFAULT_SNAPSHOT_LIMITS } from "./limits.js";

/** Cut text into chunks at the given sizes (cycled), as a byte stream would arrive. */
function* chunks(text: string, sizes: number[], bytes: boolean): Generator<Uint8Array | string> {
  let at = 0;
  let k = 0;
  const all = bytes ? Buffer.from(text) : text;
  while (at < all.length) {
    const n = Math.max(1, sizes[k++ % sizes.length] ?? 1);
    yield all.slice(at, at + n);
    at += n;
  }
}

async function collect(
  src: Iterable<Uint8Array | string>,
  opts: JsonStreamOptions,
): Promise<{ objects: RawObject[]; coverage: CoverageEntry[]; list?: Record<string, unknown> }> {
  const objects: RawObject[] = [];
  const coverage: CoverageEntry[] = [];
  let list: Record<string, unknown> | undefined;
  for await (const ev of streamJsonObjects(
    (async function* () {
      yield* src;
    })(),
    opts,
  )) {
    if (ev.type === "object") objects.push(ev.raw);
    else if (ev.type === "coverage") coverage.push(ev.entry);
    else list = ev.list;
  }
  return list ? { objects, coverage, list } : { objects, coverage };
}

const plain = (objects: RawObject[]) => objects.map((o) => ({ object: o.object, source: o.source }));

const jsonValue = fc.jsonValue({ maxDepth: 3 }).filter((v) => JSON.stringify(v) !== undefined);
const obj = fc.oneof(
  fc.record({
    apiVersion: fc.constant("v1"),
    kind: fc.constantFrom("ConfigMap", "Pod"),
    metadata: fc.record({ name: fc.string(), annotations: fc.dictionary(fc.string(), fc.string()) }),
    data: fc.dictionary(fc.string(), fc.string({ unit: "binary" })),
  }),
  jsonValue,
  fc.constant({ metadata: { name: "typed" }, spec: { "\\": '"]' } }),
);

describe("streamJsonObjects (differential against JSON.parse of the whole text)", () => {
  it("yields the same objects, positions and coverage for any chunking, indentation and strings", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(obj, { maxLength: 6 }),
        fc.constantFrom(0, 1, 2, 4, "\t"),
        fc.constantFrom("List", "PodList", "array"),
        fc.boolean(),
        fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        async (items, indent, shape, kindFirst, sizes, bytes) => {
          const root =
            shape === "array"
              ? items
              : kindFirst
                ? { kind: shape, apiVersion: "v1", metadata: { "x]": "[{" }, items }
                : { apiVersion: "v1", items, kind: shape, metadata: { continue: "abc" } };
          const text = JSON.stringify(root, null, indent);
          const whole = parseJsonText(text, "f.json", DEFAULT_SNAPSHOT_LIMITS, { strict: true });
          const streamed = await collect(chunks(text, sizes, bytes), { file: "f.json" });
          const byIndex = (a: RawObject, b: RawObject) => (a.source?.index ?? 0) - (b.source?.index ?? 0);
          expect(plain(streamed.objects.sort(byIndex))).toEqual(plain(whole?.objects ?? []));
          expect(streamed.coverage.map((c) => [c.reason, c.location?.line, c.location?.column])).toEqual(
            whole?.coverage.map((c) => [c.reason, c.location?.line, c.location?.column]),
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it("gives the same for pretty-printed elements read whole from large chunks (the fast path)", async () => {
    // The reference is the same reader given 3-byte chunks, where no element is ever whole in one chunk.
    await fc.assert(
      fc.asyncProperty(
        fc.array(obj, { maxLength: 8 }),
        fc.constantFrom(1, 2, 4, 8),
        fc.constantFrom("List", "array"),
        fc.constantFrom(64, 200, 1000, 1 << 20),
        fc.boolean(),
        fc.integer({ min: 1, max: 8 }),
        async (items, indent, shape, size, bytes, maxDepth) => {
          const root = shape === "array" ? items : { apiVersion: "v1", items, kind: shape };
          const text = JSON.stringify(root, null, indent);
          const slow = await collect(chunks(text, [3], bytes), { file: "f.json", maxDepth });
          const fast = await collect(chunks(text, [size], bytes), { file: "f.json", maxDepth });
          expect(fast).toEqual(slow);
          if (maxDepth >= 8) {
            const whole = parseJsonText(text, "f.json", DEFAULT_SNAPSHOT_LIMITS, { strict: true });
            const byIndex = (a: RawObject, b: RawObject) => (a.source?.index ?? 0) - (b.source?.index ?? 0);
            expect(plain([...fast.objects].sort(byIndex))).toEqual(plain(whole?.objects ?? []));
          }
        },
      ),
      { numRuns: 400 },
    );
  });

  it("reports the list without its items (an API page's metadata.continue)", async () => {
    const text = '{"kind":"PodList","apiVersion":"v1","metadata":{"continue":"tok"},"items":[]}';
    const r = await collect([text], { file: "page" });
    expect(r).toEqual({
      objects: [],
      coverage: [],
      list: { kind: "PodList", apiVersion: "v1", metadata: { continue: "tok" } },
    });
  });

  it("reads a single object and types the items of a typed list whose kind comes after them", async () => {
    const single = await collect(['{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"a"}}'], {
      file: "f",
    });
    expect(plain(single.objects)).toEqual([
      {
        object: { apiVersion: "v1", kind: "Namespace", metadata: { name: "a" } },
        source: { file: "f", line: 1, column: 1, index: 0 },
      },
    ]);
    const late = await collect(
      ['{"items":[{"metadata":{"name":"a"}}],"kind":"NamespaceList","apiVersion":"v1"}'],
      {
        file: "f",
      },
    );
    expect(late.objects.map((o) => o.object)).toEqual([
      { apiVersion: "v1", kind: "Namespace", metadata: { name: "a" } },
    ]);
  });
});

describe("pathological cases", () => {
  it("keeps what was read before a truncation, a broken element or bad structure, naming the line", async () => {
    const cm = (n: string) => `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"${n}"}}`;
    const truncated = await collect([`{"kind":"List","items":[\n${cm("a")},\n${cm("b")},\n{"apiVer`], {
      file: "t.json",
    });
    expect(truncated.objects.map((o) => (o.object.metadata as { name: string }).name)).toEqual(["a", "b"]);
    expect(truncated.coverage.map((c) => [c.reason, c.location?.line])).toEqual([["parse-error", 4]]);
    const broken = await collect([`[\n${cm("a")},\n{"kind": },\n${cm("c")}]`], { file: "b.json" });
    expect(broken.objects.map((o) => (o.object.metadata as { name: string }).name)).toEqual(["a", "c"]);
    expect(broken.coverage).toEqual([
      {
        reason: "parse-error",
        message: "invalid JSON in item 1: Unexpected token '}'",
        subject: "b.json",
        location: { file: "b.json", line: 3, column: 10 },
      },
    ]);
    const missingComma = await collect([`[${cm("a")} ${cm("b")}]`], { file: "m.json" });
    expect(missingComma.objects).toHaveLength(1);
    expect(missingComma.coverage.map((c) => c.message)).toEqual([
      "invalid JSON: expected ',' or ']' after an element; the rest of the input was not read",
    ]);
  });

  it("reads pretty-printed elements whose first closing line at their column is not their end", async () => {
    const lines = [
      "[",
      "  {",
      '    "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}, "data": {',
      "  }",
      "  },",
      "  {",
      '    "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "b"},',
      '    "data": {"k": "}\\n  }"}',
      '  }, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "b2"}},',
      "  {",
      '    "kind": ',
      "  },",
      '  {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}',
      "]",
    ];
    const text = lines.join("\n");
    const r = await collect([text], { file: "p.json" });
    expect(r.objects.map((o) => [(o.object.metadata as { name: string }).name, o.source])).toEqual([
      ["a", { file: "p.json", line: 2, column: 3, index: 0 }],
      ["b", { file: "p.json", line: 6, column: 3, index: 1 }],
      ["b2", { file: "p.json", line: 9, column: 6, index: 2 }],
      ["c", { file: "p.json", line: 13, column: 3, index: 4 }],
    ]);
    expect(r.coverage.map((c) => [c.reason, c.message, c.location?.line, c.location?.column])).toEqual([
      ["parse-error", "invalid JSON in item 3: Unexpected token '}'", 12, 3],
    ]);
  });

  it("finds forbidden keys and depth in elements read whole", async () => {
    const text = JSON.stringify(
      [
        { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "a", PROTO: {} } },
        { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "b" }, data: { x: [[[[{}]]]] } },
        { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c" } },
      ],
      null,
      4,
    ).replace('"PROTO"', '"__proto__"');
    const r = await collect([text], { file: "f", maxDepth: 6 });
    expect(r.objects.map((o) => (o.object.metadata as { name: string }).name)).toEqual(["c"]);
    expect(r.coverage.map((c) => c.message)).toEqual([
      'item 0: forbidden key "__proto__" (prototype pollution); rejected',
      "item 1: nested deeper than 6 levels",
    ]);
  });

  it("caps items, element size, nesting and a run budget, each with a limit coverage entry", async () => {
    const items = Array.from({ length: 5 }, (_, i) => ({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: `c${i}` },
    }));
    const text = JSON.stringify({ kind: "List", items });
    const capped = await collect([text], { file: "f", maxItems: 3 });
    expect(capped.objects).toHaveLength(3);
    expect(capped.coverage.map((c) => c.reason)).toEqual(["limit"]);
    const budget = new Budget("run", { objects: 4 });
    const budgeted = await collect([text], { file: "f", budget });
    expect(budgeted.objects).toHaveLength(4);
    expect(budgeted.coverage.map((c) => c.message)).toEqual([
      "run: over the objects budget of 4 objects; items[4] and the rest of the input were not read",
    ]);
    const huge = await collect(
      [`[{"a":"${"x".repeat(1000)}"}, {"apiVersion":"v1","kind":"A","metadata":{"name":"n"}}]`],
      {
        file: "f",
        maxItemBytes: 500,
      },
    );
    expect(huge.objects).toHaveLength(1);
    expect(huge.coverage.map((c) => c.message)).toEqual([
      "item 0 is larger than the limit of 500 bytes; skipped",
    ]);
    const deep = await collect(
      [
        `[${"[".repeat(100_000)}${"]".repeat(100_000)}, {"apiVersion":"v1","kind":"A","metadata":{"name":"n"}}]`,
      ],
      {
        file: "f",
      },
    );
    expect(deep.objects).toHaveLength(1);
    expect(deep.coverage.map((c) => c.message)).toEqual(["item 0: nested deeper than 200 levels"]);
  });

  it("refuses forbidden keys, binary input and invalid UTF-8", async () => {
    const proto = await collect(['[{"metadata":{"\\u005f_proto__":{}}}]'], { file: "f" });
    expect(proto.coverage.map((c) => c.reason)).toEqual(["unsafe"]);
    const rootProto = await collect(['{"__proto__":{},"items":[]}'], { file: "f" });
    expect(rootProto.coverage.map((c) => c.reason)).toEqual(["unsafe"]);
    const bin = await collect([Buffer.from([123, 0, 125])], { file: "f" });
    expect(bin.coverage.map((c) => c.reason)).toEqual(["binary"]);
    const utf = await collect([Buffer.from([91, 34, 0xff, 34, 93])], { file: "f" });
    expect(utf.coverage.map((c) => c.reason)).toEqual(["parse-error"]);
  });
});
