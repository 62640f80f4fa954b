import type { Command } from "commander";
import { PalisadeError } from "../../../core/errors/index.js";
import type { CliContext } from "../context.js";
import { EXIT } from "../exit-codes.js";

interface AttributeFlags {
  snapshot?: string[];
  events?: string[];
  source: string;
}

const MAX_EVENT_FILE_BYTES = 1 << 30;

/** `TIME=FILE`: the instant a snapshot was taken (RFC 3339) and its file. */
export function parseSnapshotFlag(v: string): { at: number; file: string } {
  const eq = v.indexOf("=");
  const at = eq > 0 ? Date.parse(v.slice(0, eq)) : Number.NaN;
  if (!Number.isFinite(at) || eq === v.length - 1)
    throw new PalisadeError(
      "USAGE",
      `--snapshot expects TIME=FILE with an RFC 3339 time, got ${JSON.stringify(v)}`,
    );
  return { at, file: v.slice(eq + 1) };
}

export function register(program: Command, ctx: CliContext): void {
  const runtime = program.command("runtime").description("runtime events attributed to workloads over time");
  runtime
    .command("attribute")
    .description(
      "attribute the addresses of flow events to the workloads that held them at each event's time, from snapshots taken at different times",
    )
    .option(
      "--snapshot <time=file>",
      "a kubectl get -o json snapshot and when it was taken (repeatable)",
      collect,
    )
    .option(
      "--events <file>",
      "JSON lines: Hubble flows, Falco, Tetragon, audit.k8s.io/v1 Events (repeatable)",
      collect,
    )
    .option("--source <source>", "hubble, falco, tetragon, k8s-audit or auto (per line)", "auto")
    .action(async (flags: AttributeFlags) => {
      const { EVENT_SOURCES, parseEventLines } = await import("../../../core/runtime/index.js");
      const source = flags.source as (typeof EVENT_SOURCES)[number] | "auto";
      if (source !== "auto" && !EVENT_SOURCES.includes(source))
        throw new PalisadeError("USAGE", `--source expects auto or one of ${EVENT_SOURCES.join(", ")}`);
      if (!flags.events?.length) throw new PalisadeError("USAGE", "--events is required");
      const snaps = (flags.snapshot ?? []).map(parseSnapshotFlag);
      const { loadInventory } = await import("../inputs.js");
      const { readRegularText } = await import("../../../adapters/fs/index.js");
      const { attributeEvents } = await import("../../../services/runtime/index.js");
      const snapshots = [];
      for (const s of snaps) {
        const loaded = await loadInventory({ snapshot: [s.file] }, [], ctx);
        snapshots.push({ at: s.at, inventory: loaded.inventory, label: s.file });
      }
      const parsed = {
        events: [],
        errors: [],
        counts: { received: 0, accepted: 0, dropped: 0 },
      } as ReturnType<typeof parseEventLines>;
      for (const file of flags.events) {
        const text = await readRegularText(file, { maxBytes: MAX_EVENT_FILE_BYTES, what: "event file" });
        const r = parseEventLines(text, file, source);
        for (const e of r.events) parsed.events.push(e);
        for (const e of r.errors) parsed.errors.push(e);
        parsed.counts.received += r.counts.received;
        parsed.counts.accepted += r.counts.accepted;
        parsed.counts.dropped += r.counts.dropped;
      }
      const report = attributeEvents(snapshots, parsed);
      for (const e of report.errors) ctx.stderr.write(`palisade: ${e.file}:${e.line}: ${e.message}\n`);
      for (const c of report.coverage) ctx.stderr.write(`palisade: ${c.message}\n`);
      for (const a of report.events)
        ctx.stdout.write(`${JSON.stringify(a, (_k, v) => (v === Infinity ? null : v))}\n`);
      ctx.stderr.write(
        `palisade: ${report.counts.received} event line(s): ${report.counts.accepted} accepted, ${report.counts.dropped} dropped\n`,
      );
      ctx.exitCode = report.counts.dropped > 0 || report.coverage.length > 0 ? EXIT.USAGE : EXIT.OK;
    });
}

function collect(v: string, prev: string[] | undefined): string[] {
  return [...(prev ?? []), v];
}
