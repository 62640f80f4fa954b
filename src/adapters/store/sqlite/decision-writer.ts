/**
 * Admission decisions written to a SQLite file by a worker thread that owns its own connection: better-sqlite3 is
 * synchronous, so on the webhook's thread every INSERT of a 5-15 KiB decision row held the event loop, and every
 * review waiting behind it (measured: 60-250 µs a row, a millisecond or more a batch). Here the webhook's thread only
 * validates and serialises the rows (decisionRow) and posts them; the worker runs the transactions, and retention
 * in steps. The worker lowers its own scheduling priority, so that when both share one core the kernel runs the
 * reviews first and the writes in the gaps.
 *
 * The worker's code is a self-contained function run with `eval` (the CLI ships as one bundle, which a worker file
 * would have to be split out of); it loads better-sqlite3 from the path this module resolves, and runs the SQL
 * of {@link SqliteAdmissionDecisionStore} (DECISION_SQL), so the two write the same rows the same way.
 */
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import {
  checkChunk,
  checkRetention,
  DECISION_COLUMNS,
  DECISION_PLACEHOLDERS,
  decisionRow,
  decisionValues,
} from "../decision-rows.js";
import type { AdmissionDecisionInput, AdmissionDecisionStore, DecisionPruneOptions } from "../ports.js";
import { sqliteFailure } from "./connection.js";
import { DECISION_SQL } from "./decision-sql.js";

interface WorkerData {
  sqlite: string;
  file: string;
  lockTimeoutMs: number;
  sql: typeof DECISION_SQL & { insert: string };
}

type Request =
  | { id: number; op: "append"; rows: unknown[][] }
  | { id: number; op: "prune"; before?: string | undefined; keep?: number | undefined; chunk: number };
/** A decision's row as posted to the writer thread: its columns' values in DECISION_COLUMNS order. */
export type DecisionValues = (string | number)[];
type Reply = { id: number; n?: number; error?: { message: string; code?: string } };

/**
 * The worker's body, as JavaScript source: it runs alone in the worker, so it is kept as text that no bundler or
 * transpiler rewrites (a function's own toString would carry their helpers with it). Appends one transaction per
 * message; a prune walks and deletes `chunk` rows per step with the worker's loop free between steps, so appends
 * posted meanwhile go in between.
 */
const WORKER_SOURCE = `
const { parentPort, workerData: d } = process.getBuiltinModule("node:worker_threads");
try {
  // Nice 10 for this thread only (Linux applies setpriority to the calling thread); not permitted: run as equals.
  process.getBuiltinModule("node:os").setPriority(10);
} catch {}
const Database = process.getBuiltinModule("node:module").createRequire(d.sqlite)(d.sqlite);
const db = new Database(d.file, { timeout: d.lockTimeoutMs });
db.pragma("busy_timeout = " + Math.max(0, Math.floor(d.lockTimeoutMs)));
db.pragma("journal_mode = WAL");
db.pragma("synchronous = NORMAL");
const put = db.prepare(d.sql.insert);
const insert = db.transaction((rows) => {
  for (const row of rows) put.run(row);
});
const byAge = db.prepare(d.sql.pruneByAge);
const below = db.prepare(d.sql.pruneBelow);
const seqAt = db.prepare(d.sql.seqBelowAt);
const pause = () => new Promise((resolve) => setImmediate(resolve));
async function steps(stmt, bound, chunk) {
  let n = 0;
  for (let got = chunk, first = true; got === chunk; n += got, first = false) {
    if (!first) await pause();
    got = stmt.run(bound, chunk).changes;
  }
  return n;
}
async function prune(before, keep, chunk) {
  let n = before === undefined ? 0 : await steps(byAge, before, chunk);
  if (keep === undefined) return n;
  let top = Number.MAX_SAFE_INTEGER;
  let left = keep;
  while (left >= chunk) {
    const s = seqAt.get(top, chunk - 1);
    if (s === undefined) return n;
    top = s.seq;
    left -= chunk;
    await pause();
  }
  const cutoff = seqAt.get(top, left);
  return cutoff === undefined ? n : n + (await steps(below, cutoff.seq, chunk));
}
parentPort.on("message", async (m) => {
  if (m.op === "close") {
    db.close();
    parentPort.close();
    return;
  }
  const reply = { id: m.id };
  try {
    if (m.op === "append") {
      insert.immediate(m.rows);
      reply.n = m.rows.length;
    } else reply.n = await prune(m.before, m.keep, m.chunk);
  } catch (e) {
    reply.error = { message: e instanceof Error ? e.message : String(e) };
    if (typeof e?.code === "string") reply.error.code = e.code;
  }
  parentPort.postMessage(reply);
});
`;

