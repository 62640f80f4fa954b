/**
 * A full snapshot and its evaluation written to a SQLite file by a worker thread with its own connection, in one
 * transaction (`EvaluatedSnapshotWriter`). better-sqlite3 is synchronous: on the server's thread, storing the 100k
 * objects and 200k findings of a large snapshot ran after the evaluation, one step after the other, a third of the
 * ingest's CPU (docs/benchmarks.md, "Server API and ingest"). Here the server's thread plans the rows with the
 * stores' own code (`snapshotWrites`, `evaluationWrites`) and posts them; the worker writes the object versions
 * while the server's thread evaluates, then the findings, then commits (its connection also runs the WAL
 * checkpoint that follows). The stores' semantics hold: the reads a plan was made from are read again inside the
 * worker's transaction and must give the same rows, or nothing is written and the caller writes in its own thread
 * as before; nothing is visible before the commit, and an ingest that fails leaves nothing (before, the object
 * versions were committed before the findings were planned).
 *
 * The worker's code is a self-contained function run with `eval`, like the admission decision writer's, for the
 * same reason: the CLI ships as one bundle.
 */
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import { PalisadeError } from "../../../core/errors/index.js";
import type { Finding } from "../../../core/findings/index.js";
import type {
  EvaluatedSnapshotWrite,
  EvaluatedSnapshotWriter,
  FindingUpsertResult,
  SnapshotObject,
  SnapshotResult,
} from "../ports.js";
import { type SqliteConnection, sqliteFailure } from "./connection.js";
import {
  evaluationWrites,
  type PlannedRead,
  type PlannedWrites,
  runWrites,
  snapshotWrites,
  write,
} from "./platform.js";

/** Rows per message: the worker writes one message's rows while the next are posted. */
const ROWS_PER_MESSAGE = 2_000;

type Message =
  | { w: number; op: "begin"; reads: PlannedRead[] }
  | { w: number; op: "check"; reads: PlannedRead[] }
  | { w: number; op: "run"; sql: string; rows: unknown[][] }
  | { w: number; op: "commit" }
  | { w: number; op: "rollback" }
  | { op: "close" };
type Reply = { w: number; ok?: true; stale?: true; error?: { message: string; code?: string } };

/**
 * The worker's body, as JavaScript source (see the decision writer). Messages of one write (`w`) run in the order
 * posted: `begin` opens a BEGIN IMMEDIATE transaction and checks the reads, `check` checks more, `run` runs a
 * statement per row, `commit` commits (or rolls back after a changed read or an error) and replies; `rollback`
 * ends a write without a reply. Messages of another write wait until the open one ends.
 */
const WORKER_SOURCE = `
const { parentPort, workerData: d } = process.getBuiltinModule("node:worker_threads");
const Database = process.getBuiltinModule("node:module").createRequire(d.sqlite)(d.sqlite);
const db = new Database(d.file, { timeout: d.lockTimeoutMs });
db.pragma("busy_timeout = " + Math.max(0, Math.floor(d.lockTimeoutMs)));
db.pragma("journal_mode = WAL");
db.pragma("synchronous = NORMAL");
const statements = new Map();
const st = (sql) => {
  let s = statements.get(sql);
  if (s === undefined) statements.set(sql, (s = db.prepare(sql)));
  return s;
};
let open;
const waiting = [];
function check(reads) {
  for (const r of reads) if (JSON.stringify(st(r.sql).all(r.params)) !== JSON.stringify(r.rows)) return false;
  return true;
}
function handle(m) {
  if (open === undefined) {
    if (m.op !== "begin") return;
    open = { w: m.w, stale: false, error: undefined };
    try {
      st("BEGIN IMMEDIATE").run();
      open.began = true;
      open.stale = !check(m.reads);
    } catch (e) {
      open.error = e;
    }
    return;
  }
  if (m.w !== open.w) {
    waiting.push(m);
    return;
  }
  const failed = () => open.stale || open.error !== undefined;
  try {
    if (m.op === "check") {
      if (!failed()) open.stale = !check(m.reads);
    } else if (m.op === "run") {
      if (!failed()) {
        const s = st(m.sql);
        for (const row of m.rows) s.run(row);
      }
    } else if (m.op === "commit" || m.op === "rollback") {
      const w = open;
      open = undefined;
      const reply = { w: w.w };
      if (m.op === "commit" && !w.stale && w.error === undefined) {
        try {
          st("COMMIT").run();
          reply.ok = true;
        } catch (e) {
          w.error = e;
        }
      }
      if (reply.ok === undefined && w.began && db.inTransaction) st("ROLLBACK").run();
      if (w.stale) reply.stale = true;
      else if (w.error !== undefined) {
        reply.error = { message: w.error instanceof Error ? w.error.message : String(w.error) };
        if (typeof w.error?.code === "string") reply.error.code = w.error.code;
      }
      if (m.op === "commit") parentPort.postMessage(reply);
      while (open === undefined && waiting.length > 0) handle(waiting.shift());
    }
  } catch (e) {
    open.error = e;
  }
}
parentPort.on("message", (m) => {
  if (m.op === "close") {
    if (open !== undefined && db.inTransaction) db.prepare("ROLLBACK").run();
    db.close();
    parentPort.close();
    return;
  }
  handle(m);
});
`;

interface WorkerData {
  sqlite: string;
  file: string;
  lockTimeoutMs: number;
}

