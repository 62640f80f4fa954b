/**
 * Escalation paths to cluster-admin drawn as a graph (subject -> each step's principal -> cluster-admin), and each
 * path step by step, with the binding that grants it.
 */
import { useMemo } from "react";
import { apiGetAll } from "../api";
import { ClusterFilter, clusterOf } from "../components/cluster-filter";
import { Graph, type GraphEdge, type GraphNode } from "../components/graph";
import { Empty, Loaded, Partial } from "../components/state";
import { useLocation } from "../router";
import { useApi } from "../session";

export interface RbacPath {
  cluster?: string;
  subject: { kind: string; name: string; namespace?: string };
  steps: {
    mechanism: string;
    detail?: string;
    to?: string;
    binding?: { kind: string; name: string; namespace?: string };
  }[];
  target?: string;
}

const subjectId = (p: RbacPath) =>
  `${p.cluster !== undefined ? `${p.cluster}: ` : ""}${p.subject.kind}:${p.subject.namespace ? `${p.subject.namespace}/` : ""}${p.subject.name}`;

/** Nodes and edges of the paths: subjects, intermediate principals, and the target every path ends at. */
export function pathGraph(paths: RbacPath[], target: string): { nodes: GraphNode[]; edges: GraphEdge[] } {
  const nodes = new Map<string, GraphNode>();
  const edges = new Map<string, GraphEdge>();
  nodes.set(target, { id: target, label: target, kind: "target" });
  for (const p of paths) {
    // Principals are per cluster: the same group name in two clusters is two nodes.
    const prefix = p.cluster !== undefined ? `${p.cluster}: ` : "";
    let from = subjectId(p);
    if (!nodes.has(from)) nodes.set(from, { id: from, label: from, kind: "subject" });
    p.steps.forEach((s, i) => {
      const last = i === p.steps.length - 1;
      const to = last || s.to === undefined ? target : `${prefix}${s.to}`;
      if (!nodes.has(to)) nodes.set(to, { id: to, label: to, kind: "step" });
      const id = `${from}->${to}:${s.mechanism}`;
      if (!edges.has(id)) edges.set(id, { id, source: from, target: to, label: s.mechanism });
      from = to;
    });
  }
  return { nodes: [...nodes.values()], edges: [...edges.values()] };
}

export function RbacPage() {
  const { params } = useLocation();
  const cluster = clusterOf(params);
  const load = useApi(`rbac:${cluster ?? ""}`, () => apiGetAll<RbacPath>("/api/v1/rbac/paths", { cluster }));
  return (
    <section>
      <h1>RBAC escalation paths</h1>
      <section className="filters" aria-label="Filters">
        <ClusterFilter params={params} />
      </section>
      <Loaded load={load} what="RBAC escalation paths">
        {({ items, complete }) => (
          <>
            {!complete && <Partial n={items.length} />}
            <RbacView paths={items} />
          </>
        )}
      </Loaded>
    </section>
  );
}

function RbacView({ paths }: { paths: RbacPath[] }) {
  const target = paths.find((p) => p.target !== undefined)?.target ?? "cluster-admin";
  const g = useMemo(() => pathGraph(paths, target), [paths, target]);
  if (paths.length === 0) return <Empty>No subject can reach {target}.</Empty>;
  return (
    <>
      <p className="muted">
        {paths.length} subjects can reach {target}.
      </p>
      <Graph
        nodes={g.nodes}
        edges={g.edges}
        label={`Escalation paths to ${target}`}
        layout="concentric"
        height={620}
      />
      <ol className="paths" aria-label="Paths">
        {paths.map((p) => (
          <li key={subjectId(p)}>
            <strong className="mono">{subjectId(p)}</strong>
            <ol>
              {p.steps.map((s, i) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: steps of one path, in order
                <li key={i}>
                  <span className="tag">{s.mechanism}</span> {s.detail ?? s.to ?? ""}
                </li>
              ))}
            </ol>
          </li>
        ))}
      </ol>
    </>
  );
}
