import { describe, expect, it } from "vitest";
import type { CoverageEntry } from "../findings/index.js";
import type { Edge } from "./connectivity.js";
import { formatConnectivityJsonChunks } from "./format.js";

const edge = (i: number): Edge => ({
  src: { namespace: "a", kind: "Deployment", name: `w${i}` },
  dst:
    i % 3 === 0 ? { ipRange: "10.0.0.0-10.0.0.255" } : { namespace: "b", kind: "Deployment", name: `v${i}` },
  connections: i % 2 === 0 ? "all" : [{ protocol: "TCP", ports: [[80, 80]] }],
});
const COVERAGE: CoverageEntry[] = [
  { reason: "invalid", message: 'NetworkPolicy a/x: spec.ingress[0]: "bad"', kind: "NetworkPolicy" },
];

describe("formatConnectivityJsonChunks", () => {
  it("concatenates to exactly JSON.stringify({ edges, coverage }, null, 2) and a newline", () => {
    for (const n of [0, 1, 2, 3, 4, 7, 9])
      for (const coverage of [[], COVERAGE]) {
        const edges = Array.from({ length: n }, (_, i) => edge(i));
        const chunks = [...formatConnectivityJsonChunks(edges, coverage, 3)];
        expect(chunks.join("")).toBe(`${JSON.stringify({ edges, coverage }, null, 2)}\n`);
        // one chunk per run of three edges, plus the closing one (a single chunk without edges)
        expect(chunks.length).toBe(n === 0 ? 1 : Math.ceil(n / 3) + 1);
      }
  });
});
