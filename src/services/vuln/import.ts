import type { AdvisoryInput } from "../../adapters/store/index.js";
import type { VulnStore } from "../../adapters/store/ports.js";
import { Budget } from "../../core/budget/index.js";
import { type CoverageEntry, cmp } from "../../core/findings/index.js";
import { appendAll, jsonErrorReason } from "../../core/util/index.js";
import {
  looksLikeJsonFeed,
  type OsvRecord,
  parseKubernetesCveFeed,
  parseOsvText,
} from "../../core/vuln/index.js";

export interface ImportAdvisoriesDeps {
  /** The store imported into (the caller opens and closes it: an import is one transaction on it). */
  vulns: VulnStore;
  /** Clock for the import time (injected). */
  now: () => Date;
  /** Most records per batch written at once. */
  batchSize?: number | undefined;
  /** Most bytes of record text per batch (a batch of 2,000 records of 8 MiB each must not be held at once). */
  maxBatchBytes?: number | undefined;
  /**
   * Called after each batch is written, with the records imported so far. Tests use it to stop an import at a
   * known point (to kill it there); it may also report progress.
   */
  afterBatch?: ((records: number) => Promise<void> | void) | undefined;
}

export interface ImportResult {
  files: number;
  records: number;
  written: number;
  unchanged: number;
  coverage: CoverageEntry[];
  /** Things the user should know that are not problems (future `modified` dates). */
  notes: string[];
}

/** Default batch byte budget. */
export const DEFAULT_MAX_BATCH_BYTES = 64 * 1024 * 1024;

/**
 * `vuln db import`: parse what the reader yields (OSV records, or the Kubernetes project's CVE feed, a JSON Feed
 * of many advisories) and write it in batches. Malformed records and unreadable files become coverage entries;
 * everything else imports.
 *
 * The import is one store transaction (VulnStore.beginImport/finishImport): a reader or store failure (an
 * archive that cannot be read as a whole, a lost connection) aborts it and the store keeps its previous state; a
 * process killed mid-import leaves the previous data and an "interrupted" mark that scans report.
 */
export async function importAdvisories(
  inputs: AsyncIterable<AdvisoryInput>,
  deps: ImportAdvisoriesDeps,
): Promise<ImportResult> {
  const store = deps.vulns;
  const batchSize = deps.batchSize ?? 2_000;
  const maxBatchBytes = deps.maxBatchBytes ?? DEFAULT_MAX_BATCH_BYTES;
  const startedAt = deps.now();
  const result: ImportResult = { files: 0, records: 0, written: 0, unchanged: 0, coverage: [], notes: [] };
  // One budget mechanism: a batch is flushed before it would pass its record or byte budget.
  const batchLimits = { records: batchSize, bytes: maxBatchBytes };
  let batchBudget = new Budget("import batch", batchLimits);
  let batch: OsvRecord[] = [];
  const future: OsvRecord[] = [];
  const flush = async (): Promise<void> => {
    batchBudget = new Budget("import batch", batchLimits);
    if (batch.length === 0) return;
    const full = batch;
    batch = [];
    const r = await store.putRecords(full);
    result.written += r.written;
    result.unchanged += r.unchanged;
    await deps.afterBatch?.(result.records);
  };
  const add = async (record: OsvRecord, bytes: number): Promise<void> => {
    if (!batchBudget.fits("records") || !batchBudget.fits("bytes", bytes)) await flush();
    batchBudget.charge("records");
    // A record alone may exceed the batch byte budget only if the record cap is larger: it goes alone.
    if (batchBudget.fits("bytes", bytes)) batchBudget.charge("bytes", bytes);
    result.records++;
    if (Date.parse(record.modified) > startedAt.getTime()) future.push(record);
    batch.push(record);
  };
  const accept = async (text: string, source: string, bytes: number): Promise<void> => {
    // The Kubernetes project's official CVE feed (a JSON Feed) holds many advisories in one file.
    if (looksLikeJsonFeed(text)) {
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (e) {
        result.coverage.push({
          reason: "parse-error",
          subject: source,
          message: `invalid JSON: ${jsonErrorReason(e)}`,
        });
        return;
      }
      const feed = parseKubernetesCveFeed(json, source);
      appendAll(result.coverage, feed.coverage);
      for (const r of feed.records) await add(r, Math.ceil(bytes / feed.records.length));
      return;
    }
    const parsed = parseOsvText(text, source);
    appendAll(result.coverage, parsed.coverage);
    if (parsed.record) await add(parsed.record, bytes);
  };
  await store.beginImport(startedAt.toISOString());
  try {
    for await (const input of inputs) {
      if (input.kind === "text") {
        result.files++;
        await accept(input.text, input.source, input.bytes);
      } else {
        if (input.kind === "unreadable") result.files++;
        result.coverage.push(input.entry);
      }
    }
    await flush();
    await store.finishImport(deps.now().toISOString());
  } catch (e) {
    await store.abortImport();
    throw e;
  }
  if (future.length > 0) {
    const first = future.sort((a, b) => cmp(a.id, b.id))[0] as OsvRecord;
    result.notes.push(
      `${future.length} record(s) have a modified time after the import time (e.g. ${first.id}: ${first.modified}): imported, but not counted for the database's freshness`,
    );
  }
  return result;
}
