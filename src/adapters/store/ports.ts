/**
 * The persistence ports: what services and apps may ask of a store, whatever the backend (embedded SQLite,
 * in-memory, PostgreSQL). Every method answers with a promise, so a networked backend and an embedded one are
 * interchangeable; every interface has one contract suite (test/contracts/) that each backend passes.
 *
 * Domain values (OSV records, known images, remediation records, findings) are core types; what this file adds
 * is what only storage knows: when something was first and last seen, validity intervals, paging.
 *
 * Times crossing these ports are ISO-8601 strings in `Date.prototype.toISOString` form when they come back, and
 * `Date`s when they go in (so every stored time has the one form that orders as text).
 */
import type {
  CoverageEntry,
  Finding,
  FindingStat,
  ResourceRef,
  Severity,
} from "../../core/findings/index.js";
import type { KnownImage, RemediationRecord } from "../../core/lineage/index.js";
import type { DedupedAlert, RuntimeAlert, WorkloadBaseline } from "../../core/runtime/index.js";
import type { OsvRecord } from "../../core/vuln/index.js";

// ---------------------------------------------------------------------------------------------------------------
// Vulnerability advisories

/**
 * Where the last import stands. `complete`: the last import that started also finished. `running`: one has
 * started and a writer still holds the import lock (readers see the data of the import before it). `interrupted`:
 * one started and nothing holds the lock any more (killed, crashed, or the machine stopped): the data is that of
 * an earlier import (or none), not what was asked for. `never`: nothing was ever imported.
 */
export type ImportState = "complete" | "running" | "interrupted" | "never";

/** What the advisory database holds and how fresh it is. */
export interface VulnDbStatus {
  advisories: number;
  /** Distinct (ecosystem, package) index keys. */
  packages: number;
  /** Advisories per base ecosystem. */
  byEcosystem: Record<string, number>;
  /** ISO time of the last completed import, absent for an empty database. */
  importedAt?: string | undefined;
  /**
   * Newest `modified` among the records: the age of the data itself. With `status(now)`, records modified after
   * `now` are left out (a record dated in year 9999 must not make the database look fresh forever).
   */
  newestModified?: string | undefined;
  /** Where the last import stands. */
  importState: ImportState;
  /** When the last import started (ISO time), when it is not complete. */
  importStartedAt?: string | undefined;
  /** Records whose `modified` is after `now` (with `status(now)`), left out of `newestModified`. */
  futureModified: number;
}

export interface ImportBatchResult {
  /** Records written (new or newer than the stored copy). */
  written: number;
  /** Records ignored because the store already had the same or a newer `modified`. */
  unchanged: number;
}

/**
 * OSV advisories, indexed by (base ecosystem, normalised package name) keys (`advisoryKey` in core/vuln).
 *
 * Imports are transactions: `beginImport` waits for any other import (up to the store's lock timeout), records
 * that an import started (committed on its own, so a killed import leaves that mark), and holds every
 * `putRecords` until `finishImport` commits them with the completion mark, or `abortImport` rolls them back.
 * A process killed mid-import therefore leaves the previous data plus a start mark without completion: the store
 * reads as `interrupted`.
 */
