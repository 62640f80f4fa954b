import { resolve } from "node:path";
import { isMap, isSeq, LineCounter, parseDocument } from "yaml";
import { PalisadeError } from "../../core/errors/index.js";
import { FORBIDDEN_KEYS } from "../../core/util/index.js";
import { readRegularText } from "../fs/index.js";

const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

/** A parsed configuration file; the exceptions service reads exceptions from it (services/exceptions). */
export interface ConfigDocument {
  data: unknown;
  /** 1-based line of the node at a path of keys/indices, when it exists. */
  lineOf(path: (string | number)[]): number | undefined;
}

/**
 * Read a small YAML/JSON configuration file (exceptions, owners) safely: size cap, alias cap, no
 * prototype keys. Errors name the file and line.
 */
export async function readConfigFile(path: string, cwd = process.cwd()): Promise<ConfigDocument> {
  const abs = resolve(cwd, path);
  let text: string;
  try {
    // Regular files only (a FIFO or /dev/zero named here would block or never end), capped.
    text = await readRegularText(abs, { maxBytes: MAX_CONFIG_BYTES, what: "configuration file" });
  } catch (e) {
    if (e instanceof PalisadeError)
      throw new PalisadeError(e.code, e.message.replaceAll(abs, path), {
        cause: e.cause ?? e,
        context: { ...e.context, file: path },
      });
    throw new PalisadeError("IO", `cannot read: ${(e as Error).message}`, {
      cause: e,
      context: { file: path },
    });
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, version: "1.1", uniqueKeys: true, prettyErrors: false });
  const err = doc.errors[0];
  if (err) {
    const pos = lineCounter.linePos(err.pos[0]);
    throw new PalisadeError("INPUT", err.message.split("\n")[0] ?? "invalid YAML", {
      context: { file: path, line: pos.line, column: pos.col },
    });
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    throw new PalisadeError("LIMIT", `YAML aliases: ${(e as Error).message}`, {
      cause: e,
      context: { file: path },
    });
  }
  assertSafeKeys(data, path);
  return {
    data,
    lineOf(p) {
      const node = doc.getIn(p, true) as { range?: [number, number, number] } | undefined;
      const parent = p.length ? (doc.getIn(p.slice(0, -1), true) as unknown) : undefined;
      const range = node?.range ?? (isMap(parent) || isSeq(parent) ? parent.range : undefined);
      return range ? lineCounter.linePos(range[0]).line : undefined;
    },
  };
}

function assertSafeKeys(v: unknown, file: string, depth = 0): void {
  if (depth > 64) throw new PalisadeError("LIMIT", "nesting deeper than 64 levels", { context: { file } });
  if (Array.isArray(v)) for (const x of v) assertSafeKeys(x, file, depth + 1);
  else if (v && typeof v === "object" && !(v instanceof Date)) {
    for (const k of Object.keys(v)) {
      if (FORBIDDEN_KEYS.has(k))
        throw new PalisadeError("UNSAFE", `forbidden key "${k}"`, { context: { file, field: k } });
      assertSafeKeys((v as Record<string, unknown>)[k], file, depth + 1);
    }
  }
}
