import type { Connectivity, ConnectivityDiff, Edge, Endpoint } from "./connectivity.js";
import { isRangeEndpoint } from "./connectivity.js";
import { type ConnectionsJson, connFromJson, formatConn } from "./ports.js";

/** `namespace/Kind/name` or the range text. */
export function endpointText(e: Endpoint): string {
  return isRangeEndpoint(e) ? e.ipRange : `${e.namespace}/${e.kind}/${e.name}`;
}

const connText = (c: ConnectionsJson): string => formatConn(connFromJson(c));

/** One line per edge: `src -> dst : TCP:80`. */
export function formatConnectivityText(c: Pick<Connectivity, "edges">): string {
  if (c.edges.length === 0) return "no allowed connections\n";
  return c.edges
    .map((e) => `${endpointText(e.src)} -> ${endpointText(e.dst)} : ${connText(e.connections)}\n`)
    .join("");
}

const q = (s: string): string => JSON.stringify(s);

/** Graphviz DOT: one node per endpoint (boxes for workloads, ellipses for ranges), one labelled edge per edge. */
export function formatConnectivityDot(c: Pick<Connectivity, "edges">): string {
  const nodes = new Map<string, Endpoint>();
  for (const e of c.edges) {
    nodes.set(endpointText(e.src), e.src);
    nodes.set(endpointText(e.dst), e.dst);
  }
  const lines = ["digraph connectivity {", "  rankdir=LR;"];
  for (const [id, ep] of [...nodes.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
    lines.push(`  ${q(id)} [shape=${isRangeEndpoint(ep) ? "ellipse" : "box"}];`);
  for (const e of c.edges)
    lines.push(
      `  ${q(endpointText(e.src))} -> ${q(endpointText(e.dst))} [label=${q(connText(e.connections))}];`,
    );
  lines.push("}");
  return `${lines.join("\n")}\n`;
}

/** `+ src -> dst : ...`, `- src -> dst : ...`, `~ src -> dst : before => after`. */
export function formatDiffText(d: ConnectivityDiff): string {
  const line = (sign: string, e: Edge): string =>
    `${sign} ${endpointText(e.src)} -> ${endpointText(e.dst)} : ${connText(e.connections)}\n`;
  const out = [
    ...d.added.map((e) => line("+", e)),
    ...d.removed.map((e) => line("-", e)),
    ...d.changed.map(
      (e) =>
        `~ ${endpointText(e.src)} -> ${endpointText(e.dst)} : ${connText(e.before)} => ${connText(e.after)}\n`,
    ),
  ];
  return out.length === 0 ? "no change in allowed connections\n" : out.join("");
}
