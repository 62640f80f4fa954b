import { describe, expect, it } from "vitest";
import { gcFlags, heapToRelaunch, inputPaths, mayNeedLargerHeap, webhookGcFlags } from "./heap.js";

const GiB = 1024 ** 3;

describe("heap sizing for large inputs", () => {
  it("finds the input paths of a command line", () => {
    expect(inputPaths(["scan", "a.yaml", "-o", "json", "--snapshot", "s.json", "-", "dir"])).toEqual([
      "a.yaml",
      "json",
      "s.json",
      "dir",
    ]);
    expect(inputPaths(["pss", "-f", "x.yaml", "--file=y.yaml", "--snapshot=z.json"])).toEqual([
      "x.yaml",
      "y.yaml",
      "z.json",
    ]);
  });

  it("relaunches only when the inputs could outgrow the heap, within the machine, unless the user chose a size", () => {
    const base = { heapLimitBytes: 4 * GiB, machineBytes: 24 * GiB, nodeOptions: "" };
    expect(heapToRelaunch({ ...base, inputBytes: 100 * 1024 ** 2 })).toBeUndefined();
    // A 1M-object snapshot of about 5 GiB.
    expect(heapToRelaunch({ ...base, inputBytes: 5 * GiB })).toBe(12_800);
    expect(heapToRelaunch({ ...base, inputBytes: 2 * GiB })).toBe(5 * 1024);
    expect(
      heapToRelaunch({ ...base, inputBytes: 5 * GiB, nodeOptions: "--max-old-space-size=2048" }),
    ).toBeUndefined();
    expect(heapToRelaunch({ ...base, inputBytes: 5 * GiB, machineBytes: 4 * GiB })).toBeUndefined();
  });

  it("bounds V8's heap growth for inputs where the launcher sizes the heap, unless the node options set it", () => {
    expect(gcFlags(0, "")).toEqual([]);
    expect(gcFlags(40 * 1024 ** 2, "")).toEqual([]);
    expect(gcFlags(41 * 1024 ** 2, "")).toEqual(["--heap-growing-percent=50"]);
    expect(gcFlags(GiB - 1, "")).toEqual(["--heap-growing-percent=50"]);
    expect(gcFlags(10_000, "--max-old-space-size=64")).toEqual([]);
  });

  it("bounds the heap growth tighter and the young generation for inputs of 1 GiB and more (issue 10)", () => {
    expect(gcFlags(GiB, "")).toEqual(["--heap-growing-percent=20", "--max-semi-space-size=4"]);
    expect(gcFlags(5 * GiB, "")).toEqual(["--heap-growing-percent=20", "--max-semi-space-size=4"]);
    expect(gcFlags(5 * GiB, " --heap-growing-percent=80")).toEqual(["--max-semi-space-size=4"]);
    expect(gcFlags(5 * GiB, "--max-semi-space-size=32")).toEqual(["--heap-growing-percent=20"]);
    expect(gcFlags(5 * GiB, "--heap-growing-percent=80 --min-semi-space-size=2")).toEqual([]);
  });

  it("asks V8 for its heap only when the inputs could outgrow the smallest default limit or a heap flag is set", () => {
    expect(mayNeedLargerHeap(0, "")).toBe(false);
    expect(mayNeedLargerHeap(10_000, "")).toBe(false);
    expect(mayNeedLargerHeap(40 * 1024 ** 2, "")).toBe(false);
    expect(mayNeedLargerHeap(41 * 1024 ** 2, "")).toBe(true);
    expect(mayNeedLargerHeap(10_000, " --max-old-space-size=64")).toBe(true);
    expect(mayNeedLargerHeap(10_000, "--max-heap-size=64 ")).toBe(true);
  });

  it("runs the admission webhook's collector on one thread unless the node options or PALISADE_WEBHOOK_GC choose", () => {
    const serve = ["admission", "serve", "--listen", "0.0.0.0:8443"];
    expect(webhookGcFlags(serve, "", {})).toEqual(["--single-threaded-gc"]);
    expect(webhookGcFlags(serve, "", { PALISADE_WEBHOOK_GC: "single" })).toEqual(["--single-threaded-gc"]);
    expect(webhookGcFlags(serve, "", { PALISADE_WEBHOOK_GC: "parallel" })).toEqual([]);
    expect(webhookGcFlags(serve, " --single-threaded", {})).toEqual([]);
    expect(webhookGcFlags(serve, "--no-single-threaded-gc", {})).toEqual([]);
    expect(webhookGcFlags(serve, "--single-threaded-gc", {})).toEqual([]);
    // Every other command runs in place.
    expect(webhookGcFlags(["admission", "test", "-f", "x.yaml"], "", {})).toEqual([]);
    expect(webhookGcFlags(["serve", "--demo"], "", {})).toEqual([]);
    expect(webhookGcFlags(["scan", "admission", "serve"], "", {})).toEqual([]);
  });
});
