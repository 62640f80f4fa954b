import type { Command } from "commander";
import { PalisadeError } from "../../../core/errors/index.js";
import type { EventSource, NamedNetwork, TimedInventory } from "../../../core/runtime/index.js";
import type { IngestEventsSummary } from "../../../services/runtime/index.js";
import type { CliContext } from "../context.js";
import { storesDbOption } from "../db-location.js";
import { EXIT } from "../exit-codes.js";
import { collect, outputOption } from "../options.js";
import { parseSnapshotFlag } from "./runtime.js";

export interface EventInputFlags {
  snapshot?: string[];
  source: string;
  network?: string[];
  clusterCidr?: string[];
  clockSkew?: string;
  db?: string;
  maxErrors: string;
}

interface IngestFlags extends EventInputFlags {
  output: "jsonl" | "none";
}

/** `30s`, `2m`, `1h`, `7d`, `500ms`, or plain seconds, in milliseconds. */
export function parseDurationFlag(flag: string, v: string): number {
  const m = /^(\d{1,9}(?:\.\d{1,3})?)(ms|s|m|h|d)?$/.exec(v.trim());
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m?.[2] ?? "s"] ?? 1000;
  const ms = m ? Math.round(Number(m[1]) * unit) : Number.NaN;
  if (!(ms >= 0)) throw new PalisadeError("USAGE", `${flag}: "${v}" is not a duration (e.g. 2s, 5m, 7d)`);
  return ms;
}

function parseNetworkFlag(v: string): NamedNetwork {
  const eq = v.indexOf("=");
  if (eq <= 0 || eq === v.length - 1)
    throw new PalisadeError("USAGE", `--network expects NAME=CIDR, got ${JSON.stringify(v)}`);
  return { name: v.slice(0, eq), cidr: v.slice(eq + 1) };
}

/** Options every `events` subcommand that reads event files shares. */
export function addEventInputOptions(cmd: Command, ctx: CliContext): Command {
  return cmd
    .argument("<source...>", "event files (JSON lines, CSV flow logs), or - for stdin")
    .option(
      "--snapshot <time=file>",
      "a kubectl get -o json snapshot and when it was taken (repeatable)",
      collect,
    )
    .option("--source <source>", "hubble, falco, tetragon, k8s-audit, flowlog or auto (per line)", "auto")
    .option(
      "--network <name=cidr>",
      "name a network: external addresses inside it carry the name (repeatable)",
      collect,
    )
    .option(
      "--cluster-cidr <cidr>",
      "a pod or service range of the cluster (repeatable; default: the private ranges): unheld addresses outside are external",
      collect,
    )
    .option(
      "--clock-skew <duration>",
      "attribute an event to a holder within this much of its time (e.g. 2s)",
      "0",
    )
    .option("--max-errors <n>", "line errors kept in the summary (all are counted and printed)", "1000")
    .addOption(storesDbOption(ctx).default(undefined, "none: no vulnerabilities are attached"));
}

export interface PreparedEventInputs {
  inputs: import("../../../services/runtime/index.js").EventInput[];
  options: import("../../../services/runtime/index.js").IngestEventsOptions;
}