export interface VulnStore {
  /**
   * Insert or replace records; a record replaces a stored one only when not older. Outside an import, one
   * transaction per call; inside one, part of the import's transaction.
   */
  putRecords(records: readonly OsvRecord[]): Promise<ImportBatchResult>;
  /** Records indexed under each key, sorted by id. Keys without records are absent. */
  lookup(keys: readonly string[]): Promise<Map<string, OsvRecord[]>>;
  /** Start an import at `at` (ISO time): wait for the import lock, mark the start, open the transaction. */
  beginImport(at: string): Promise<void>;
  /** Commit the import's records and mark it complete at `at`. */
  finishImport(at: string): Promise<void>;
  /** Roll back the import's records and its start mark: the store is as it was before `beginImport`. */
  abortImport(): Promise<void>;
  /** Record that an import finished at `at` (ISO time), outside the begin/finish protocol. */
  markImported(at: string): Promise<void>;
  /** Counts and freshness; with `now` (ISO time), records modified after it do not count as newest. */
  status(now?: string): Promise<VulnDbStatus>;
  /** Release the store's connection(s); in a {@link Stores} bundle, the bundle's `close` does it. */
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------------------------
// Known images (the lineage tree's nodes)

/** A known image with when it was first and last analysed (ISO times). */
export interface StoredImage {
  image: KnownImage;
  firstSeen: string;
  lastSeen: string;
}

/**
 * One step of a tag's history: from `at` on, `ref` (for `platform`) named `digest`. A tag that moves (a base
 * rebuilt under the same tag) gets a new step; the steps of one tag, in order, are its history.
 */
export interface TagMove {
  ref: string;
  /** `os/arch[/variant]`, "" when unknown. */
  platform: string;
  digest: string;
  /** When the tag was first seen naming `digest` (the `now` of the put). */
  at: string;
}

/** Images analysed so far, by digest, with their layer chains: what the lineage tree is built from. */
export interface KnownImageStore {
  /**
   * Remember images analysed at `now`, in one transaction. Refs merge with what is stored for the same digest; a
   * tag names one image per platform, so a ref now pointing here is removed from the image of the same platform
   * it named before (tags move). `firstSeen` is kept, `lastSeen` becomes `now`.
   */
  putImages(images: readonly KnownImage[], now: Date): Promise<void>;
  /** Every known image, by digest. Stored rows that no longer parse are coverage entries, not failures. */
  listImages(): Promise<{ images: StoredImage[]; coverage: CoverageEntry[] }>;
  /**
   * The history of tags (every tag, or the one `ref` names): each time `putImages` saw a tag name a digest it did
   * not name before, in the order seen; sorted by ref, platform, then order.
   */
  tagHistory(ref?: string): Promise<TagMove[]>;
}

// ---------------------------------------------------------------------------------------------------------------
// Remediation records

/** What an update function returns: the records to write and the caller's result. */
export interface RemediationUpdate<T> {
  /** Records to insert or replace (by `key`); stored records not named here stay as they are. */
  records: RemediationRecord[];
  result: T;
}

/** One record per (vulnerability, image family), advanced by successive observations of the fleet. */
export interface RemediationStore {
  /** Every record, by key. */
  listRecords(): Promise<RemediationRecord[]>;
  /**
   * Atomic read-modify-write: `fn` receives every record (by key) and returns the records to write, under a lock
   * that no other writer of this database (another process, another connection) can interleave with, so two
   * concurrent advancers never lose an update: the second sees the first's records. `fn` is called exactly once
   * and must be synchronous and pure (no IO: it runs while the lock is held); if it throws, nothing is written
   * and the error propagates.
   */
  update<T>(fn: (current: RemediationRecord[]) => RemediationUpdate<T>): Promise<T>;
}

// ---------------------------------------------------------------------------------------------------------------
// Inventory snapshots: object versions with validity over time

/** One object of a snapshot. `hash` is the caller's content hash (equal hash: the object did not change). */
export interface SnapshotObject {
  /** apiVersion/kind/namespace/name: the identity of the object across snapshots. */
  key: ResourceRef;
  /** metadata.uid: a new uid under the same key (deleted and recreated) opens a new version. */
  uid?: string | undefined;
  hash: string;
  /** The object as observed (JSON value; Secret values already dropped by the loader). */
  object: unknown;
  /**
   * `JSON.stringify(object)`, when the caller made it already (to hash it): a SQL store writes this text instead
   * of serialising the object a second time.
   */
  json?: string | undefined;
}

/**
 * What a snapshot read: `"all"`, or some namespaces and/or kinds (both given: objects in those namespaces of
 * those kinds). An object absent from a snapshot is closed only if the scope covers it: a read of namespace
 * `a` says nothing about namespace `b`, nor about cluster-scoped objects.
 */
export type SnapshotScope =
  | "all"
  | {
      /** Namespaces read; cluster-scoped objects are not covered when this is given. */
      namespaces?: readonly string[] | undefined;
      /** Kinds read (`kind` as in the object, e.g. "Deployment"). */
      kinds?: readonly string[] | undefined;
    };

/** One version of an object: valid over [validFrom, validTo), validTo absent while it is current. */
export interface ObjectVersion {
  cluster: string;
  key: ResourceRef;
  uid?: string | undefined;
  hash: string;
  object: unknown;
  validFrom: string;
  validTo?: string | undefined;
}

/** What one snapshot changed. */
export interface SnapshotResult {
  /** Versions opened (new objects and changed ones). */
  opened: number;
  /** Versions closed (changed objects and objects gone within the scope). */
  closed: number;
  /** Objects whose current version was confirmed unchanged. */
  unchanged: number;
}

/** Inventory history per cluster: each object's versions with their validity intervals. */
export interface InventorySnapshotStore {
  /**
   * Record a snapshot of `cluster` observed at `observedAt`, in one transaction: an object new or changed (hash
   * or uid) opens a version at `observedAt` (closing the previous one there), an unchanged one keeps its version,
   * and a current version absent from the snapshot is closed at `observedAt` when `scope` covers it. A snapshot
   * older than the cluster's latest one is refused (INPUT): history is appended, never rewritten. Two objects
   * with one key in a snapshot are refused (INPUT).
   */
  putSnapshot(
    cluster: string,
    observedAt: Date,
    scope: SnapshotScope,
    objects: readonly SnapshotObject[],
  ): Promise<SnapshotResult>;
  /** The versions valid at `at` (validFrom <= at < validTo), sorted by key. */
  objectsAt(cluster: string, at: Date): Promise<ObjectVersion[]>;
  /**
   * The versions {@link objectsAt} gives, handed to `each` one at a time as they are read, in no particular order,
   * none kept by the store: a reader that keeps less of each object than it is handed never holds the whole state
   * at once (1.1M versions of a 1M-pod cluster parse to about 1.5 GiB). Resolves with how many were handed.
   */
  eachObjectAt(cluster: string, at: Date, each: (v: ObjectVersion) => void): Promise<number>;
  /** Every version of one object, oldest first. */
  history(cluster: string, key: ResourceRef): Promise<ObjectVersion[]>;
  /** Every cluster with a snapshot, with the time of its latest one, by cluster name. */
  clusters(): Promise<{ cluster: string; latest: string }[]>;
  /** The times of the cluster's snapshots (ISO), newest first, at most `limit` (default 100, at most 1,000). */
  snapshotTimes(cluster: string, limit?: number): Promise<string[]>;
}

// ---------------------------------------------------------------------------------------------------------------
// Findings over time

/** A finding as stored for one cluster: the latest evaluation's copy, with when it was first and last seen. */
export interface StoredFinding {
  cluster: string;
  finding: Finding;
  firstSeen: string;
  lastSeen: string;
  /** When an evaluation of the cluster stopped reporting it; absent while it is open. */
  resolvedAt?: string | undefined;
}

/** What one evaluation changed. */
export interface FindingUpsertResult {
  /** Ids never seen before for this cluster. */
  opened: number;
  /** Ids open before and still reported. */
  updated: number;
  /** Ids resolved before and reported again (resolvedAt cleared, firstSeen kept). */
  reopened: number;
  /** Ids open before and not reported by this evaluation (resolvedAt set). */
  resolved: number;
}

/** Filters and paging for {@link FindingStore.list}. */
export interface FindingQuery {
  cluster?: string | undefined;
  namespace?: string | undefined;
  severity?: readonly Severity[] | undefined;
  ruleId?: string | undefined;
  /** The finding's team (as the evaluation attributed it). */
  team?: string | undefined;
  /** One finding id. */
  id?: string | undefined;
  /** Only findings first seen at or after this time ("new since"). */
  firstSeenSince?: Date | undefined;
  /** Only findings resolved at or after this time ("resolved since"). */
  resolvedSince?: Date | undefined;
  /** Only findings without resolvedAt. */
  openOnly?: boolean | undefined;
  /** Page size (default 100, at most 1,000). */
  limit?: number | undefined;
  /** The `next` cursor of the previous page. */
  after?: string | undefined;
}

/** A page of results in a deterministic order, and the cursor of the next page when there is one. */
export interface Page<T> {
  items: T[];
  next?: string | undefined;
}

/** Findings per cluster across evaluations, by stable finding id. */
export interface FindingStore {
  /**
   * Record one evaluation of `cluster` at `evaluatedAt` (one transaction): every finding given is stored (its
   * latest copy) with lastSeen = evaluatedAt; an id seen for the first time gets firstSeen = evaluatedAt; an open
   * id of the cluster not given is resolved at evaluatedAt. Duplicate ids in one evaluation are refused (INPUT).
   */
  upsertEvaluation(
    cluster: string,
    evaluatedAt: Date,
    findings: readonly Finding[],
  ): Promise<FindingUpsertResult>;
  /** Findings matching every filter given, ordered by (cluster, finding id), one page at a time. */
  list(query?: FindingQuery): Promise<Page<StoredFinding>>;
  /**
   * What a summary reads of every finding of the cluster and team given (team, severity, first/last seen,
   * resolved), ordered by (cluster, finding id); no finding's body is read.
   */
  stats(query?: FindingStatsQuery): Promise<FindingStat[]>;
}

export interface FindingStatsQuery {
  cluster?: string | undefined;
  team?: string | undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Audit of platform actions

/** JSON value (details of an audit entry). */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** A platform action to record. Never put a secret's value in `details`. */
export interface AuditInput {
  at: Date;
  /** Who acted: a user, a service account, "palisade" for the platform itself. */
  actor: string;
  /** What was done, e.g. "exception.create", "remediation.advance". */
  action: string;
  /** What it was done to (a resource, a record key). */
  subject: string;
  details?: JsonValue | undefined;
}

/** A recorded action: `seq` orders entries appended at the same time. */
export interface AuditEntry {
  seq: number;
  at: string;
  actor: string;
  action: string;
  subject: string;
  details: JsonValue;
}

/** Range and paging for {@link AuditStore.list}. */
export interface AuditQuery {
  /** Entries at or after this time. */
  from?: Date | undefined;
  /** Entries before this time. */
  to?: Date | undefined;
  /** Page size (default 100, at most 1,000). */
  limit?: number | undefined;
  /** The `next` cursor of the previous page. */
  after?: string | undefined;
}

/** Append-only log of platform actions: entries are never updated or deleted through this port. */
export interface AuditStore {
  append(entry: AuditInput): Promise<AuditEntry>;
  /** Entries in the range ordered by (at, seq), one page at a time. */
  list(query?: AuditQuery): Promise<Page<AuditEntry>>;
}

// ---------------------------------------------------------------------------------------------------------------
// API tokens

/** An API token as stored: never the token, only its SHA-256 digest (hex). */
export interface StoredToken {
  /** Public id (for audit entries and logs); derived from the digest, never usable to recover the token. */
  id: string;
  digest: string;
  /** The role it grants (the server checks it on read). */
  role: string;
  /** The team of a team-scoped role. */
  team?: string | undefined;
  createdAt: string;
}

/** API tokens of the server. */
export interface TokenStore {
  /** Add a token; a second token with the same id or digest is refused (INPUT). */
  put(token: StoredToken): Promise<void>;
  /** Every token, ordered by id (a server holds few: lookups compare every digest in constant time). */
  list(): Promise<StoredToken[]>;
}

// ---------------------------------------------------------------------------------------------------------------
// Exceptions granted through the API

/** An exception as stored: the exception (core/exceptions shape, as JSON) and who granted it when. */
export interface StoredException {
  /** Server-assigned id. */
  id: string;
  /** The exception: scope (rules, namespaces, workloads, images, labels), reason, expires, owner. */
  exception: JsonValue;
  /** Clusters it applies to; absent: every cluster. */
  clusters?: string[] | undefined;
  createdBy: string;
  createdAt: string;
  /** Ended before its expiry: when, by whom, why. */
  revoked?: ExceptionRevocation | undefined;
}

export interface ExceptionRevocation {
  at: string;
  by: string;
  reason?: string | undefined;
}

/**
 * Exceptions granted through the API. Kept, never deleted: expiry or a revocation ends them, and the audit log
 * says who made and who ended them.
 */
export interface ExceptionStore {
  /** Add one; a second with the same id is refused (INPUT). */
  put(e: StoredException): Promise<void>;
  /** Every exception, ordered by id. */
  list(): Promise<StoredException[]>;
  /**
   * End one: the exception as it is now, undefined when there is no such id; one already revoked is refused
   * (INPUT) and keeps its first revocation.
   */
  revoke(id: string, revocation: ExceptionRevocation): Promise<StoredException | undefined>;
}

// ---------------------------------------------------------------------------------------------------------------
// Runtime baselines

/**
 * Behaviour baselines of workloads (core/runtime `WorkloadBaseline`), one per (cluster, workload key
 * `namespace/kind/name`): two clusters with a namespace and workload of the same name learn apart. The cluster
 * `""` is the local book of `palisade events` (events read from files, no cluster named). A save replaces the
 * baselines it names and leaves the others.
 */
export interface BaselineStore {
  /** The cluster's baselines, ordered by key; rows that no longer parse are coverage entries, not failures. */
  listBaselines(cluster: string): Promise<{ baselines: WorkloadBaseline[]; coverage: CoverageEntry[] }>;
  /** Insert or replace these baselines of the cluster in one transaction, stamped `now`. */
  putBaselines(cluster: string, baselines: readonly WorkloadBaseline[], now: Date): Promise<void>;
  /** Delete the cluster's baselines of these workload keys in one transaction (keys not stored are ignored). */
  deleteBaselines(cluster: string, keys: readonly string[]): Promise<void>;
  /** The clusters holding at least one baseline, sorted. */
  baselineClusters(): Promise<string[]>;
}

// ---------------------------------------------------------------------------------------------------------------
// Runtime alerts

/**
 * A runtime alert as the server keeps it: one per (cluster, rule, key), the evidence of its earliest event, when
 * it was first and last seen (event times, ISO) and how many events fired it.
 */
export interface StoredAlert {
  cluster: string;
  ruleId: string;
  key: string;
  severity: Severity;
  /** The alert as detected (`time` is the earliest event's, ms since the epoch). */
  alert: RuntimeAlert;
  firstSeen: string;
  lastSeen: string;
  count: number;
  /** When the store last merged events into it (the writer's clock, ISO). */
  updatedAt: string;
}

/** Filters and paging for {@link AlertStore.list}. */
export interface AlertQuery {
  cluster?: string | undefined;
  /** The workload's namespace, else the namespace of the object an audit alert is about. */
  namespace?: string | undefined;
  team?: string | undefined;
  severity?: readonly Severity[] | undefined;
  ruleId?: string | undefined;
  /** Only alerts last seen at or after this time. */
  lastSeenSince?: Date | undefined;
  /** Page size (default 100, at most 1,000). */
  limit?: number | undefined;
  /** The `next` cursor of the previous page. */
  after?: string | undefined;
}

/** Runtime alerts per cluster, deduplicated by rule and key across every batch recorded. */
export interface AlertStore {
  /**
   * Merge deduplicated alerts of `cluster` (one transaction; writers of one cluster serialise): a new
   * (rule, key) is stored as given; a known one adds the count, widens first/last seen, and takes the evidence
   * of the earlier event. Answers the alerts stored for the first time (to route them once) and how many merged.
   */
  record(
    cluster: string,
    alerts: readonly DedupedAlert[],
    now: Date,
  ): Promise<{ opened: StoredAlert[]; merged: number }>;
  /** Alerts matching every filter given, ordered by (cluster, rule, key), one page at a time. */
  list(query?: AlertQuery): Promise<Page<StoredAlert>>;
}

// ---------------------------------------------------------------------------------------------------------------
// Admission decisions

/** One admission decision to record (what the webhook answered, and about what). */
export interface AdmissionDecisionInput {
  at: Date;
  /** The AdmissionReview request uid. */
  uid: string;
  /** The cluster whose API server asked (`admission serve --cluster`); "" or absent: none named. */
  cluster?: string | undefined;
  /** "validate" or "mutate". */
  endpoint: string;
  allowed: boolean;
  /** What was evaluated ("pod", "controller", ...) or "failure" when the failure policy answered. */
  evaluated: string;
  operation: string;
  kind: string;
  /** "" for cluster-scoped objects. */
  namespace: string;
  /** "" when the API server generates the name. */
  name: string;
  /** Who asked (the request's userInfo.username). */
  user: string;
  /** The rules violated (distinct, sorted): what `rule` filters on. */
  rules: string[];
  /** The rest: message, warnings, violations (with exceptions), exemption. Never a secret's value. */
  details: JsonValue;
}

/** A recorded decision: `seq` orders decisions as they were recorded. */
export interface StoredAdmissionDecision extends Omit<AdmissionDecisionInput, "at" | "cluster"> {
  seq: number;
  at: string;
  /** "" when the webhook named no cluster. */
  cluster: string;
}

/** Filters and paging for {@link AdmissionDecisionStore.list}. */
export interface AdmissionDecisionQuery {
  /** Decisions at or after this time. */
  from?: Date | undefined;
  /** Decisions before this time. */
  to?: Date | undefined;
  /** Decisions of this cluster ("" : those recorded without one). */
  cluster?: string | undefined;
  namespace?: string | undefined;
  allowed?: boolean | undefined;
  /** Decisions that violated this rule. */
  rule?: string | undefined;
  uid?: string | undefined;
  /** Page size (default 100, at most 1,000). */
  limit?: number | undefined;
  /** The `next` cursor of the previous page. */
  after?: string | undefined;
}

/** Admission decisions, newest first, bounded by retention (`prune`). */
export interface AdmissionDecisionStore {
  /** Record decisions in one transaction. */
  append(decisions: readonly AdmissionDecisionInput[]): Promise<void>;
  /** Matching decisions, newest (highest seq) first, one page at a time. */
  list(query?: AdmissionDecisionQuery): Promise<Page<StoredAdmissionDecision>>;
  /**
   * Delete decisions recorded before `before`, and all but the newest `keep`; the number deleted. With `chunk`, in
   * steps of at most that many rows (each deletion its own transaction), the event loop free between them: a
   * retention that removes a million rows never holds the loop or the database's write lock for long, and
   * decisions appended meanwhile are newer than any it deletes. The result is the same as one prune.
   */
  prune(
    retention: { before?: Date | undefined; keep?: number | undefined },
    opts?: DecisionPruneOptions,
  ): Promise<number>;
}

/** How {@link AdmissionDecisionStore.prune} works: all at once (default), or in steps of `chunk` rows. */
export interface DecisionPruneOptions {
  chunk?: number | undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// The bundle

/** Every store of one database (one SQLite file, one PostgreSQL schema, or one in-memory set). */
export interface Stores {
  /** Where the stores live, for messages: the file path, ":memory:", or the URL with its password redacted. */
  readonly location: string;
  readonly vulns: VulnStore;
  readonly images: KnownImageStore;
  readonly remediation: RemediationStore;
  readonly snapshots: InventorySnapshotStore;
  readonly findings: FindingStore;
  readonly audit: AuditStore;
  readonly tokens: TokenStore;
  readonly exceptions: ExceptionStore;
  readonly baselines: BaselineStore;
  readonly alerts: AlertStore;
  readonly admissionDecisions: AdmissionDecisionStore;
  /**
   * A mark of the stored state, for a backend that can tell cheaply whether anything changed without reading
   * what changed: two calls give the same value only when nothing was committed to the database in between, by
   * this bundle or by any other connection (another bundle, another process). A reader keeps what it read with
   * the mark it read before, and reads again only when the mark moved (the server checks it per request instead
   * of reading the clusters' latest snapshots and the tokens). SQLite: `PRAGMA data_version` (commits of other
   * connections) with this connection's `total_changes()` (its own), about 1 us; absent where the check would
   * cost a round trip like the read itself (PostgreSQL) or where nothing else can write (memory).
   */
  changeMark?(): string;
  /**
   * The store revision: a persistent counter that every commit changing what the server's cached answers read
   * moves once (not once per row), whichever process or connection made it: object versions (snapshots),
   * findings, known images, advisories (an import moves it once, when it commits), remediation records. Admission
   * decisions, the audit log, tokens, exceptions (read at the next snapshot, whose writes move it), baselines,
   * alerts and the fleet object state never move it: the server's cached answers do not read them, and
   * `admission serve` records decisions many times a second, each of which would otherwise drop the fleet view.
   * Two reads give the same value only when no such commit happened in between. A store that adds a cached read
   * of another table moves the revision on that table's writes too.
   */
  revision(): Promise<string>;
  /**
   * {@link revision} and `snapshots.clusters()` read together, where one read costs less than two: on PostgreSQL
   * one statement (one round trip, one snapshot of the database), which the server makes per request. Absent
   * where the two reads cost nothing more apart (SQLite, memory).
   */
  revisionAndClusters?(): Promise<{ revision: string; clusters: { cluster: string; latest: string }[] }>;
  /** Release every connection; calling it again does nothing. */
  close(): Promise<void>;
}

/** Options of `openStores`; each backend reads the ones that apply to it. */
export interface OpenStoresOptions {
  /** How long a writer waits for another one (an import, a migration, a remediation update); default 120 s. */
  lockTimeoutMs?: number | undefined;
  /** SQLite: run the integrity check at open (default true). */
  check?: boolean | undefined;
  /** PostgreSQL: schema holding the tables (overrides `?schema=` in the URL). */
  schema?: string | undefined;
  /** PostgreSQL: most pooled connections (default 4). */
  maxConnections?: number | undefined;
}
