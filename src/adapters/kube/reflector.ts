/**
 * List, then watch, one kind: what client-go's reflector does, written against the same bounded transport as the
 * live read (`http.ts`), so the clock, the jitter and the transport are the caller's and tests drive a real
 * kube-apiserver without sleeping on wall-clock backoff.
 *
 * Semantics (https://kubernetes.io/docs/reference/using-api/api-concepts/#efficient-detection-of-changes):
 * - A list (paginated) gives the objects and the collection's resourceVersion; a watch from that resourceVersion
 *   gives every later change. Bookmarks (`allowWatchBookmarks`) move the resourceVersion on without a change.
 * - A watch the server ends (its timeout, a dropped connection) is resumed from the last resourceVersion seen:
 *   nothing is lost and nothing is listed again.
 * - `410 Gone` (as the HTTP status, or an ERROR event with code 410: the resourceVersion is older than the server
 *   keeps) means the changes in between are lost: the kind is listed again. Objects known before and absent from
 *   the new list were deleted meanwhile; their deletion is reported dated by the new list's resourceVersion
 *   (newer than anything seen of them).
 * - Any other failure is retried with exponential backoff and jitter, from where it stopped.
 *
 * Only (uid -> resourceVersion, identity) is kept per object, never the object: a relist reports only objects whose
 * resourceVersion changed. Secret values are dropped as each object is parsed, before it is kept or passed on.
 */
import {
  type BackoffPolicy,
  backoffDelay,
  DEFAULT_BACKOFF,
  reduceObserved,
} from "../../core/deltas/index.js";
import { PalisadeError } from "../../core/errors/index.js";
import { redactSecretsInText } from "../../core/secrets/index.js";
import { isRecord } from "../../core/util/index.js";
import type { ApiRequest } from "./http.js";
import { type KindDescriptor, listPath } from "./index.js";

/** Timers and randomness, injected. */
export interface ReflectorClock {
  /** Resolve after `ms`, or reject when `signal` aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
  /** In [0, 1). */
  random(): number;
}

/** One observed change. `resourceVersion` is set for deletions inferred from a relist (see above). */
export interface ReflectorChange {
  op: "upsert" | "delete";
  kind: KindDescriptor;
  object: Record<string, unknown>;
  resourceVersion?: string;
}

/** What happened to the reflector, for logs and metrics. */
export type ReflectorNotice =
  | { type: "listed"; kind: KindDescriptor; objects: number; resourceVersion: string; relist: boolean }
  | { type: "gone"; kind: KindDescriptor; message: string }
  | { type: "resumed"; kind: KindDescriptor; resourceVersion: string }
  | { type: "error"; kind: KindDescriptor; error: PalisadeError; attempt: number; retryInMs: number };

export interface ReflectorOptions {
  kind: KindDescriptor;
  clock: ReflectorClock;
  signal: AbortSignal;
  /** Changes, in order; awaited before reading on (the apiserver holds the rest of the stream). */
  onChanges(changes: ReflectorChange[]): Promise<void>;
  onNotice?: ((n: ReflectorNotice) => void) | undefined;
  /** Objects per list page (default 500, as kubectl). */
  pageSize?: number | undefined;
  /** The server ends each watch after this long; it is then resumed (default 300 s, with jitter). */
  watchTimeoutSeconds?: number | undefined;
  /** Bytes of one list page (default 512 MiB). */
  maxListBytes?: number | undefined;
  /** Bytes of one watch event (default 16 MiB; etcd stores at most 1.5 MiB per object). */
  maxEventBytes?: number | undefined;
  backoff?: BackoffPolicy | undefined;
  /**
   * Watch from this resourceVersion first, without listing (a test forces an expired watch with a very old one).
   */
  startResourceVersion?: string | undefined;
}

class Gone extends Error {}

interface Known {
  resourceVersion: string;
  object: Record<string, unknown>;
}

function statusMessage(body: unknown): string {
  return isRecord(body) && typeof body.message === "string" ? redactSecretsInText(body.message) : "";
}

