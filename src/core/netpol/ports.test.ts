import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  CONN_ALL,
  CONN_NONE,
  connEquals,
  connFromJson,
  connIntersect,
  connOf,
  connToJson,
  connUnion,
  formatConn,
  intersectIntervals,
  normalizeIntervals,
  unionIntervals,
} from "./ports.js";

describe("interval sets", () => {
  it("merges overlapping and adjacent intervals", () => {
    expect(
      normalizeIntervals([
        [5, 9],
        [1, 3],
        [4, 4],
        [20, 30],
        [25, 26],
      ]),
    ).toEqual([
      [1, 9],
      [20, 30],
    ]);
  });
  it("intersects", () => {
    expect(
      intersectIntervals(
        [
          [1, 10],
          [20, 30],
        ],
        [[5, 25]],
      ),
    ).toEqual([
      [5, 10],
      [20, 25],
    ]);
  });
  const iv = fc
    .array(fc.tuple(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 0, max: 10 })), { maxLength: 6 })
    .map((xs) => normalizeIntervals(xs.map(([a, l]) => [a, a + l] as [number, number])));
  const members = (s: readonly (readonly [number, number])[]) => {
    const out = new Set<number>();
    for (const [a, b] of s) for (let i = a; i <= b; i++) out.add(i);
    return out;
  };
  it("property: union and intersection agree with sets of ports", () => {
    fc.assert(
      fc.property(iv, iv, (a, b) => {
        const ma = members(a);
        const mb = members(b);
        expect(members(unionIntervals(a, b))).toEqual(new Set([...ma, ...mb]));
        expect(members(intersectIntervals(a, b))).toEqual(new Set([...ma].filter((x) => mb.has(x))));
        expect(unionIntervals(a, b)).toEqual(unionIntervals(b, a));
      }),
    );
  });
});

describe("connection sets", () => {
  it("all absorbs union and is neutral for intersection", () => {
    const tcp80 = connOf("TCP", [[80, 80]]);
    expect(connUnion(CONN_ALL, tcp80)).toEqual(CONN_ALL);
    expect(connIntersect(CONN_ALL, tcp80)).toEqual(tcp80);
    expect(connIntersect(tcp80, connOf("UDP", [[80, 80]]))).toEqual(CONN_NONE);
  });
  it("serialises per protocol in TCP, UDP, SCTP order", () => {
    const c = connUnion(
      connOf("SCTP", [[9, 9]]),
      connUnion(connOf("UDP", [[53, 53]]), connOf("TCP", [[80, 81]])),
    );
    expect(connToJson(c)).toEqual([
      { protocol: "TCP", ports: [[80, 81]] },
      { protocol: "UDP", ports: [[53, 53]] },
      { protocol: "SCTP", ports: [[9, 9]] },
    ]);
    expect(connEquals(connFromJson(connToJson(c)), c)).toBe(true);
    expect(formatConn(c)).toBe("TCP:80-81 UDP:53 SCTP:9");
    expect(connToJson(CONN_ALL)).toBe("all");
    expect(formatConn(CONN_NONE)).toBe("none");
  });
  it("full TCP+UDP+SCTP is not 'all' (protocols without ports, e.g. ICMP, are excluded)", () => {
    const full = connUnion(
      connOf("TCP", [[1, 65535]]),
      connUnion(connOf("UDP", [[1, 65535]]), connOf("SCTP", [[1, 65535]])),
    );
    expect(connEquals(full, CONN_ALL)).toBe(false);
  });
});
