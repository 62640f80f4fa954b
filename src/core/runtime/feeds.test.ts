import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseCidr } from "../netpol/index.js";
import { blockingPolicy, detectThreats, type EnrichedEvent, parseFeed, ThreatIndex } from "./index.js";

describe("parseFeed", () => {
  it("reads plain lists with comments and trailing notes, reporting bad lines with their numbers", () => {
    const f = parseFeed(
      "# feed\n203.0.113.0/24 ; SBL1\n198.51.100.7\n\nEvil.Example.\n2001:db8::/32\nnot a thing!\n",
      "drop.txt",
    );
    expect(f.addresses.map((e) => [e.value, e.line])).toEqual([
      ["203.0.113.0/24", 2],
      ["198.51.100.7", 3],
      ["2001:db8::/32", 6],
    ]);
    expect(f.domains.map((e) => e.value)).toEqual(["evil.example"]);
    expect(f.errors).toEqual([
      {
        file: "drop.txt",
        line: 7,
        reason: "invalid-field",
        message: 'not an IP address, CIDR or domain: "not"',
      },
    ]);
  });

  it("reads one named column of a CSV", () => {
    const f = parseFeed(
      'first_seen,dst_ip,"comment, with comma"\n2026-01-01,192.0.2.1,"c2, botnet"\n2026-01-02,,x\n',
      "c2.csv",
      "dst_ip",
    );
    expect(f.addresses.map((e) => e.value)).toEqual(["192.0.2.1"]);
    expect(parseFeed("a,b\n1,2\n", "x.csv", "ip").errors[0]?.message).toBe('no column "ip" in the header');
  });
});

