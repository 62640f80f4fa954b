import { describe, expect, it } from "vitest";
import { bodyRecords } from "./body-records.js";
import { encodedBytes, parseForwardedEvents, splitForwardedBody } from "./forwarded.js";

const records = (body: string): string[] =>
  [...bodyRecords(body)].filter((r): r is string => typeof r === "string" && r !== "");

describe("forwarded events", () => {
  const good = {
    id: "0f8a1c2e-41aa-4f6b",
    cluster: "prod.eu-1",
    source: "falco",
    receivedAt: "2026-12-05T05:00:00.000Z",
    body: '{"rule":"x"}',
  };

  it("accepts a well-formed message", () => {
    expect(parseForwardedEvents(good)).toEqual(good);
  });

  it.each([
    [null, "$"],
    [{ ...good, id: "short" }, "id"],
    [{ ...good, id: "../../etc/passwd" }, "id"],
    [{ ...good, cluster: "Prod" }, "cluster"],
    [{ ...good, source: "syslog" }, "source"],
    [{ ...good, receivedAt: "yesterday" }, "receivedAt"],
    [{ ...good, body: 42 }, "body"],
  ])("refuses %j naming the field %s", (value, field) => {
    expect(() => parseForwardedEvents(value)).toThrow(expect.objectContaining({ code: "INPUT" }));
    try {
      parseForwardedEvents(value);
    } catch (e) {
      expect((e as { context?: { field?: string } }).context?.field).toBe(field);
    }
  });

  it("measures a body as JSON-encoded UTF-8", () => {
    expect(encodedBytes("ab")).toBe(4);
    expect(encodedBytes('a"b')).toBe(6);
    expect(encodedBytes("é")).toBe(4);
    expect(encodedBytes("€")).toBe(5);
    expect(encodedBytes("😀")).toBe(6);
    expect(encodedBytes("\n")).toBe(4);
  });
});

describe("splitting a body for the transport", () => {
  it("keeps a body that fits whole", () => {
    const body = '{"a":1}\n{"a":2}\n';
    expect(splitForwardedBody(body, 1000)).toEqual({ parts: [body], tooLarge: 0 });
  });

  it("cuts JSON lines into parts that fit, every record once, in order", () => {
    const lines = Array.from({ length: 500 }, (_, i) => JSON.stringify({ i, msg: "x".repeat(i % 97) }));
    const body = `${lines.join("\n")}\n`;
    const max = 2_000;
    const { parts, tooLarge } = splitForwardedBody(body, max);
    expect(tooLarge).toBe(0);
    expect(parts.length).toBeGreaterThan(10);
    for (const p of parts) expect(encodedBytes(p)).toBeLessThanOrEqual(max);
    expect(parts.flatMap(records)).toEqual(lines);
  });

  it("gives every audit event of an EventList its own record", () => {
    const items = Array.from({ length: 50 }, (_, i) => ({
      auditID: `id-${i}`,
      verb: "get",
      stage: "ResponseComplete",
    }));
    const body = JSON.stringify({ kind: "EventList", apiVersion: "audit.k8s.io/v1", items });
    const { parts } = splitForwardedBody(body, 600);
    expect(parts.length).toBeGreaterThan(1);
    const got = parts.flatMap(records).map((l) => JSON.parse(l) as { kind: string; auditID: string });
    expect(got.map((e) => e.auditID)).toEqual(items.map((e) => e.auditID));
    expect(new Set(got.map((e) => e.kind))).toEqual(new Set(["Event"]));
  });

  it("repeats a CSV flow log's header at the top of every part", () => {
    const header = "time,src,dst,dport,proto";
    const rows = Array.from(
      { length: 200 },
      (_, i) => `2026-12-05T05:00:${String(i % 60).padStart(2, "0")}Z,10.0.0.${i % 250},10.1.0.1,443,tcp`,
    );
    const { parts } = splitForwardedBody(`${header}\n${rows.join("\n")}\n`, 1_000);
    expect(parts.length).toBeGreaterThan(3);
    for (const p of parts) expect(p.startsWith(`${header}\n`)).toBe(true);
    expect(parts.flatMap((p) => records(p).slice(1))).toEqual(rows);
  });

  it("leaves out, and counts, a record that cannot fit on its own", () => {
    const body = `{"a":1}\n{"big":"${"y".repeat(5_000)}"}\n{"a":2}\n`;
    const { parts, tooLarge } = splitForwardedBody(body, 1_000);
    expect(tooLarge).toBe(1);
    expect(parts.flatMap(records)).toEqual(['{"a":1}', '{"a":2}']);
  });
});
