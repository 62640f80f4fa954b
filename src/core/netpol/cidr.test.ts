import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  coveredSpan,
  formatAddress,
  formatRange,
  maxAddress,
  parseCidr,
  parseIPv4,
  parseIPv6,
  parseRange,
  partitionAddressSpace,
} from "./cidr.js";

describe("parseCidr", () => {
  it("parses IPv4 and IPv6 networks", () => {
    expect(parseCidr("10.0.0.0/8")).toEqual({ family: 4, start: 0x0a000000n, end: 0x0affffffn, prefix: 8 });
    expect(parseCidr("0.0.0.0/0")).toEqual({ family: 4, start: 0n, end: 0xffffffffn, prefix: 0 });
    expect(parseCidr("192.168.1.7/32")).toEqual({
      family: 4,
      start: 0xc0a80107n,
      end: 0xc0a80107n,
      prefix: 32,
    });
    expect(parseCidr("2001:db8::/32")).toEqual({
      family: 6,
      start: 0x20010db8n << 96n,
      end: (0x20010db8n << 96n) | ((1n << 96n) - 1n),
      prefix: 32,
    });
    expect(parseCidr("::/0")).toEqual({ family: 6, start: 0n, end: maxAddress(6), prefix: 0 });
  });
  it("masks host bits like Go's net.ParseCIDR", () => {
    expect(parseCidr("10.1.2.3/8")).toEqual(parseCidr("10.0.0.0/8"));
  });
  it("reads leading-zero octets as decimal like ParseCIDRSloppy", () => {
    expect(parseCidr("010.000.000.000/8")).toEqual(parseCidr("10.0.0.0/8"));
  });
  it("keeps IPv4-mapped IPv6 in the IPv6 family", () => {
    expect(parseCidr("::ffff:10.0.0.0/104")?.family).toBe(6);
    expect(parseIPv6("::ffff:10.0.0.1")).toBe(0xffff0a000001n);
  });
});

describe("formatAddress", () => {
  it("uses RFC 5952 canonical IPv6 text", () => {
    expect(formatAddress(6, 0n)).toBe("::");
    expect(formatAddress(6, 1n)).toBe("::1");
    expect(formatAddress(6, parseIPv6("2001:db8:0:0:1:0:0:1") as bigint)).toBe("2001:db8::1:0:0:1");
    expect(formatAddress(6, parseIPv6("2001:db8:0:1:1:1:1:1") as bigint)).toBe("2001:db8:0:1:1:1:1:1");
    expect(formatAddress(6, maxAddress(6))).toBe("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
    expect(formatAddress(4, 0x0a000001n)).toBe("10.0.0.1");
  });
  it("round-trips ranges", () => {
    const r = { family: 6 as const, start: 5n, end: 1n << 100n };
    expect(parseRange(formatRange(r))).toEqual(r);
  });
});

describe("partitionAddressSpace", () => {
  it("gives the two whole families when there are no blocks", () => {
    expect(partitionAddressSpace([]).map(formatRange)).toEqual([
      "0.0.0.0-255.255.255.255",
      "::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
    ]);
  });
  it("splits at cidr and except boundaries", () => {
    const blocks = [parseCidr("10.0.0.0/8"), parseCidr("10.1.0.0/16")].map((c) => c!);
    expect(partitionAddressSpace(blocks).map(formatRange)).toEqual([
      "0.0.0.0-9.255.255.255",
      "10.0.0.0-10.0.255.255",
      "10.1.0.0-10.1.255.255",
      "10.2.0.0-10.255.255.255",
      "11.0.0.0-255.255.255.255",
      "::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
    ]);
  });

  const cidrArb = fc.oneof(
    fc.tuple(fc.constant(4 as const), fc.bigInt(0n, maxAddress(4)), fc.integer({ min: 0, max: 32 })),
    fc.tuple(fc.constant(6 as const), fc.bigInt(0n, maxAddress(6)), fc.integer({ min: 0, max: 128 })),
  );
  const toCidr = ([f, a, p]: [4 | 6, bigint, number]) => parseCidr(`${formatAddress(f, a)}/${p}`)!;

  it("property: the ranges partition both address spaces and each input is a union of ranges", () => {
    fc.assert(
      fc.property(fc.array(cidrArb, { maxLength: 12 }), (raw) => {
        const cidrs = raw.map(toCidr);
        const parts = partitionAddressSpace(cidrs);
        for (const fam of [4, 6] as const) {
          const fr = parts.filter((r) => r.family === fam);
          expect(fr[0]?.start).toBe(0n);
          expect(fr[fr.length - 1]?.end).toBe(maxAddress(fam));
          for (let i = 0; i < fr.length; i++) {
            expect(fr[i]!.start <= fr[i]!.end).toBe(true);
            if (i > 0) expect(fr[i]!.start).toBe(fr[i - 1]!.end + 1n);
          }
        }
        for (const c of cidrs) {
          const [a, b] = coveredSpan(parts, c);
          expect(a).toBeGreaterThanOrEqual(0);
          expect(parts[a]!.start).toBe(c.start);
          expect(parts[b]!.end).toBe(c.end);
        }
      }),
    );
  });
  it("property: format/parse round-trip of addresses", () => {
    fc.assert(
      fc.property(cidrArb, ([f, a]) => {
        const text = formatAddress(f, a);
        expect(f === 4 ? parseIPv4(text) : parseIPv6(text)).toBe(a);
      }),
    );
  });
});

describe("pathological cases", () => {
  it.each([
    "",
    "10.0.0.0",
    "10.0.0.0/33",
    "10.0.0.0/-1",
    "10.0.0.0/8/8",
    "256.0.0.0/8",
    "10.0.0/8",
    "10.0.0.0.0/8",
    "0x0a.0.0.0/8",
    "1.2.3.4 /8",
    "::/129",
    ":::/0",
    "1::2::3/64",
    "fe80::1%eth0/64",
    "12345::/16",
    "1:2:3:4:5:6:7:8:9/64",
    "1.2.3.4:5/8",
    "__proto__/8",
  ])("rejects %j", (s) => {
    expect(parseCidr(s)).toBeUndefined();
  });
  it("rejects a non-string", () => {
    expect(parseCidr(42 as unknown as string)).toBeUndefined();
  });
  it("rejects malformed ranges", () => {
    expect(parseRange("10.0.0.2-10.0.0.1")).toBeUndefined();
    expect(parseRange("10.0.0.1-::1")).toBeUndefined();
    expect(parseRange("10.0.0.1")).toBeUndefined();
  });
});
