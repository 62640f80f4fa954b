/**
 * NetworkPolicy connectivity as a graph. Clusters have thousands of allowed pairs, so the default view joins
 * workloads by namespace (an edge: some workload of A may open a connection to some workload of B); choosing a
 * namespace (`?namespace=`) draws its workloads and their peers one by one.
 */
import { useMemo } from "react";
import { apiGetAll } from "../api";
import { ClusterFilter, clusterOf } from "../components/cluster-filter";
import { Graph, type GraphEdge, type GraphNode } from "../components/graph";
import { Empty, Loaded, Partial } from "../components/state";
import { setParams, useLocation } from "../router";
import { useApi } from "../session";

export interface Endpoint {
  namespace?: string;
  kind?: string;
  name?: string;
  /** An address block outside the cluster (`cidr`, or `ipRange` as the analysis prints it). */
  cidr?: string;
  ipRange?: string;
}

export interface ConnEdge {
  src: Endpoint;
  dst: Endpoint;
  connections?: unknown;
}

const outside = (e: Endpoint) => e.cidr ?? e.ipRange;
const nsOf = (e: Endpoint) => e.namespace ?? outside(e) ?? "(outside)";
const wlOf = (e: Endpoint) =>
  outside(e) !== undefined
    ? (outside(e) as string)
    : `${e.namespace ? `${e.namespace}/` : ""}${e.kind ? `${e.kind}/` : ""}${e.name ?? ""}`;

/** The graph for one view: namespaces (no focus), or the workloads of `focus` and their peers. */
export function connectivityGraph(
  edges: ConnEdge[],
  focus: string | undefined,
): { nodes: GraphNode[]; edges: GraphEdge[] } {
  const nodes = new Map<string, GraphNode>();
  const out = new Map<string, GraphEdge>();
  const add = (id: string, kind: string) => {
    if (!nodes.has(id)) nodes.set(id, { id, label: id, kind });
  };
  for (const e of edges) {
    let a: string;
    let b: string;
    if (focus === undefined) {
      a = nsOf(e.src);
      b = nsOf(e.dst);
      add(a, outside(e.src) !== undefined ? "external" : "namespace");
      add(b, outside(e.dst) !== undefined ? "external" : "namespace");
    } else {
      if (nsOf(e.src) !== focus && nsOf(e.dst) !== focus) continue;
      a = wlOf(e.src);
      b = wlOf(e.dst);
      add(a, outside(e.src) !== undefined ? "external" : "workload");
      add(b, outside(e.dst) !== undefined ? "external" : "workload");
    }
    const id = `${a}->${b}`;
    if (!out.has(id)) out.set(id, { id, source: a, target: b });
  }
  return { nodes: [...nodes.values()], edges: [...out.values()] };
}

export function NetpolPage() {
  const { params } = useLocation();
  const focus = params.get("namespace") ?? undefined;
  const cluster = clusterOf(params);
  const load = useApi(`netpol:${cluster ?? ""}`, () =>
    apiGetAll<ConnEdge>("/api/v1/netpol/connectivity", { cluster }),
  );
  return (
    <section>
      <h1>Network connectivity</h1>
      <section className="filters" aria-label="Filters">
        <ClusterFilter params={params} />
      </section>
      <Loaded load={load} what="NetworkPolicy connectivity">
        {({ items, complete }) => (
          <>
            {!complete && <Partial n={items.length} />}
            <NetpolView edges={items} focus={focus} />
          </>
        )}
      </Loaded>
    </section>
  );
}

function NetpolView({ edges, focus }: { edges: ConnEdge[]; focus: string | undefined }) {
  const namespaces = useMemo(
    () =>
      [
        ...new Set(
          edges
            .flatMap((e) => [e.src, e.dst])
            .filter((e) => outside(e) === undefined)
            .map(nsOf),
        ),
      ].sort(),
    [edges],
  );
  const g = useMemo(() => connectivityGraph(edges, focus), [edges, focus]);
  if (edges.length === 0)
    return <Empty>No connection is allowed between the workloads this server knows.</Empty>;
  return (
    <>
      <label className="focus">
        Namespace{" "}
        <select
          name="namespace"
          value={focus ?? ""}
          onChange={(e) => setParams({ namespace: e.target.value || undefined })}
        >
          <option value="">all, by namespace</option>
          {namespaces.map((n) => (
            <option key={n} value={n}>
              {n}
            </option>
          ))}
        </select>
      </label>
      <p className="muted">
        {edges.length.toLocaleString("en")} allowed workload pairs; shown: {g.nodes.length} nodes,{" "}
        {g.edges.length} edges.
      </p>
      <Graph nodes={g.nodes} edges={g.edges} label="Allowed connections" />
      <details>
        <summary>Edges as text</summary>
        <ul className="small mono">
          {g.edges.map((e) => (
            <li key={e.id}>
              {e.source} → {e.target}
            </li>
          ))}
        </ul>
      </details>
    </>
  );
}