async function readAll(body: NodeJS.ReadableStream, max: number, what: string): Promise<string> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of body) {
    const b = typeof c === "string" ? Buffer.from(c) : (c as Buffer);
    n += b.length;
    if (n > max) throw new PalisadeError("LIMIT", `${what} is larger than ${max} bytes`);
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** Run until `signal` aborts; resolves then. Never rejects for API or network failures (they are retried). */
export async function reflect(request: ApiRequest, o: ReflectorOptions): Promise<void> {
  const { kind, signal } = o;
  const base = listPath(kind, undefined);
  const pageSize = o.pageSize ?? 500;
  const maxList = o.maxListBytes ?? 512 * 1024 * 1024;
  const maxEvent = o.maxEventBytes ?? 16 * 1024 * 1024;
  const known = new Map<string, Known>();
  let rv: string | undefined = o.startResourceVersion;
  let listedBefore = false;
  let resuming = false;
  let attempt = 0;

  const identity = (obj: Record<string, unknown>): Record<string, unknown> => {
    const m = isRecord(obj.metadata) ? obj.metadata : {};
    const metadata: Record<string, unknown> = {
      name: m.name,
      uid: m.uid,
      resourceVersion: m.resourceVersion,
    };
    if (m.namespace !== undefined) metadata.namespace = m.namespace;
    return { apiVersion: kind.apiVersion, kind: kind.kind, metadata };
  };
  const typed = (item: unknown): Record<string, unknown> | undefined =>
    isRecord(item) ? reduceObserved({ ...item, apiVersion: kind.apiVersion, kind: kind.kind }) : undefined;
  const uidOf = (obj: Record<string, unknown>): string | undefined => {
    const m = obj.metadata;
    return isRecord(m) && typeof m.uid === "string" ? m.uid : undefined;
  };
  const rvOf = (obj: Record<string, unknown>): string | undefined => {
    const m = obj.metadata;
    return isRecord(m) && typeof m.resourceVersion === "string" ? m.resourceVersion : undefined;
  };

  const list = async (): Promise<void> => {
    const items: Record<string, unknown>[] = [];
    let cont: string | undefined;
    let listRv = "";
    do {
      const q = new URLSearchParams({ limit: String(pageSize) });
      if (cont) q.set("continue", cont);
      const res = await request(`${base}?${q}`, signal);
      const text = await readAll(res.body, maxList, `a ${kind.kind} list page`);
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        throw new PalisadeError("INPUT", `${kind.kind} list: the answer (${res.status}) is not JSON`);
      }
      // An expired continue token (410) restarts the list, as client-go does.
      if (res.status === 410) throw new Gone(statusMessage(body));
      if (res.status !== 200)
        throw new PalisadeError("REMOTE", `${kind.kind} list: ${res.status} ${statusMessage(body)}`.trim());
      if (!isRecord(body) || !Array.isArray(body.items))
        throw new PalisadeError("INPUT", `${kind.kind} list: the answer has no items`);
      for (const it of body.items) {
        const t = typed(it);
        if (t) items.push(t);
      }
      const meta = isRecord(body.metadata) ? body.metadata : {};
      cont = typeof meta.continue === "string" && meta.continue !== "" ? meta.continue : undefined;
      if (typeof meta.resourceVersion === "string") listRv = meta.resourceVersion;
    } while (cont !== undefined);
    if (listRv === "") throw new PalisadeError("INPUT", `${kind.kind} list: no resourceVersion`);
    const changes: ReflectorChange[] = [];
    const seen = new Set<string>();
    for (const obj of items) {
      const uid = uidOf(obj);
      const orv = rvOf(obj);
      if (uid === undefined || orv === undefined) continue;
      seen.add(uid);
      if (known.get(uid)?.resourceVersion === orv) continue;
      known.set(uid, { resourceVersion: orv, object: identity(obj) });
      changes.push({ op: "upsert", kind, object: obj });
    }
    for (const [uid, k] of [...known]) {
      if (seen.has(uid)) continue;
      known.delete(uid);
      changes.push({ op: "delete", kind, object: k.object, resourceVersion: listRv });
    }
    if (changes.length > 0) await o.onChanges(changes);
    o.onNotice?.({
      type: "listed",
      kind,
      objects: items.length,
      resourceVersion: listRv,
      relist: listedBefore,
    });
    listedBefore = true;
    rv = listRv;
  };

  const watch = async (from: string): Promise<void> => {
    // Jitter on the timeout spreads the kinds' (and sensors') reconnections, as client-go's reflector does.
    const timeout = Math.round((o.watchTimeoutSeconds ?? 300) * (1 + o.clock.random()));
    const q = new URLSearchParams({
      watch: "1",
      allowWatchBookmarks: "true",
      resourceVersion: from,
      timeoutSeconds: String(timeout),
    });
    const res = await request(`${base}?${q}`, signal);
    if (res.status !== 200) {
      const text = await readAll(res.body, 1024 * 1024, `a ${kind.kind} watch error`).catch(() => "");
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {}
      if (res.status === 410) throw new Gone(statusMessage(body));
      throw new PalisadeError("REMOTE", `${kind.kind} watch: ${res.status} ${statusMessage(body)}`.trim());
    }
    attempt = 0;
    let pending = "";
    const handle = async (line: string) => {
      let ev: unknown;
      try {
        ev = JSON.parse(line);
      } catch {
        throw new PalisadeError("INPUT", `${kind.kind} watch: an event is not JSON`);
      }
      if (!isRecord(ev) || !isRecord(ev.object)) return;
      if (ev.type === "ERROR") {
        const code = ev.object.code;
        if (code === 410) throw new Gone(statusMessage(ev.object));
        throw new PalisadeError(
          "REMOTE",
          `${kind.kind} watch: error ${String(code)} ${statusMessage(ev.object)}`,
        );
      }
      const obj = typed(ev.object);
      if (!obj) return;
      const orv = rvOf(obj);
      if (ev.type === "BOOKMARK") {
        if (orv) rv = orv;
        return;
      }
      const uid = uidOf(obj);
      if (uid === undefined || orv === undefined) return;
      if (ev.type === "ADDED" || ev.type === "MODIFIED") {
        known.set(uid, { resourceVersion: orv, object: identity(obj) });
        await o.onChanges([{ op: "upsert", kind, object: obj }]);
      } else if (ev.type === "DELETED") {
        known.delete(uid);
        await o.onChanges([{ op: "delete", kind, object: obj }]);
      }
      // Moved on only once the change is handed over: a failure before resumes from the previous one.
      rv = orv;
    };
    for await (const c of res.body) {
      pending += typeof c === "string" ? c : (c as Buffer).toString("utf8");
      let nl = pending.indexOf("\n");
      while (nl >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        if (line.trim() !== "") await handle(line);
        nl = pending.indexOf("\n");
      }
      if (pending.length > maxEvent)
        throw new PalisadeError("LIMIT", `${kind.kind} watch: an event is larger than ${maxEvent} bytes`);
    }
    if (pending.trim() !== "") await handle(pending);
  };

  while (!signal.aborted) {
    try {
      if (rv === undefined) await list();
      else if (resuming) o.onNotice?.({ type: "resumed", kind, resourceVersion: rv });
      resuming = true;
      await watch(rv as string);
    } catch (e) {
      if (signal.aborted) break;
      if (e instanceof Gone) {
        o.onNotice?.({ type: "gone", kind, message: e.message });
        rv = undefined;
        resuming = false;
        // Relisting at once is what the server asks for; a server that keeps answering 410 is backed off below.
        if (attempt++ === 0) continue;
      } else attempt++;
      const error =
        e instanceof PalisadeError
          ? e
          : new PalisadeError(
              "IO",
              `${kind.kind}: ${redactSecretsInText((e as Error).message ?? String(e))}`,
              {
                cause: e,
              },
            );
      const retryInMs = backoffDelay(attempt, o.clock.random(), o.backoff ?? DEFAULT_BACKOFF);
      o.onNotice?.({ type: "error", kind, error, attempt, retryInMs });
      try {
        await o.clock.sleep(retryInMs, signal);
      } catch {
        break;
      }
    }
  }
}
