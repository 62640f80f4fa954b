import { describe, expect, it } from "vitest";
import { Budget, BudgetExceeded, formatLimit } from "./index.js";

describe("Budget", () => {
  it("refuses the charge that passes a limit and records nothing for it", () => {
    const b = new Budget("archive a.zip", { inflatedBytes: 100 });
    b.charge("inflatedBytes", 60);
    expect(() => b.charge("inflatedBytes", 41)).toThrow(BudgetExceeded);
    expect(b.usedOf("inflatedBytes")).toBe(60);
    b.charge("inflatedBytes", 40);
    expect(b.remaining("inflatedBytes")).toBe(0);
  });

  it("a child charges its parent, so parts under their own cap cannot exceed the whole", () => {
    const archive = new Budget("archive", { inflatedBytes: 100, entries: 10 });
    const e1 = archive.child("entry 1", { inflatedBytes: 80 });
    const e2 = archive.child("entry 2", { inflatedBytes: 80 });
    e1.charge("inflatedBytes", 70);
    let err: unknown;
    try {
      e2.charge("inflatedBytes", 70);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BudgetExceeded);
    expect((err as BudgetExceeded).scope).toBe("archive");
    expect((err as BudgetExceeded).code).toBe("LIMIT");
    expect(e2.usedOf("inflatedBytes")).toBe(0);
    expect(archive.usedOf("inflatedBytes")).toBe(70);
  });

  it("refuses negative and non-finite amounts (a negative tar size must not refill a budget)", () => {
    const b = new Budget("layer", { bytes: 10 });
    expect(() => b.charge("bytes", -5)).toThrow(/invalid bytes amount/);
    expect(() => b.charge("bytes", Number.NaN)).toThrow(/invalid/);
    expect(b.fits("bytes", 10)).toBe(true);
    expect(b.fits("bytes", 11)).toBe(false);
  });

  it("names the limit in human units", () => {
    expect(formatLimit("inflatedBytes", 4 * 1024 ** 3)).toBe("4 GiB");
    expect(formatLimit("pages", 5000)).toBe("5000 pages");
    expect(new BudgetExceeded("image x", "bytes", 1536).message).toBe(
      "image x: over the bytes budget of 1536 bytes",
    );
  });
});
