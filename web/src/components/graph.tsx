/**
 * A directed graph drawn by cytoscape (breadth-first layout: sources on top), with the same nodes and edges also
 * listed in text beside it, so what the picture says can be read, searched and tested.
 */
import cytoscape, { type ElementDefinition } from "cytoscape";
import { useEffect, useRef } from "react";

export interface GraphNode {
  id: string;
  label: string;
  /** CSS-like class: `subject`, `target`, `namespace`, `workload`... */
  kind: string;
}

export interface GraphEdge {
  id: string;
  source: string;
  target: string;
  label?: string;
}

const COLORS: Record<string, string> = {
  subject: "#1f4e79",
  step: "#6b7785",
  target: "#b42318",
  namespace: "#1f4e79",
  workload: "#3d6b35",
  external: "#8a5a00",
};

/** Concentric rings by node kind: the higher, the nearer the middle. */
const RINGS: Record<string, number> = { target: 3, step: 2, subject: 1 };

export function Graph({
  nodes,
  edges,
  label,
  height = 520,
  layout = "breadthfirst",
}: {
  nodes: GraphNode[];
  edges: GraphEdge[];
  label: string;
  height?: number;
  /** breadthfirst: sources on top; concentric: targets in the middle, sources on the outer ring. */
  layout?: "breadthfirst" | "concentric";
}) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (ref.current === null) return;
    const elements: ElementDefinition[] = [
      ...nodes.map((n) => ({ data: { id: n.id, label: n.label, kind: n.kind } })),
      ...edges.map((e) => ({ data: { id: e.id, source: e.source, target: e.target, label: e.label ?? "" } })),
    ];
    const cy = cytoscape({
      container: ref.current,
      elements,
      // A picture for reading, not editing: no dragging nodes around by accident.
      autoungrabify: true,
      // Fitting a small graph would zoom its labels up to poster size.
      maxZoom: 1,
      minZoom: 0.2,
      wheelSensitivity: 0.3,
      style: [
        {
          selector: "node",
          style: {
            label: "data(label)",
            "font-size": 10,
            "text-valign": "bottom",
            "text-margin-y": 3,
            width: 14,
            height: 14,
            "background-color": (n: cytoscape.NodeSingular) => COLORS[n.data("kind") as string] ?? "#6b7785",
            color: "#1d2330",
            "text-wrap": "ellipsis",
            "text-max-width": "240px",
          },
        },
        {
          selector: "edge",
          style: {
            width: 1.2,
            "line-color": "#9aa5b1",
            "target-arrow-color": "#9aa5b1",
            "target-arrow-shape": "triangle",
            "curve-style": "bezier",
            label: "data(label)",
            "font-size": 8,
            color: "#56606b",
            "text-rotation": "autorotate",
          },
        },
      ],
      layout:
        layout === "concentric"
          ? {
              name: "concentric",
              concentric: (n: cytoscape.NodeSingular) => RINGS[n.data("kind") as string] ?? 1,
              levelWidth: () => 1,
              minNodeSpacing: 50,
              padding: 12,
            }
          : { name: "breadthfirst", directed: true, spacingFactor: 1.1, padding: 12 },
    });
    return () => cy.destroy();
  }, [nodes, edges, layout]);
  return (
    <div ref={ref} className="graph" style={{ height }} role="img" aria-label={label} data-testid="graph" />
  );
}