/** Open every named input as a line stream (files capped and regular only; `-` is stdin), load the snapshots. */
export async function prepareEventInputs(
  sources: readonly string[],
  flags: EventInputFlags,
  ctx: CliContext,
): Promise<PreparedEventInputs> {
  const { EVENT_SOURCES, MAX_EVENT_LINE_BYTES } = await import("../../../core/runtime/index.js");
  const source = flags.source as EventSource | "auto";
  if (source !== "auto" && !EVENT_SOURCES.includes(source))
    throw new PalisadeError("USAGE", `--source expects auto or one of ${EVENT_SOURCES.join(", ")}`);
  if (sources.filter((s) => s === "-").length > 1)
    throw new PalisadeError("USAGE", "stdin (-) may be named once");
  const maxErrors = Number(flags.maxErrors);
  if (!Number.isInteger(maxErrors) || maxErrors < 0)
    throw new PalisadeError(
      "USAGE",
      `--max-errors expects a whole number, got ${JSON.stringify(flags.maxErrors)}`,
    );
  const skewMs = parseDurationFlag("--clock-skew", flags.clockSkew ?? "0");
  const networks = (flags.network ?? []).map(parseNetworkFlag);
  const { parseCidr } = await import("../../../core/netpol/index.js");
  for (const c of [...networks.map((n) => n.cidr), ...(flags.clusterCidr ?? [])])
    if (!parseCidr(c)) throw new PalisadeError("USAGE", `not a CIDR: ${JSON.stringify(c)}`);
  const { loadInventory } = await import("../inputs.js");
  const snapshots: TimedInventory[] = [];
  for (const s of (flags.snapshot ?? []).map(parseSnapshotFlag)) {
    const loaded = await loadInventory({ snapshot: [s.file] }, [], ctx);
    snapshots.push({ at: s.at, inventory: loaded.inventory, label: s.file });
  }
  let records: import("../../../core/lineage/index.js").RemediationRecord[] = [];
  if (flags.db !== undefined) {
    const { withStores } = await import("../db-location.js");
    records = await withStores(flags.db, ctx, { create: false }, (stores) =>
      stores.remediation.listRecords(),
    );
  }
  const { openRegularStream, readLines } = await import("../../../adapters/fs/index.js");
  const inputs = sources.map((name) => ({
    name,
    source,
    lines: (async function* () {
      const stream =
        name === "-"
          ? ctx.stdin
          : await openRegularStream(name, { maxBytes: Number.MAX_SAFE_INTEGER, what: "event file" });
      yield* readLines(stream, MAX_EVENT_LINE_BYTES);
    })(),
  }));
  return {
    inputs,
    options: {
      snapshots,
      records,
      networks,
      ...(flags.clusterCidr?.length ? { clusterCidrs: flags.clusterCidr } : {}),
      skewMs,
      maxErrors,
    },
  };
}

/** The summary every command prints on stderr: per input, per stage, why records were dropped. */
export function formatIngestSummary(s: IngestEventsSummary): string {
  const lines: string[] = [];
  for (const i of s.inputs)
    lines.push(
      `palisade: ${i.name}: ${i.lines} line(s), ${i.received} record(s): ${i.accepted} accepted, ${i.dropped} dropped`,
    );
  for (const st of s.stages) {
    const reasons = Object.entries(st.reasons)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, n]) => `${k} ${n}`)
      .join(", ");
    lines.push(
      `palisade: stage ${st.stage}: received ${st.received}, accepted ${st.accepted}, dropped ${st.dropped}${reasons ? ` (${reasons})` : ""}`,
    );
  }
  if (s.errorsTruncated > 0)
    lines.push(`palisade: ${s.errorsTruncated} more line error(s) not kept in the summary`);
  for (const c of s.coverage) lines.push(`palisade: ${c.message}`);
  return `${lines.join("\n")}\n`;
}

/** Writes JSON lines to stdout in 64 KiB chunks, waiting for the stream to drain (bounded memory). */
export function lineWriter(out: CliContext["stdout"]) {
  let buf = "";
  const flush = (): Promise<void> | undefined => {
    if (buf === "") return undefined;
    const ok = out.write(buf);
    buf = "";
    return ok ? undefined : new Promise<void>((r) => out.once("drain", () => r()));
  };
  return {
    write(line: string): Promise<void> | undefined {
      buf += `${line}\n`;
      return buf.length >= 65536 ? flush() : undefined;
    },
    end: async () => {
      await flush();
    },
  };
}

export const jsonLine = (v: unknown) => JSON.stringify(v, (_k, x) => (x === Infinity ? null : x));

interface AlertFlags extends EventInputFlags {
  output: "table" | "json" | "jsonl";
  baselineWindow?: string;
  autoPromote?: string;
  baselineExpire?: string;
  feed?: string[];
  feedRefresh: string;
  feedCache?: string;
  webhook?: string[];
  slackWebhook?: string[];
  alertmanager?: string[];
}

