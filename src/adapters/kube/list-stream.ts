import { StringDecoder } from "node:string_decoder";
import { none } from "stream-chain/defs.js";
import Assembler from "stream-json/assembler.js";
import { jsonParser, type Token } from "stream-json/core/parser.js";
import { BudgetExceeded } from "../../core/budget/index.js";
import { PalisadeError } from "../../core/errors/index.js";

/** What a list response said besides its items. */
export interface ListHead {
  /** `metadata.continue`: the token for the next page, when non-empty. */
  continue?: string;
  /** The list's own `kind` (`PodList`), when it has one. */
  kind?: string;
  /** Items seen (including those `onItem` may reject). */
  items: number;
}

export interface ReadListOptions {
  /** Scope for LIMIT messages: "listing pods cluster-wide". */
  scope: string;
  /**
   * Largest single item (and the list's `metadata`), in bytes of JSON. One Kubernetes object is at most about
   * 1.5 MiB (etcd's default request limit), so a larger item is hostile or broken.
   */
  maxItemBytes: number;
  /** Deepest nesting accepted in the response (the list adds 2 levels to an item's). */
  maxDepth: number;
  /** Called with each item as soon as it is complete. May throw to stop the read. */
  onItem: (item: unknown) => void;
}

const manySymbol = Symbol.for("object-stream.many");

function tokensOf(out: unknown): Token[] {
  if (out === none || out === undefined) return [];
  const o = out as { [manySymbol]?: 1; values?: Token[] };
  return o[manySymbol] === 1 ? (o.values ?? []) : [out as Token];
}

/**
 * Read a Kubernetes list response (`{"kind": "PodList", "metadata": {"continue": ...}, "items": [...]}`) as a stream:
 * each item is assembled alone and handed to `onItem`, so a page is never held whole, neither as text nor as one
 * parsed value. Keys other than `items`, `metadata` and `kind` are skipped without being kept. An item or
 * `metadata` larger than `maxItemBytes`, or any string longer than it, is a `LIMIT` error; malformed JSON or a
 * body that is not an object is an `INPUT` error. Neither message quotes the body.
 */
export async function readListStream(
  body: AsyncIterable<Buffer | string>,
  o: ReadListOptions,
): Promise<ListHead> {
  const parse = jsonParser({
    streamValues: false,
    maxDepth: o.maxDepth,
    // A packed string is held whole while it is read: no legitimate object field comes near one item's size.
    maxPackedLength: o.maxItemBytes,
  });
  const decoder = new StringDecoder("utf8");
  const head: ListHead = { items: 0 };
  // Top-level walk: 0 = before the root, 1 = inside the root object, 2 = inside `items`.
  let level = 0;
  let key: string | undefined;
  // A value being assembled (an item or `metadata`) and the byte offset where it started.
  let asm: Assembler | undefined;
  let assembling: "item" | "metadata" | undefined;
  let startedAt = 0;
  // A value being skipped (an unknown top-level key): its nesting depth.
  let skipDepth = 0;
  let bytes = 0;
  let first = true;
  let sawItems = false;

  const finishValue = (value: unknown): void => {
    if (assembling === "item") {
      head.items++;
      o.onItem(value);
    } else if (assembling === "metadata" && value !== null && typeof value === "object") {
      const c = (value as Record<string, unknown>).continue;
      if (typeof c === "string" && c !== "") head.continue = c;
    }
    asm = undefined;
    assembling = undefined;
  };

  const startValue = (t: Token, what: "item" | "metadata"): void => {
    if (t.name === "startObject" || t.name === "startArray") {
      asm = new Assembler();
      assembling = what;
      startedAt = bytes;
      asm.consume(t);
      return;
    }
    assembling = what;
    finishValue(scalar(t));
  };

  const onToken = (t: Token): void => {
    if (asm !== undefined) {
      asm.consume(t);
      if (asm.done) finishValue(asm.current);
      return;
    }
    if (skipDepth > 0) {
      if (t.name === "startObject" || t.name === "startArray") skipDepth++;
      else if (t.name === "endObject" || t.name === "endArray") skipDepth--;
      return;
    }
    if (level === 0) {
      if (t.name !== "startObject") throw notAList(o.scope);
      level = 1;
      return;
    }
    if (level === 2) {
      if (t.name === "endArray") level = 1;
      else startValue(t, "item");
      return;
    }
    // level 1: keys and values of the list object.
    if (t.name === "keyValue") {
      key = t.value;
      return;
    }
    if (t.name === "endObject") {
      level = 3;
      return;
    }
    if (key === "items" && t.name === "startArray") {
      level = 2;
      sawItems = true;
    } else if (key === "items" && t.name === "nullValue") sawItems = true;
    else if (key === "items") throw notAList(o.scope);
    else if (key === "metadata") startValue(t, "metadata");
    else if (key === "kind" && t.name === "stringValue") head.kind = t.value;
    else if (t.name === "startObject" || t.name === "startArray") skipDepth = 1;
    key = undefined;
  };

  const feed = (text: string | typeof none): void => {
    let out: unknown;
    try {
      out = parse(text as string);
    } catch (e) {
      if (e instanceof RangeError)
        throw /maxPackedLength/.test(e.message)
          ? new BudgetExceeded(`${o.scope}: one value in the response`, "bytes", o.maxItemBytes)
          : new PalisadeError("LIMIT", `${o.scope}: the response nests deeper than ${o.maxDepth} levels`);
      throw new PalisadeError("INPUT", `${o.scope}: the response is not valid JSON`);
    }
    for (const t of tokensOf(out)) onToken(t);
    if (asm !== undefined && bytes - startedAt > o.maxItemBytes)
      throw new BudgetExceeded(`${o.scope}: one ${assembling ?? "item"}`, "bytes", o.maxItemBytes);
  };

  for await (const chunk of body) {
    bytes += chunk.length;
    let text = typeof chunk === "string" ? chunk : decoder.write(chunk);
    // A byte-order mark is not JSON; the API server never sends one, but a proxy might.
    if (first && text.length > 0) {
      first = false;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    if (text !== "") feed(text);
  }
  const rest = decoder.end();
  if (rest !== "") feed(rest);
  feed(none);
  if (level !== 3 || !sawItems) throw notAList(o.scope);
  return head;
}

function scalar(t: Token): unknown {
  switch (t.name) {
    case "stringValue":
      return t.value;
    case "numberValue":
      return Number(t.value);
    case "trueValue":
      return true;
    case "falseValue":
      return false;
    default:
      return null;
  }
}

function notAList(scope: string): PalisadeError {
  return new PalisadeError("INPUT", `${scope}: the response is not a Kubernetes list (no items array)`);
}
