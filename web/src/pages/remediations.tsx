/**
 * The remediation board: one column per state (open -> fix available -> patched image -> deployed -> closed), each
 * record with its rollout progress (replicas on a fixed digest out of all that ran the vulnerable one).
 */
import { apiGetAll, type ResourceRef } from "../api";
import { ClusterFilter, clusterOf } from "../components/cluster-filter";
import { Empty, Loaded, Partial, SeverityBadge } from "../components/state";
import { duration, when } from "../format";
import { useLocation } from "../router";
import { useApi } from "../session";

export interface RemediationRecord {
  key: string;
  vulnerabilityId: string;
  severity?: string;
  state: string;
  stateSince?: string;
  family?: string;
  package?: string;
  fixImage?: string;
  patchedImages?: string[];
  fixedVersions?: string[];
  openedAt?: string;
  closedAt?: string;
  timeToFixSeconds?: number;
  reopenCount?: number;
  totals?: { replicas?: number; fixedReplicas?: number; vulnerableReplicas?: number; workloads?: number };
  /** Per cluster: the same vulnerable digest in three clusters is one record with three rollouts. */
  rollouts?: { cluster: string; replicas: number; fixedReplicas: number; state: string }[];
  workloads?: { ref: ResourceRef; team?: string; replicas?: number; fixedReplicas?: number }[];
}

const STATES: { state: string; label: string }[] = [
  { state: "open", label: "Open" },
  { state: "fix-available", label: "Fix available" },
  { state: "patched-image", label: "Patched image" },
  { state: "deployed", label: "Deploying" },
  { state: "closed", label: "Closed" },
];

export function RemediationsPage() {
  const { params } = useLocation();
  const cluster = clusterOf(params);
  const load = useApi(`remediations:${cluster ?? ""}`, () =>
    apiGetAll<RemediationRecord>("/api/v1/remediations", { cluster }),
  );
  return (
    <section>
      <h1>Remediation</h1>
      <section className="filters" aria-label="Filters">
        <ClusterFilter params={params} />
      </section>
      <Loaded load={load} what="remediation records">
        {({ items: records, complete }) => {
          if (records.length === 0)
            return <Empty>No remediation record yet: records open when a vulnerable image runs.</Empty>;
          const known = new Set(STATES.map((s) => s.state));
          const columns = [
            ...STATES,
            ...[...new Set(records.map((r) => r.state))]
              .filter((s) => !known.has(s))
              .map((s) => ({ state: s, label: s })),
          ];
          return (
            <>
              {!complete && <Partial n={records.length} />}
              <div className="board">
                {columns.map((c) => {
                  const here = records.filter((r) => r.state === c.state);
                  return (
                    <section key={c.state} className="column" data-state={c.state} aria-label={c.label}>
                      <h2>
                        {c.label} <span className="muted">{here.length}</span>
                      </h2>
                      {here.map((r) => (
                        <Card key={r.key} r={r} />
                      ))}
                    </section>
                  );
                })}
              </div>
            </>
          );
        }}
      </Loaded>
    </section>
  );
}

function Card({ r }: { r: RemediationRecord }) {
  const total = r.totals?.replicas ?? 0;
  const fixed = r.totals?.fixedReplicas ?? 0;
  const pct = total === 0 ? (r.state === "closed" ? 100 : 0) : Math.round((fixed / total) * 100);
  return (
    <article className="card" data-record={r.key} data-state={r.state}>
      <header>
        {r.severity !== undefined && <SeverityBadge severity={r.severity} />}{" "}
        <strong>{r.vulnerabilityId}</strong>
      </header>
      <div className="mono small">{r.family ?? ""}</div>
      {r.package !== undefined && <div className="small">package {r.package}</div>}
      {r.patchedImages !== undefined && r.patchedImages.length > 0 && (
        <div className="small">
          fixed in <span className="mono">{r.patchedImages.join(", ")}</span>
        </div>
      )}
      <div
        className="progress"
        role="progressbar"
        aria-label={`rollout of ${r.vulnerabilityId}`}
        aria-valuemin={0}
        aria-valuemax={total}
        aria-valuenow={fixed}
      >
        <span style={{ width: `${pct}%` }} />
      </div>
      <div className="small">
        {fixed} / {total} replicas on a fixed digest
      </div>
      {(r.rollouts?.length ?? 0) > 1 && (
        <ul className="rollouts small" aria-label={`rollout of ${r.vulnerabilityId} per cluster`}>
          {r.rollouts?.map((x) => (
            <li key={x.cluster} data-cluster={x.cluster} data-state={x.state}>
              {x.cluster || "(no cluster)"}: {x.fixedReplicas} / {x.replicas}
            </li>
          ))}
        </ul>
      )}
      <div className="muted small">
        {r.state === "closed" && r.timeToFixSeconds !== undefined
          ? `closed ${when(r.closedAt)} · fixed in ${duration(r.timeToFixSeconds)}`
          : `since ${when(r.stateSince ?? r.openedAt)}`}
        {(r.reopenCount ?? 0) > 0 && ` · reopened ${r.reopenCount}×`}
      </div>
    </article>
  );
}