/** Load the feeds (`SOURCE` or `SOURCE#column` for CSV); line errors go to stderr and make the run incomplete. */
async function loadFeeds(flags: AlertFlags, ctx: CliContext) {
  const { readFeedText } = await import("../../../adapters/feeds/index.js");
  const { parseFeed } = await import("../../../core/runtime/index.js");
  const maxAgeMs = parseDurationFlag("--feed-refresh", flags.feedRefresh);
  const { join, resolve } = await import("node:path");
  const cacheBase = ctx.env.XDG_CACHE_HOME || (ctx.env.HOME ? join(ctx.env.HOME, ".cache") : undefined);
  const cacheDir = flags.feedCache
    ? resolve(ctx.cwd, flags.feedCache)
    : cacheBase
      ? join(cacheBase, "palisade", "feeds")
      : undefined;
  const feeds = [];
  let problems = 0;
  for (const spec of flags.feed ?? []) {
    const hash = spec.lastIndexOf("#");
    const source = hash > 0 ? spec.slice(0, hash) : spec;
    const column = hash > 0 ? spec.slice(hash + 1) : undefined;
    const t = await readFeedText(/^https?:/i.test(source) ? source : resolve(ctx.cwd, source), {
      ...(cacheDir ? { cacheDir } : {}),
      maxAgeMs,
      now: ctx.now(),
    });
    if (t.stale) {
      problems++;
      ctx.stderr.write(
        `palisade: threat feed ${t.name}: refresh failed (${t.stale.error}); using the copy fetched at ${t.stale.fetchedAt}\n`,
      );
    }
    const f = parseFeed(t.text, /^https?:/i.test(source) ? t.name : source, column);
    for (const e of f.errors) ctx.stderr.write(`palisade: ${e.file}:${e.line}: ${e.message}\n`);
    problems += f.errors.length;
    ctx.stderr.write(
      `palisade: threat feed ${f.name}: ${f.addresses.length} address(es), ${f.domains.length} domain(s)\n`,
    );
    feeds.push(f);
  }
  return { feeds, problems };
}

function formatAlertsTable(alerts: readonly import("../../../core/runtime/index.js").DedupedAlert[]): string {
  if (alerts.length === 0) return "No alerts.\n";
  const iso = (t: number) => new Date(t).toISOString();
  const rows = alerts.map((a) => {
    const who = a.workload
      ? `${a.workload.kind} ${a.workload.namespace}/${a.workload.name}${a.team ? ` (team ${a.team})` : ""}`
      : (a.user ?? "");
    return `${a.severity.toUpperCase()}\t${a.ruleId}\t${a.title}\n  ${who}\n  ${a.count}x, first ${iso(a.firstSeen)}, last ${iso(a.lastSeen)} (${a.origin.file}:${a.origin.line})\n  ${a.evidence}${a.vulns?.length ? `\n  open vulnerabilities: ${a.vulns.join(", ")}` : ""}`;
  });
  return `${rows.join("\n\n")}\n`;
}

