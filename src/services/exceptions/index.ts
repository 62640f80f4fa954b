/**
 * Use case: load an exceptions file. Reading the file (size cap, alias cap, prototype keys, positions) is the
 * configuration reader's job, handed in by the caller; validating entries, turning invalid ones into coverage
 * that names file and line, and recording where each exception was declared is this service's.
 */
import { type Exception, parseExceptions } from "../../core/exceptions/index.js";
import type { CoverageEntry } from "../../core/findings/index.js";

/** A parsed configuration document (YAML or JSON) with the line of any node. */
export interface ConfigDocument {
  data: unknown;
  /** 1-based line of the node at a path of keys/indices, when it exists. */
  lineOf(path: (string | number)[]): number | undefined;
}

/** Reads and parses one configuration file; throws a typed error naming the file for what it cannot read. */
export type ConfigReader = (path: string) => Promise<ConfigDocument>;

export interface LoadedExceptions {
  exceptions: Exception[];
  /** One entry per invalid exception (skipped), naming file, line and field. */
  coverage: CoverageEntry[];
}

/**
 * Load the exceptions file at `path` (as the user named it: messages show it unchanged). Invalid entries are
 * coverage entries and skipped; valid ones keep their source line, so expiry findings point at them.
 */
export async function loadExceptions(path: string, read: ConfigReader): Promise<LoadedExceptions> {
  return exceptionsFromDocument(path, await read(path));
}

/** {@link loadExceptions} over a document already read. */
export function exceptionsFromDocument(path: string, doc: ConfigDocument): LoadedExceptions {
  const { exceptions, issues } = parseExceptions(doc.data);
  const listPath = Array.isArray(doc.data) ? [] : ["exceptions"];
  const indexOf = (p: string) => Number(/^exceptions\[(\d+)\]/.exec(p)?.[1] ?? Number.NaN);
  const coverage: CoverageEntry[] = issues.map((i) => {
    const idx = indexOf(i.path);
    const line = Number.isNaN(idx) ? 1 : (doc.lineOf([...listPath, idx]) ?? 1);
    return {
      reason: "invalid",
      subject: path,
      location: { file: path, line, column: 1 },
      message: `invalid exception ${i.path}: ${i.message} (entry skipped)`,
    };
  });
  const all = Array.isArray(doc.data)
    ? doc.data
    : ((doc.data as { exceptions?: unknown[] } | null)?.exceptions ?? []);
  for (const e of exceptions) {
    const idx = e.id.startsWith("exceptions[")
      ? indexOf(e.id)
      : all.findIndex((x) => (x as { id?: unknown } | null)?.id === e.id);
    e.source = { file: path };
    const line = idx >= 0 ? doc.lineOf([...listPath, idx]) : undefined;
    if (line !== undefined) e.source.line = line;
  }
  return { exceptions, coverage };
}
