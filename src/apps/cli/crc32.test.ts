import { randomBytes } from "node:crypto";
import { crc32 as zlibCrc32 } from "node:zlib";
import { describe, expect, it } from "vitest";
import { findCrc32 } from "./crc32.js";

const inputs = [Buffer.alloc(0), Buffer.from("abc"), randomBytes(1000), randomBytes(1 << 20).subarray(3)];

describe("findCrc32", () => {
  it("gives zlib's CRC-32 in this process", () => {
    const crc = findCrc32();
    expect(crc).toBeDefined();
    for (const b of inputs) expect(crc?.(b)).toBe(zlibCrc32(b));
  });

  it("takes the native binding on Node 20, and node:zlib's where the binding would warn, is missing or fails", () => {
    const calls: string[] = [];
    const binding = (name: string) => {
      calls.push(name);
      return { crc32: (data: Uint8Array, value: number) => zlibCrc32(data, value) };
    };
    const proc = (over: {
      execArgv?: string[];
      env?: NodeJS.ProcessEnv;
      node?: string;
      binding?: unknown;
    }) => ({
      execArgv: over.execArgv ?? [],
      env: over.env ?? {},
      versions: { ...process.versions, node: over.node ?? "20.20.2" },
      binding: (over.binding ?? binding) as (name: string) => unknown,
    });
    const usesBinding = (p: ReturnType<typeof proc>): boolean => {
      calls.length = 0;
      const crc = findCrc32(p);
      expect(crc?.(inputs[2] as Buffer)).toBe(zlibCrc32(inputs[2] as Buffer));
      return calls.length > 0;
    };
    expect(usesBinding(proc({}))).toBe(true);
    expect(usesBinding(proc({ execArgv: ["--pending-deprecation"] }))).toBe(false);
    expect(usesBinding(proc({ execArgv: ["--pending_deprecation"] }))).toBe(false);
    expect(usesBinding(proc({ env: { NODE_OPTIONS: "--pending_deprecation" } }))).toBe(false);
    expect(usesBinding(proc({ env: { NODE_PENDING_DEPRECATION: "10" } }))).toBe(false);
    expect(usesBinding(proc({ execArgv: ["--pending-deprecations-are-not-this"] }))).toBe(true);
    expect(
      usesBinding(proc({ env: { NODE_OPTIONS: "--max-old-space-size=100 --pending-deprecation" } })),
    ).toBe(false);
    expect(usesBinding(proc({ env: { NODE_PENDING_DEPRECATION: "1" } }))).toBe(false);
    expect(usesBinding(proc({ node: "22.12.0" }))).toBe(false);
    // A binding without crc32, or one that throws: the module's, with the same values.
    expect(findCrc32(proc({ binding: () => ({}) }))?.(inputs[1] as Buffer)).toBe(
      zlibCrc32(inputs[1] as Buffer),
    );
    expect(
      findCrc32(
        proc({
          binding: () => {
            throw new Error("No such module: zlib");
          },
        }),
      )?.(inputs[1] as Buffer),
    ).toBe(zlibCrc32(inputs[1] as Buffer));
  });
});