export function register(program: Command, ctx: CliContext): void {
  const events = program
    .command("events")
    .description(
      "runtime events (Hubble, Falco, Tetragon, audit log, flow logs): ingest, detect, baseline, recommend",
    );
  addEventInputOptions(
    events
      .command("ingest")
      .description(
        "read events as streams, attribute every flow and process to its workload at the event's time, and enrich it (team, image digests, open vulnerabilities, exposure)",
      )
      .addOption(outputOption(["jsonl", "none"], "jsonl")),
    ctx,
  ).action(async (sources: string[], flags: IngestFlags) => {
    const { inputs, options } = await prepareEventInputs(sources, flags, ctx);
    const { ingestEvents } = await import("../../../services/runtime/index.js");
    const out = lineWriter(ctx.stdout);
    const summary = await ingestEvents(inputs, options, {
      onError: (e) => ctx.stderr.write(`palisade: ${e.file}:${e.line}: ${e.message}\n`),
      ...(flags.output === "jsonl" ? { onEvent: (e) => out.write(jsonLine(e)) } : {}),
    });
    await out.end();
    ctx.stderr.write(formatIngestSummary(summary));
    const dropped = summary.stages.reduce((n, s) => n + s.dropped, 0);
    // An incomplete run never looks complete: dropped records or missing coverage exit 2.
    ctx.exitCode = dropped > 0 || summary.coverage.length > 0 ? EXIT.USAGE : EXIT.OK;
  });

  addEventInputOptions(
    events
      .command("alerts")
      .description(
        "run the detections (Kubernetes audit rules equivalent to Falco's k8s_audit) over events and print deduplicated alerts",
      )
      .addOption(outputOption(["table", "json", "jsonl"], "table"))
      .option(
        "--baseline-window <duration>",
        "also learn and check per-workload baselines (kept in --db, else the default database): learning lasts this long in event time (e.g. 7d)",
      )
      .option(
        "--auto-promote <confidence>",
        "promote observing baselines to enforcing-by-alert once their confidence reaches this (0..1); reported, off by default",
      )
      .option(
        "--baseline-expire <duration>",
        "baseline items (processes, peers) not seen for this long in event time age out (e.g. 30d); off by default",
      )
      .option(
        "--feed <source>",
        "threat feed: file or http(s) URL of IPs/CIDRs/domains, one per line; CSV as SOURCE#column (repeatable)",
        collect,
      )
      .option(
        "--feed-refresh <duration>",
        "fetch a URL feed again when the cached copy is older than this",
        "1h",
      )
      .option("--feed-cache <dir>", "where URL feeds are cached (default: $XDG_CACHE_HOME/palisade/feeds)")
      .option("--webhook <url>", "POST new alerts as JSON to this URL (repeatable)", collect)
      .option(
        "--slack-webhook <url>",
        "POST new alerts to a Slack-compatible incoming webhook (repeatable)",
        collect,
      )
      .option(
        "--alertmanager <url>",
        "POST new alerts to Alertmanager's API at this base URL (repeatable)",
        collect,
      ),
    ctx,
  ).action(async (sources: string[], flags: AlertFlags) => {
    const { inputs, options } = await prepareEventInputs(sources, flags, ctx);
    const svc = await import("../../../services/runtime/index.js");
    const { feeds, problems } = await loadFeeds(flags, ctx);
    const prepared = svc.prepareEnricher(options);
    const detectors = [svc.auditDetector];
    if (feeds.length > 0) detectors.push(svc.threatDetector(feeds, prepared.directory.facts));
    const { createAlertSink } = await import("../../../adapters/alerts/index.js");
    const sinks = [
      ...(flags.webhook ?? []).map((u) => createAlertSink("webhook", u)),
      ...(flags.slackWebhook ?? []).map((u) => createAlertSink("slack", u)),
      ...(flags.alertmanager ?? []).map((u) => createAlertSink("alertmanager", u)),
    ];
    let pending: import("../../../core/runtime/index.js").DedupedAlert[] = [];
    let undelivered = 0;
    const flush = async () => {
      const batch = pending;
      pending = [];
      for (const s of sinks) {
        const r = await s.send(batch);
        if (!r.ok) {
          undelivered += batch.length;
          ctx.stderr.write(
            `palisade: ${s.kind} ${s.target}: ${batch.length} alert(s) not delivered: ${r.error}\n`,
          );
        }
      }
    };
    const run = async (extra: import("../../../services/runtime/index.js").Detector[]) => {
      const r = await svc.detectAlerts(
        inputs,
        { ...options, prepared, detectors: [...detectors, ...extra] },
        {
          onError: (e) => ctx.stderr.write(`palisade: ${e.file}:${e.line}: ${e.message}\n`),
          ...(sinks.length > 0
            ? {
                onAlert: async (a) => {
                  pending.push(a);
                  if (pending.length >= 100) await flush();
                },
              }
            : {}),
        },
      );
      if (pending.length > 0) await flush();
      return r;
    };
    let result: Awaited<ReturnType<typeof run>>;
    if (flags.baselineWindow !== undefined) {
      const windowMs = parseDurationFlag("--baseline-window", flags.baselineWindow);
      const auto = flags.autoPromote === undefined ? undefined : Number(flags.autoPromote);
      if (auto !== undefined && !(auto > 0 && auto <= 1))
        throw new PalisadeError(
          "USAGE",
          `--auto-promote expects a confidence in (0, 1], got ${flags.autoPromote}`,
        );
      const { withStores } = await import("../db-location.js");
      result = await withStores(flags.db, ctx, {}, async (stores) => {
        // Events read from files name no cluster: their baselines are the local book ("").
        const { book, detector, coverage } = await svc.openBaselineBook(stores.baselines, "", {
          windowMs,
          ...(auto === undefined ? {} : { autoPromoteConfidence: auto }),
          ...(flags.baselineExpire === undefined
            ? {}
            : { itemTtlMs: parseDurationFlag("--baseline-expire", flags.baselineExpire) }),
        });
        const r = await run([detector]);
        for (const w of svc.retireBaselines(book, options.snapshots))
          ctx.stderr.write(
            `palisade: baseline ${w.kind} ${w.namespace}/${w.name} retired: the workload has been gone from the inventory for longer than its learning window\n`,
          );
        if (book.evicted.expiredItems > 0)
          ctx.stderr.write(
            `palisade: baselines: ${book.evicted.expiredItems} item(s) not seen for ${flags.baselineExpire} aged out\n`,
          );
        if (book.evicted.refusedObservations > 0)
          r.summary.coverage.push({
            reason: "limit",
            message: `${book.evicted.refusedObservations} observation(s) of workloads past the limit of baselines were not learned`,
          });
        await svc.saveBaselineBook(stores.baselines, "", book, ctx.now());
        for (const t of book.transitions)
          ctx.stderr.write(
            `palisade: baseline ${t.workload.kind} ${t.workload.namespace}/${t.workload.name}: ${t.from} -> ${t.to} at ${new Date(t.at).toISOString()} (confidence ${t.confidence}; ${t.reason})\n`,
          );
        for (const c of coverage) r.summary.coverage.push(c);
        return r;
      });
    } else result = await run([]);
    if (flags.output === "json") ctx.stdout.write(`${JSON.stringify(result.alerts, null, 2)}\n`);
    else if (flags.output === "jsonl") for (const a of result.alerts) ctx.stdout.write(`${jsonLine(a)}\n`);
    else ctx.stdout.write(formatAlertsTable(result.alerts));
    ctx.stderr.write(formatIngestSummary(result.summary));
    if (result.overflow > 0)
      ctx.stderr.write(
        `palisade: ${result.overflow} distinct alert(s) past the limit of kept alerts were evicted (lowest severity, least recently seen first; ${Object.entries(
          result.evictedByRule,
        )
          .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
          .map(([r, n]) => `${r}: ${n}`)
          .join(", ")}); they were routed when first seen\n`,
      );
    const dropped = result.summary.stages.reduce((n, s) => n + s.dropped, 0);
    ctx.exitCode =
      dropped > 0 ||
      result.summary.coverage.length > 0 ||
      result.overflow > 0 ||
      problems > 0 ||
      undelivered > 0
        ? EXIT.USAGE
        : result.alerts.length > 0
          ? EXIT.FINDINGS
          : EXIT.OK;
  });

  const CLUSTER_FLAG = "--cluster <name>";
  const CLUSTER_FLAG_HELP =
    "the cluster whose baselines (as `palisade serve` learns them per cluster); default: the local book of `events --baseline-window`";
  const baseline = events
    .command("baseline")
    .description("per-workload behaviour baselines (processes, network peers)");
  baseline
    .command("list")
    .description("every baseline with its state and confidence")
    .addOption(storesDbOption(ctx))
    .option(CLUSTER_FLAG, CLUSTER_FLAG_HELP)
    .addOption(outputOption(["table", "json"], "table"))
    .action(async (flags: { db?: string; cluster?: string; output: "table" | "json" }) => {
      const { withStores } = await import("../db-location.js");
      const { confidenceOf } = await import("../../../core/runtime/index.js");
      const { baselines, coverage } = await withStores(flags.db, ctx, { create: false }, (s) =>
        s.baselines.listBaselines(flags.cluster ?? ""),
      );
      const rows = baselines.map((b) => ({ ...b, confidence: confidenceOf(b) }));
      if (flags.output === "json") ctx.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      else if (rows.length === 0) ctx.stdout.write("No baselines.\n");
      else
        for (const b of rows)
          ctx.stdout.write(
            `${b.workload.kind} ${b.workload.namespace}/${b.workload.name}\t${b.state} since ${new Date(b.stateSince).toISOString()}\tconfidence ${b.confidence}\t${b.observations} observation(s), ${Object.keys(b.processes).length} process(es), ${Object.keys(b.peers).length} peer(s)${b.overflow ? `, ${b.overflow} not kept (full)` : ""}\n`,
          );
      for (const c of coverage) ctx.stderr.write(`palisade: ${c.message}\n`);
      ctx.exitCode = coverage.length > 0 ? EXIT.USAGE : EXIT.OK;
    });
  const change = async (
    ref: string,
    flags: { db?: string; cluster?: string },
    what: import("../../../services/runtime/index.js").BaselineChange,
  ) => {
    const svc = await import("../../../services/runtime/index.js");
    const w = svc.parseWorkloadRef(ref);
    if (!w)
      throw new PalisadeError(
        "USAGE",
        `expected KIND/NAMESPACE/NAME or NAMESPACE/NAME, got ${JSON.stringify(ref)}`,
      );
    const { withStores } = await import("../db-location.js");
    const r = await withStores(flags.db, ctx, { create: false }, (s) =>
      svc.changeBaseline(s.baselines, flags.cluster ?? "", w, what, ctx.now()),
    );
    if (!r.found)
      throw new PalisadeError(
        "INPUT",
        `no baseline for ${w.kind} ${w.namespace}/${w.name}${flags.cluster ? ` in cluster ${flags.cluster}` : ""}`,
      );
    ctx.stdout.write(
      r.transition
        ? `${w.kind} ${w.namespace}/${w.name}: ${r.transition.from} -> ${r.transition.to} (confidence ${r.transition.confidence})\n`
        : `${w.kind} ${w.namespace}/${w.name}: ${what.action === "accept" ? `accepted ${what.item}` : `already ${r.baseline?.state}`}\n`,
    );
  };
  baseline
    .command("promote")
    .description("move a baseline to enforcing-by-alert: new behaviour becomes an alert (nothing is blocked)")
    .argument("<workload>", "KIND/NAMESPACE/NAME, or NAMESPACE/NAME for a Deployment")
    .addOption(storesDbOption(ctx))
    .option(CLUSTER_FLAG, CLUSTER_FLAG_HELP)
    .action((ref: string, flags: { db?: string; cluster?: string }) =>
      change(ref, flags, { action: "promote" }),
    );
  baseline
    .command("accept")
    .description("accept reviewed behaviour into a baseline (an item as a drift alert names it)")
    .argument("<workload>", "KIND/NAMESPACE/NAME, or NAMESPACE/NAME for a Deployment")
    .option("--process <binary>", "an executable path")
    .option("--peer <item>", 'a peer as drift names it, e.g. "egress cidr:203.0.113.0/24 TCP/443"')
    .addOption(storesDbOption(ctx))
    .option(CLUSTER_FLAG, CLUSTER_FLAG_HELP)
    .action((ref: string, flags: { db?: string; cluster?: string; process?: string; peer?: string }) => {
      if ((flags.process === undefined) === (flags.peer === undefined))
        throw new PalisadeError("USAGE", "give one of --process or --peer");
      return change(
        ref,
        flags,
        flags.process !== undefined
          ? { action: "accept", kind: "process", item: flags.process }
          : { action: "accept", kind: "peer", item: flags.peer as string },
      );
    });

  addEventInputOptions(
    events
      .command("recommend")
      .description(
        "propose per-workload NetworkPolicies from observed, attributed flows, and replay the history through the exact evaluator to show what they would have dropped",
      )
      .addOption(outputOption(["yaml", "json"], "yaml"))
      .option("--min-count <n>", "allow only peers seen at least this many times", "1")
      .option(
        "--learn-from <time>",
        "learn only from flows seen from this RFC 3339 time (the replay covers all)",
      )
      .option(
        "--learn-until <time>",
        "learn only from flows first seen before this RFC 3339 time (the replay covers all)",
      ),
    ctx,
  ).action(
    async (
      sources: string[],
      flags: EventInputFlags & {
        output: "yaml" | "json";
        minCount: string;
        learnFrom?: string;
        learnUntil?: string;
      },
    ) => {
      const minCount = Number(flags.minCount);
      if (!Number.isInteger(minCount) || minCount < 1)
        throw new PalisadeError(
          "USAGE",
          `--min-count expects a positive whole number, got ${flags.minCount}`,
        );
      const time = (flag: string, v: string | undefined) => {
        if (v === undefined) return undefined;
        const t = Date.parse(v);
        if (!Number.isFinite(t))
          throw new PalisadeError("USAGE", `${flag} expects an RFC 3339 time, got ${JSON.stringify(v)}`);
        return t;
      };
      const learnFrom = time("--learn-from", flags.learnFrom);
      const learnUntil = time("--learn-until", flags.learnUntil);
      const { inputs, options } = await prepareEventInputs(sources, flags, ctx);
      const { recommendFromEvents } = await import("../../../services/runtime/index.js");
      const { peerText } = await import("../../../core/runtime/index.js");
      const {
        recommendation: rec,
        summary,
        skipped,
      } = await recommendFromEvents(
        inputs,
        {
          ...options,
          minCount,
          ...(learnFrom === undefined ? {} : { learnFrom }),
          ...(learnUntil === undefined ? {} : { learnUntil }),
        },
        { onError: (e) => ctx.stderr.write(`palisade: ${e.file}:${e.line}: ${e.message}\n`) },
      );
      if (flags.output === "json") ctx.stdout.write(`${JSON.stringify(rec, null, 2)}\n`);
      else {
        const { yamlDocuments } = await import("../yaml-out.js");
        ctx.stdout.write(yamlDocuments(rec.policies));
      }
      const iso = (t: number) => new Date(t).toISOString();
      const err = (s: string) => ctx.stderr.write(`palisade: ${s}\n`);
      err(
        `${rec.policies.length} NetworkPolicy(ies) proposed; replayed ${rec.replayed.flows} flow(s) (${rec.replayed.tuples} distinct) through the evaluator`,
      );
      if (rec.wouldDrop.length === 0) err("the proposal would have dropped none of them");
      for (const t of rec.wouldDrop)
        err(
          `${t.count} flow(s) from ${peerText(t.src)} to ${peerText(t.dst)}:${t.port}/${t.protocol} between ${iso(t.firstSeen)} and ${iso(t.lastSeen)} would be denied`,
        );
      if (rec.alreadyDenied.length > 0)
        err(
          `${rec.alreadyDenied.reduce((n, t) => n + t.count, 0)} flow(s) are denied by the current policies already`,
        );
      for (const n of rec.notes) err(n);
      const skippedText = Object.entries(skipped)
        .filter(([, n]) => n > 0)
        .map(([k, n]) => `${k} ${n}`)
        .join(", ");
      if (skippedText) err(`flows not used: ${skippedText}`);
      ctx.stderr.write(formatIngestSummary(summary));
      const dropped = summary.stages.reduce((n, s) => n + s.dropped, 0);
      ctx.exitCode =
        dropped > 0 || summary.coverage.length > 0 || skipped["tuple-limit"] > 0 ? EXIT.USAGE : EXIT.OK;
    },
  );

  addEventInputOptions(
    events
      .command("identity")
      .description(
        "per namespace: the share of observed workload-to-workload flows neither covered by a NetworkPolicy nor mutually authenticated (Hubble auth_type, Istio PeerAuthentication and enrolment, Linkerd injection and policy in the snapshots)",
      )
      .addOption(outputOption(["table", "json"], "table"))
      .option(
        "--istio-root-namespace <ns>",
        "Istio's root namespace (mesh-wide PeerAuthentication)",
        "istio-system",
      )
      .option(
        "--linkerd-default-inbound-policy <policy>",
        "Linkerd's cluster-wide default inbound policy (proxy.defaultInboundPolicy)",
        "all-unauthenticated",
      ),
    ctx,
  ).action(
    async (
      sources: string[],
      flags: EventInputFlags & {
        output: "table" | "json";
        istioRootNamespace: string;
        linkerdDefaultInboundPolicy: string;
      },
    ) => {
      const { inputs, options } = await prepareEventInputs(sources, flags, ctx);
      const { identityFromEvents } = await import("../../../services/runtime/index.js");
      const mesh = {
        istioRootNamespace: flags.istioRootNamespace,
        linkerdDefaultInboundPolicy: flags.linkerdDefaultInboundPolicy,
      };
      const r = await identityFromEvents(
        inputs,
        { ...options, mesh },
        {
          onError: (e) => ctx.stderr.write(`palisade: ${e.file}:${e.line}: ${e.message}\n`),
        },
      );
      if (flags.output === "json") ctx.stdout.write(`${JSON.stringify(r.namespaces, null, 2)}\n`);
      else {
        ctx.stdout.write(
          "NAMESPACE\tFLOWS\tCOVERED\tAUTHENTICATED\tBY (hubble/istio/linkerd)\tMTLS REQUIRED\tNEITHER\n",
        );
        for (const n of r.namespaces)
          ctx.stdout.write(
            `${n.namespace}\t${n.flows}\t${n.covered}\t${n.authenticated}\t${n.authenticatedBy.hubble}/${n.authenticatedBy.istio}/${n.authenticatedBy.linkerd}\t${n.meshRequired}\t${n.exposedFlows} (${(n.exposedShare * 100).toFixed(1)}%)\n`,
          );
      }
      if (r.unattributed > 0)
        ctx.stderr.write(
          `palisade: ${r.unattributed} flow(s) without a workload on both sides were not counted\n`,
        );
      ctx.stderr.write(formatIngestSummary(r.summary));
      const dropped = r.summary.stages.reduce((n, s) => n + s.dropped, 0);
      ctx.exitCode = dropped > 0 || r.summary.coverage.length > 0 ? EXIT.USAGE : EXIT.OK;
    },
  );
}
