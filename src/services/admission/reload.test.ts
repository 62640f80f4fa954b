import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readConfigFile } from "../../adapters/config/index.js";
import type { AdmissionPolicy } from "../../core/admission/index.js";
import { loadAdmissionPolicy, PolicyReloader } from "./index.js";

const dir = mkdtempSync(join(tmpdir(), "palisade-admission-reload-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const policyFile = join(dir, "policy.yaml");
const write = (mode: string) =>
  writeFileSync(
    policyFile,
    `apiVersion: palisade.dev/v1alpha1\nkind: AdmissionPolicy\ndefaultMode: ${mode}\n`,
  );

/** Timers run by hand: the debounce is checked without waiting on the wall clock. */
function manualTimers() {
  const pending = new Map<number, () => void>();
  let next = 0;
  return {
    pending,
    setTimer: (fn: () => void) => {
      pending.set(++next, fn);
      return next;
    },
    clearTimer: (h: unknown) => pending.delete(h as number),
    fire: () => {
      const fns = [...pending.values()];
      pending.clear();
      for (const fn of fns) fn();
    },
  };
}

async function setup() {
  write("audit");
  const timers = manualTimers();
  const log: string[] = [];
  let current: AdmissionPolicy = (await loadAdmissionPolicy(policyFile, readConfigFile)).policy;
  let loads = 0;
  const reloader = new PolicyReloader({
    load: async () => {
      loads++;
      return (await loadAdmissionPolicy(policyFile, readConfigFile)).policy;
    },
    apply: (p) => {
      current = p;
    },
    debounceMs: 500,
    now: () => new Date("2026-12-05T02:00:00Z"),
    log: (l) => log.push(l),
    setTimer: timers.setTimer,
    clearTimer: timers.clearTimer,
  });
  return { timers, log, reloader, current: () => current, loads: () => loads };
}

describe("PolicyReloader", () => {
  it("debounces a burst of changes into one load, then applies the new policy", async () => {
    const t = await setup();
    write("enforce");
    t.reloader.changed();
    t.reloader.changed();
    t.reloader.changed();
    expect(t.timers.pending.size).toBe(1);
    expect(t.loads()).toBe(0);
    t.timers.fire();
    await t.reloader.reloadNow();
    expect(t.current().defaultMode).toBe("enforce");
    expect(t.reloader.status()).toEqual({ generation: 3, failures: 0 });
    expect(t.log).toContain("admission policy reloaded (generation 2)");
  });

  it("a bad new file keeps the old policy, is logged and counted, and the status says so until a good one loads", async () => {
    const t = await setup();
    writeFileSync(
      policyFile,
      "apiVersion: palisade.dev/v1alpha1\nkind: AdmissionPolicy\ndefaultMode: sometimes\n",
    );
    await t.reloader.reloadNow();
    expect(t.current().defaultMode).toBe("audit");
    const status = t.reloader.status();
    expect(status.generation).toBe(1);
    expect(status.failures).toBe(1);
    expect(status.stale?.since).toBe("2026-12-05T02:00:00.000Z");
    expect(status.stale?.error).toMatch(/policy\.yaml:3: defaultMode: must be one of/);
    expect(t.log[0]).toMatch(/^admission policy reload failed, keeping the previous policy: /);

    // A second bad write keeps the first "since"; a good one clears the staleness.
    await t.reloader.reloadNow();
    expect(t.reloader.status().failures).toBe(2);
    expect(t.reloader.status().stale?.since).toBe("2026-12-05T02:00:00.000Z");
    write("warn");
    await t.reloader.reloadNow();
    expect(t.current().defaultMode).toBe("warn");
    expect(t.reloader.status()).toEqual({ generation: 2, failures: 2 });
  });

  it("a change while loading triggers one more load; after stop nothing more is applied", async () => {
    const t = await setup();
    write("warn");
    const first = t.reloader.reloadNow();
    write("enforce");
    void t.reloader.reloadNow();
    await first;
    expect(t.loads()).toBe(2);
    expect(t.current().defaultMode).toBe("enforce");
    t.reloader.changed();
    t.reloader.stop();
    expect(t.timers.pending.size).toBe(0);
  });
});