/**
 * `append` and `prune` of the admission decisions in `file` (an existing Palisade database), run by a worker
 * thread; reads stay with the caller's own store. `close` ends the worker after what was posted is done.
 */
export class OffThreadDecisionWriter implements Pick<AdmissionDecisionStore, "append" | "prune"> {
  readonly #worker: Worker;
  readonly #pending = new Map<number, { resolve: (n: number) => void; reject: (e: unknown) => void }>();
  #next = 0;
  #exited: Promise<void>;
  #failure: Error | undefined;

  constructor(
    private readonly file: string,
    private readonly lockTimeoutMs: number,
  ) {
    const data: WorkerData = {
      sqlite: createRequire(import.meta.url).resolve("better-sqlite3"),
      file,
      lockTimeoutMs,
      sql: {
        ...DECISION_SQL,
        insert: `INSERT INTO admission_decisions (${DECISION_COLUMNS}) VALUES (${DECISION_PLACEHOLDERS})`,
      },
    };
    this.#worker = new Worker(WORKER_SOURCE, { eval: true, workerData: data });
    // The worker never keeps the process alive by itself: the webhook's server does, and closes it at the end.
    this.#worker.unref();
    this.#worker.on("message", (reply: Reply) => {
      const p = this.#pending.get(reply.id);
      if (p === undefined) return;
      this.#pending.delete(reply.id);
      if (reply.error === undefined) p.resolve(reply.n ?? 0);
      else
        p.reject(
          sqliteFailure(
            Object.assign(new Error(reply.error.message), reply.error.code ? { code: reply.error.code } : {}),
            this.file,
            "cannot write admission decisions",
            this.lockTimeoutMs,
          ),
        );
    });
    const fail = (e: Error) => {
      this.#failure = e;
      for (const p of this.#pending.values()) p.reject(e);
      this.#pending.clear();
    };
    this.#worker.on("error", (e) => fail(sqliteFailure(e, file, "admission decision writer failed")));
    this.#exited = new Promise((resolve) =>
      this.#worker.once("exit", () => {
        fail(sqliteFailure(new Error("the writer thread ended"), file, "admission decision writer"));
        resolve();
      }),
    );
  }

  #call(m: Omit<Request, "id">): Promise<number> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    const id = this.#next++;
    return new Promise<number>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage({ ...m, id });
    });
  }

  /**
   * Validated and serialised here, at the call (INPUT for a bad decision, nothing of the batch written): the rows
   * are flat strings and numbers, cheap to post, and once posted neither they nor the decisions are held on this
   * thread while the worker writes them (not an async function, whose frame would keep both until the reply).
   */
  append(decisions: readonly AdmissionDecisionInput[]): Promise<void> {
    let rows: DecisionValues[];
    try {
      rows = decisions.map((d) => this.prepare(d));
    } catch (e) {
      return Promise.reject(e);
    }
    return this.appendPrepared(rows);
  }

  /**
   * One decision as the row this writer posts (validated: INPUT on a bad time or a missing uid). For a caller that
   * buffers decisions before appending them (DecisionRecorder): a buffered row is a dozen flat strings, where the
   * decision it was made from is a graph of objects (its violations, their texts, the compact details) that every
   * young-generation collection copies while it waits, and promotes when it waits across two.
   */
  prepare(d: AdmissionDecisionInput): DecisionValues {
    return decisionValues(decisionRow(d));
  }

  /** Append rows made by {@link prepare}, in one transaction. */
  appendPrepared(rows: DecisionValues[]): Promise<void> {
    if (rows.length === 0) return Promise.resolve();
    return this.#call({ op: "append", rows } as Omit<Request, "id">).then(() => undefined);
  }

  async prune(
    retention: { before?: Date | undefined; keep?: number | undefined },
    opts: DecisionPruneOptions = {},
  ): Promise<number> {
    const { before, keep } = checkRetention(retention);
    // Without steps the worker deletes in one go, as the store would; its own loop is all that waits.
    const chunk = checkChunk(opts.chunk) ?? Number.MAX_SAFE_INTEGER;
    return this.#call({ op: "prune", before, keep, chunk } as Omit<Request, "id">);
  }

  /** Finish what was posted, close the worker's connection, end the thread. */
  async close(): Promise<void> {
    if (this.#failure === undefined) {
      const drained = Promise.all(
        [...this.#pending.values()].map(
          (p) =>
            new Promise<void>((done) => {
              const { resolve, reject } = p;
              p.resolve = (n) => {
                resolve(n);
                done();
              };
              p.reject = (e) => {
                reject(e);
                done();
              };
            }),
        ),
      );
      await drained;
      this.#worker.postMessage({ op: "close" });
    }
    await this.#exited;
  }
}
