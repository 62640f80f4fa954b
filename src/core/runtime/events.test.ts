import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseEventLines } from "./index.js";

const fixture = (name: string) => readFileSync(join(import.meta.dirname, "__fixtures__", name), "utf8");

describe("parseEventLines", () => {
  it("reads Hubble flows, skipping // comment lines", () => {
    const r = parseEventLines(fixture("hubble.jsonl"), "hubble.jsonl", "hubble");
    expect(r.errors).toEqual([]);
    expect(r.counts).toEqual({ received: 2, accepted: 2, dropped: 0 });
    expect(r.events[0]).toEqual({
      kind: "flow",
      source: "hubble",
      file: "hubble.jsonl",
      line: 2,
      time: Date.parse("2026-12-04T09:30:00.123Z"),
      severity: "info",
      node: "kind-worker",
      src: { ip: "10.1.0.7", port: 43512, pod: { namespace: "shop", name: "web-7d9f-aaaaa" } },
      dst: { ip: "10.96.0.20", port: 5432 },
      protocol: "TCP",
      verdict: "FORWARDED",
      evidence: "FORWARDED TCP 10.1.0.7:43512 -> 10.96.0.20:5432",
    });
    expect(r.events[1]).toMatchObject({ verdict: "DROPPED", protocol: "UDP", severity: "low", line: 3 });
  });

  it("reads Falco alerts with pod and container, redacting secrets in the output", () => {
    const r = parseEventLines(fixture("falco.jsonl"), "falco.jsonl");
    expect(r.errors).toEqual([]);
    expect(r.events[0]).toMatchObject({
      kind: "alert",
      source: "falco",
      rule: "Terminal shell in container",
      severity: "low",
      node: "kind-worker",
      pod: { namespace: "shop", name: "web-7d9f-aaaaa", containerId: "3ad7b26ded6d" },
    });
    expect(r.events[0]?.evidence).not.toContain("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
    expect(r.events[1]).toMatchObject({ rule: "PTRACE attached to process", severity: "critical" });
    expect(r.events[1]).not.toHaveProperty("pod");
  });

  it("reads Tetragon process_exec and process_kprobe, redacting tokens in arguments", () => {
    const r = parseEventLines(fixture("tetragon.jsonl"), "tetragon.jsonl");
    expect(r.errors).toEqual([]);
    expect(
      r.events.map((e) => (e.kind === "process" ? [e.type, e.binary, e.function ?? null, e.pod] : e.kind)),
    ).toEqual([
      [
        "exec",
        "/usr/bin/curl",
        null,
        { namespace: "shop", name: "batch-7d9f-bbbbb", containerId: "containerd://9f8e7d6c5b4a" },
      ],
      ["kprobe", "/usr/bin/curl", "tcp_connect", { namespace: "shop", name: "batch-7d9f-bbbbb" }],
    ]);
    expect(r.events[0]?.evidence).not.toContain("ghp_abcdefghijklmnopqrstuvwxyz0123456789");
  });

  it("reads audit.k8s.io/v1 Events", () => {
    const r = parseEventLines(fixture("audit.jsonl"), "audit.log", "k8s-audit");
    expect(r.errors).toEqual([]);
    expect(r.events[0]).toEqual({
      kind: "audit",
      source: "k8s-audit",
      file: "audit.log",
      line: 1,
      time: Date.parse("2026-12-04T09:31:00.100Z"),
      severity: "info",
      verb: "create",
      user: "alice@example.com",
      groups: ["system:authenticated"],
      userAgent: "kubectl/v1.31.0 (linux/amd64) kubernetes/abcdef0",
      stage: "ResponseComplete",
      decision: "allow",
      resource: "pods/exec",
      namespace: "shop",
      name: "web-7d9f-aaaaa",
      code: 101,
      sourceIPs: ["192.168.1.50"],
      evidence: "alice@example.com create pods/exec shop/web-7d9f-aaaaa -> 101",
    });
    expect(r.events[1]).toMatchObject({ user: "system:anonymous", verb: "list", code: 403 });
  });

  describe("pathological cases", () => {
    it("reports each bad line with file:line and field, and keeps going", () => {
      const r = parseEventLines(`${fixture("bad.jsonl")}${fixture("hubble.jsonl")}`, "bad.jsonl");
      expect(r.errors).toEqual([
        { file: "bad.jsonl", line: 1, reason: "invalid-json", message: "not valid JSON (truncated line?)" },
        {
          file: "bad.jsonl",
          line: 2,
          reason: "invalid-field",
          field: "flow.time",
          message: 'hubble: flow.time: not an RFC 3339 time: "yesterday"',
        },
        { file: "bad.jsonl", line: 3, reason: "not-an-object", message: "expected a JSON object" },
        {
          file: "bad.jsonl",
          line: 4,
          reason: "invalid-field",
          field: "priority",
          message: 'falco: priority: unknown Falco priority "Loud"',
        },
        {
          file: "bad.jsonl",
          line: 5,
          reason: "invalid-field",
          field: "user.username",
          message: "k8s-audit: user.username: expected a non-empty string",
        },
        {
          file: "bad.jsonl",
          line: 6,
          reason: "invalid-field",
          field: "process_exec.process.binary",
          message: "tetragon: process_exec.process.binary: expected a non-empty string",
        },
        {
          file: "bad.jsonl",
          line: 7,
          reason: "unknown-format",
          message: "not a Hubble flow, Falco alert, Tetragon event, audit.k8s.io/v1 Event or flow-log record",
        },
      ]);
      expect(r.counts).toEqual({ received: 9, accepted: 2, dropped: 7 });
      expect(r.events.map((e) => e.line)).toEqual([9, 10]);
    });

    it("survives a 10k-line garbage file", () => {
      const lines: string[] = [];
      for (let i = 0; i < 10_000; i++)
        lines.push(i % 3 === 0 ? "{" : i % 3 === 1 ? '{"__proto__":{"x":1}}' : "\u0000\u00ff");
      const r = parseEventLines(lines.join("\n"), "garbage");
      expect(r.counts).toEqual({ received: 10_000, accepted: 0, dropped: 10_000 });
      expect(({} as Record<string, unknown>).x).toBeUndefined();
    });

    it("refuses an over-long line unparsed", () => {
      const r = parseEventLines(`{"a":"${"x".repeat((1 << 20) + 1)}"}`, "big");
      expect(r.errors).toEqual([
        { file: "big", line: 1, reason: "too-long", message: "line longer than 1048576 bytes" },
      ]);
    });
  });
});
