import { type CoverageEntry, cmp } from "../findings/index.js";
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
  for (const [id, ep] of [...nodes.entries()].sort(([a], [b]) => cmp(a, b)))
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

const EDGES_OPEN = '{\n  "edges": [\n';
const EDGES_CLOSE = "\n  ]\n}";

/**
 * `JSON.stringify({ edges, coverage }, null, 2)` and a newline, as chunks whose concatenation is exactly that text
 * (`palisade netpol connectivity -o json`). A run of edges is `JSON.stringify({ edges: run }, null, 2)` without its
 * first two and last two lines, which leaves the elements at their final indentation. 100k edges are about 45 MB
 * of text: written in chunks, neither the whole text nor its UTF-8 copy is held, and each chunk is garbage as soon
 * as it is written instead of being carried through the young generation.
 */
export function* formatConnectivityJsonChunks(
  edges: readonly Edge[],
  coverage: readonly CoverageEntry[],
  edgesPerChunk = 2000,
): Generator<string> {
  if (edges.length === 0) {
    yield `${JSON.stringify({ edges, coverage }, null, 2)}\n`;
    return;
  }
  for (let i = 0; i < edges.length; i += edgesPerChunk) {
    const text = JSON.stringify({ edges: edges.slice(i, i + edgesPerChunk) }, null, 2);
    yield `${i === 0 ? EDGES_OPEN : ",\n"}${text.slice(EDGES_OPEN.length, -EDGES_CLOSE.length)}`;
  }
  // A top-level member `k` is `JSON.stringify({ k: v }, null, 2)` without its braces.
  yield `\n  ],\n${JSON.stringify({ coverage }, null, 2).slice(2, -2)}\n}\n`;
}