describe("ThreatIndex", () => {
  const idx = new ThreatIndex([
    parseFeed("203.0.113.0/24\n203.0.113.128/25\n198.51.100.7\n2001:db8::/32\nevil.example\n", "feed.txt"),
  ]);
  it("matches the most specific CIDR, single addresses and IPv6", () => {
    expect(idx.matchAddress("203.0.113.200")?.entry.value).toBe("203.0.113.128/25");
    expect(idx.matchAddress("203.0.113.5")?.entry.value).toBe("203.0.113.0/24");
    expect(idx.matchAddress("198.51.100.7")?.entry.value).toBe("198.51.100.7");
    expect(idx.matchAddress("198.51.100.8")).toBeUndefined();
    expect(idx.matchAddress("2001:db8:1::5")?.entry.value).toBe("2001:db8::/32");
    expect(idx.matchAddress("garbage")).toBeUndefined();
  });
  it("agrees with a containment scan by the CIDR parser (most specific wins) on any IPv4 list and address", () => {
    const quad = fc.tuple(
      fc.integer({ min: 0, max: 255 }),
      fc.integer({ min: 0, max: 255 }),
      fc.integer({ min: 0, max: 255 }),
      fc.integer({ min: 0, max: 255 }),
    );
    const text = ([a, b, c, d]: number[]) => `${a}.${b}.${c}.${d}`;
    fc.assert(
      fc.property(
        fc.array(fc.tuple(quad, fc.integer({ min: 0, max: 32 })), { maxLength: 12 }),
        quad,
        (entries, addr) => {
          // Networks only (host bits zero), as a feed lists them; the address often falls inside one.
          const cidrs = entries.map(([q, p]) => {
            const c = parseCidr(`${text(q)}/${p}`);
            const start = c ? Number(c.start) : 0;
            return `${[24, 16, 8, 0].map((s) => Math.floor(start / 2 ** s) % 256).join(".")}/${p}`;
          });
          const ip = text(addr);
          const index = new ThreatIndex([parseFeed(cidrs.join("\n"), "f")]);
          const a = parseCidr(`${ip}/32`);
          const containing = cidrs
            .map((x) => ({ x, c: parseCidr(x) }))
            .filter(({ c }) => c && a && c.start <= a.start && a.end <= c.end)
            .sort((p, q) => (q.c?.prefix ?? 0) - (p.c?.prefix ?? 0));
          const got = index.matchAddress(ip)?.entry.value;
          const want = containing[0]?.x;
          expect(
            got === undefined ? undefined : parseCidr(got.includes("/") ? got : `${got}/32`)?.prefix,
          ).toBe(want === undefined ? undefined : parseCidr(want)?.prefix);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("matches a domain and its subdomains, not look-alikes", () => {
    expect(idx.matchDomain("cdn.evil.example.")?.entry.value).toBe("evil.example");
    expect(idx.matchDomain("notevil.example")).toBeUndefined();
  });
});

describe("detectThreats", () => {
  const web = { kind: "Deployment", namespace: "shop", name: "web" };
  const facts = new Map([
    [
      "shop/Deployment/web",
      {
        ref: web,
        images: [],
        vulns: ["CVE-1"],
        exposed: true,
        labels: { app: "web", "pod-template-hash": "7d9f" },
        team: "payments",
      },
    ],
  ]);
  const idx = new ThreatIndex([parseFeed("203.0.113.0/24\nevil.example\n", "feeds/bad-ips.txt")]);
  const flow = (dst: string, extra: object = {}): EnrichedEvent => ({
    event: {
      kind: "flow",
      source: "hubble",
      file: "f",
      line: 3,
      time: 1000,
      severity: "info",
      src: { ip: "10.1.0.7", port: 1 },
      dst: { ip: dst, port: 443 },
      protocol: "TCP",
      verdict: "FORWARDED",
      evidence: `x -> ${dst}`,
      ...extra,
    },
    src: {
      ip: "10.1.0.7",
      kind: "workload",
      workload: web,
      team: "payments",
      vulns: ["CVE-1"],
      exposed: true,
    },
    dst: { ip: dst, port: 443, kind: "external" },
  });

  it("alerts on a flow to a listed address, naming the workload and the policy that would block it", () => {
    const [a, ...rest] = detectThreats(flow("203.0.113.9"), idx, facts);
    expect(rest).toEqual([]);
    expect(a).toMatchObject({
      ruleId: "PAL-RT-FEED-001",
      severity: "critical",
      workload: web,
      team: "payments",
      vulns: ["CVE-1"],
      evidence:
        "Deployment shop/web -> 203.0.113.9 (listed in feeds/bad-ips.txt:1 as 203.0.113.0/24): x -> 203.0.113.9",
    });
    expect(a?.suggestedPolicy).toEqual(
      blockingPolicy(web, { app: "web" }, "egress", "203.0.113.0/24", "bad-ips"),
    );
    expect(a?.suggestedPolicy).toMatchObject({
      metadata: { name: "block-bad-ips-web-egress", namespace: "shop" },
      spec: {
        podSelector: { matchLabels: { app: "web" } },
        policyTypes: ["Egress"],
        egress: [
          { to: [{ ipBlock: { cidr: "0.0.0.0/0", except: ["203.0.113.0/24"] } }, { namespaceSelector: {} }] },
        ],
      },
    });
  });

  it("alerts on a DNS lookup of a listed domain; nothing on clean traffic", () => {
    const dns = detectThreats(flow("10.96.0.10", { dnsQuery: "c2.evil.example" }), idx, facts);
    expect(dns.map((a) => [a.ruleId, a.suggestedPolicy])).toEqual([["PAL-RT-FEED-002", undefined]]);
    const named = detectThreats(flow("192.0.2.50", { dstNames: ["www.evil.example"] }), idx, facts);
    expect(named[0]?.suggestedPolicy).toMatchObject({
      spec: { egress: [{ to: [{ ipBlock: { except: ["192.0.2.50/32"] } }, {}] }] },
    });
    expect(detectThreats(flow("192.0.2.50"), idx, facts)).toEqual([]);
  });
});