/** Post `writes` in messages of at most {@link ROWS_PER_MESSAGE} rows. */
function post(worker: Worker, w: number, writes: PlannedWrites<unknown>["writes"]): void {
  for (const { sql, rows } of writes)
    for (let i = 0; i < rows.length; i += ROWS_PER_MESSAGE)
      worker.postMessage({ w, op: "run", sql, rows: rows.slice(i, i + ROWS_PER_MESSAGE) } satisfies Message);
}

/**
 * The writer of one SQLite file's ingests. Its worker starts at the first ingest and ends with {@link close}.
 * While a write is between `begin` and `finish`, the worker holds the file's write lock and waits for the rest of
 * the rows: this thread must not write to the file meanwhile (it would wait for the lock the worker holds), so the
 * connection is marked (`offThreadWrites`) and a write on it fails at once instead (the ingest service posts the
 * rest without giving other work a turn in between).
 */
export class OffThreadIngestWriter implements EvaluatedSnapshotWriter {
  #worker: Worker | undefined;
  readonly #pending = new Map<number, (r: Reply) => void>();
  #next = 0;
  #failure: Error | undefined;
  #exited: Promise<void> = Promise.resolve();

  constructor(private readonly conn: SqliteConnection) {}

  #started(): Worker {
    if (this.#worker !== undefined) return this.#worker;
    const { file, lockTimeoutMs } = this.conn;
    const data: WorkerData = {
      sqlite: createRequire(import.meta.url).resolve("better-sqlite3"),
      file,
      lockTimeoutMs,
    };
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: data });
    worker.unref();
    worker.on("message", (r: Reply) => {
      const done = this.#pending.get(r.w);
      this.#pending.delete(r.w);
      done?.(r);
    });
    const fail = (e: Error) => {
      this.#failure = e;
      for (const done of this.#pending.values()) done({ w: -1, error: { message: e.message } });
      this.#pending.clear();
    };
    worker.on("error", (e) => fail(sqliteFailure(e, file, "the ingest writer failed")));
    this.#exited = new Promise((resolve) =>
      worker.once("exit", () => {
        fail(new Error("the ingest writer's thread ended"));
        resolve();
      }),
    );
    this.#worker = worker;
    return worker;
  }

  begin(cluster: string, observedAt: Date, objects: readonly SnapshotObject[]): EvaluatedSnapshotWrite {
    const { conn } = this;
    // Planned on this thread from what it reads now (errors as putSnapshot's, nothing posted).
    const planned = snapshotWrites(conn.db, cluster, observedAt, "all", objects);
    // A changed read, or a worker that is gone: planned again and written here, in one transaction.
    const inThread = (findings: readonly Finding[]) =>
      write(conn, "cannot store the snapshot", () => {
        const snapshot = snapshotWrites(conn.db, cluster, observedAt, "all", objects);
        const evaluation = evaluationWrites(conn.db, cluster, observedAt, findings);
        runWrites(conn.db, snapshot.writes);
        runWrites(conn.db, evaluation.writes);
        return { snapshot: snapshot.result, findings: evaluation.result };
      });
    if (this.#failure !== undefined) {
      let ended = false;
      return {
        finish: async (findings) => {
          if (ended) throw new PalisadeError("INTERNAL", "this snapshot write has ended");
          ended = true;
          return inThread(findings);
        },
        abort: () => {
          ended = true;
        },
      };
    }
    const worker = this.#started();
    const w = this.#next++;
    worker.postMessage({ w, op: "begin", reads: planned.reads } satisfies Message);
    post(worker, w, planned.writes);
    conn.offThreadWrites = (conn.offThreadWrites ?? 0) + 1;
    let ended = false;
    const end = () => {
      if (ended) return false;
      ended = true;
      conn.offThreadWrites = (conn.offThreadWrites ?? 1) - 1;
      return true;
    };
    return {
      finish: (findings) => {
        if (!end()) return Promise.reject(new PalisadeError("INTERNAL", "this snapshot write has ended"));
        let evaluation: PlannedWrites<FindingUpsertResult>;
        try {
          evaluation = evaluationWrites(conn.db, cluster, observedAt, findings);
        } catch (e) {
          worker.postMessage({ w, op: "rollback" } satisfies Message);
          return Promise.reject(e);
        }
        worker.postMessage({ w, op: "check", reads: evaluation.reads } satisfies Message);
        post(worker, w, evaluation.writes);
        const reply = new Promise<Reply>((resolve) => this.#pending.set(w, resolve));
        worker.postMessage({ w, op: "commit" } satisfies Message);
        return reply.then((r): { snapshot: SnapshotResult; findings: FindingUpsertResult } => {
          if (r.ok) return { snapshot: planned.result, findings: evaluation.result };
          if (r.stale || this.#failure !== undefined) return inThread(findings);
          const e = r.error ?? { message: "no answer" };
          throw sqliteFailure(
            Object.assign(new Error(e.message), e.code ? { code: e.code } : {}),
            conn.file,
            "cannot store the snapshot",
            conn.lockTimeoutMs,
          );
        });
      },
      abort: () => {
        if (end()) worker.postMessage({ w, op: "rollback" } satisfies Message);
      },
    };
  }

  /** End the worker (after what was posted); an open write is rolled back. */
  async close(): Promise<void> {
    const worker = this.#worker;
    if (worker === undefined) return;
    // Referenced again, so that the process waits for the thread's end instead of leaving this unsettled.
    worker.ref();
    if (this.#failure === undefined) worker.postMessage({ op: "close" } satisfies Message);
    await this.#exited;
  }
}
