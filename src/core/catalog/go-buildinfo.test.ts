import { describe, expect, it } from "vitest";
import { catalogGoBinary, parseGoModInfo, readGoBuildInfo } from "./index.js";

const enc = (s: string) => new TextEncoder().encode(s);
const MAGIC = [0xff, ...enc(" Go buildinf:")];
const SENTINEL_START =
  "0\u0077\u00af\u000c\u0092\u0074\u0008\u0002\u0041\u00e1\u00c1\u0007\u00e6\u00d6\u0018\u00e6".slice(0, 16);
const MODINFO =
  "path\texample.com/app\nmod\texample.com/app\t(devel)\t\ndep\tgolang.org/x/net\tv0.17.0\th1:abc=\ndep\tgithub.com/old/lib\tv1.0.0\th1:x=\n=>\tgithub.com/new/lib\tv1.0.1\th1:y=\nbuild\tGOOS=linux\n";

function uvarint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return out;
}

/** Go 1.18+ layout: 32-byte header with flag 0x2, then varint-prefixed version and modinfo strings. */
function inlineBinary(version: string, modinfo: string): Uint8Array {
  const mod = `${SENTINEL_START}${modinfo}${"\n".padStart(16, "x")}`;
  const v = enc(version);
  const m = enc(mod);
  const header = [...MAGIC, 8, 0x2, ...new Array(16).fill(0)];
  return new Uint8Array([
    0x7f,
    0x45,
    0x4c,
    0x46,
    ...new Array(60).fill(0),
    ...header,
    ...uvarint(v.length),
    ...v,
    ...uvarint(m.length),
    ...m,
  ]);
}

/**
 * Pre-1.18 layout: pointers to Go string headers resolved through ELF PT_LOAD. A minimal ELF64 LE: one PT_LOAD
 * mapping file offset 0 at vaddr 0x400000, build info at 0x100, string headers at 0x140, data at 0x200.
 */
function pointerBinary(version: string, modinfo: string): Uint8Array {
  const b = new Uint8Array(0x1000);
  const v = new DataView(b.buffer);
  b.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
  v.setBigUint64(0x20, 0x40n, true); // e_phoff
  v.setUint16(0x36, 56, true); // e_phentsize
  v.setUint16(0x38, 1, true); // e_phnum
  v.setUint32(0x40, 1, true); // PT_LOAD
  v.setBigUint64(0x40 + 8, 0n, true); // p_offset
  v.setBigUint64(0x40 + 16, 0x400000n, true); // p_vaddr
  v.setBigUint64(0x40 + 32, 0x1000n, true); // p_filesz
  const base = 0x400000;
  b.set([...MAGIC, 8, 0], 0x100);
  v.setBigUint64(0x110, BigInt(base + 0x140), true);
  v.setBigUint64(0x118, BigInt(base + 0x150), true);
  const ve = enc(version);
  const me = enc(modinfo);
  b.set(ve, 0x200);
  b.set(me, 0x300);
  v.setBigUint64(0x140, BigInt(base + 0x200), true);
  v.setBigUint64(0x148, BigInt(ve.length), true);
  v.setBigUint64(0x150, BigInt(base + 0x300), true);
  v.setBigUint64(0x158, BigInt(me.length), true);
  return b;
}

const expected = {
  packages: [
    { type: "golang", name: "example.com/app", version: "(devel)", locations: ["app"] },
    { type: "golang", name: "golang.org/x/net", version: "v0.17.0", locations: ["app"] },
    { type: "golang", name: "github.com/new/lib", version: "v1.0.1", locations: ["app"] },
    { type: "golang", name: "stdlib", version: "go1.21.3", locations: ["app"] },
  ],
  coverage: [],
};

describe("Go build info", () => {
  it("reads the Go 1.18+ inline format", () => {
    expect(catalogGoBinary(inlineBinary("go1.21.3", MODINFO), "app")).toEqual(expected);
  });
  it("reads the pointer format through ELF segments", () => {
    expect(readGoBuildInfo(pointerBinary("go1.21.3", MODINFO))).toEqual({
      goVersion: "go1.21.3",
      modinfo: MODINFO,
    });
    expect(catalogGoBinary(pointerBinary("go1.21.3", MODINFO), "app")).toEqual(expected);
  });
  it("parses modinfo replacements and build settings", () => {
    expect(parseGoModInfo("go1.22.0 X:boringcrypto", MODINFO)).toEqual({
      goVersion: "go1.22.0 X:boringcrypto",
      path: "example.com/app",
      main: { path: "example.com/app", version: "(devel)" },
      deps: [
        { path: "golang.org/x/net", version: "v0.17.0", sum: "h1:abc=" },
        {
          path: "github.com/old/lib",
          version: "v1.0.0",
          sum: "h1:x=",
          replace: { path: "github.com/new/lib", version: "v1.0.1", sum: "h1:y=" },
        },
      ],
      settings: [["GOOS", "linux"]],
    });
  });
  describe("pathological cases", () => {
    it("no magic, truncated header, huge varint, dangling pointers: no packages, no throw", () => {
      expect(catalogGoBinary(new Uint8Array(100), "x")).toEqual({ packages: [], coverage: [] });
      const trunc = inlineBinary("go1.21.3", MODINFO).subarray(0, 64 + 20);
      expect(catalogGoBinary(trunc, "x")).toEqual({ packages: [], coverage: [] });
      const huge = new Uint8Array([
        ...MAGIC,
        8,
        2,
        ...new Array(16).fill(0),
        0xff,
        0xff,
        0xff,
        0xff,
        0xff,
        0xff,
        0xff,
        0xff,
        0xff,
        0x01,
      ]);
      expect(catalogGoBinary(huge, "x")).toEqual({ packages: [], coverage: [] });
      const dangling = pointerBinary("go1.21.3", MODINFO);
      new DataView(dangling.buffer).setBigUint64(0x110, 0xdeadbeefn, true);
      expect(catalogGoBinary(dangling, "x")).toEqual({ packages: [], coverage: [] });
    });
  });
});
