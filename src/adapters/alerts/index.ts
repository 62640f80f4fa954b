/**
 * Alert routing: deliver runtime alerts to a JSON webhook, a Slack-compatible incoming webhook, and the
 * Alertmanager API (`POST /api/v2/alerts`). Each sink batches what it is given into one request; a failed
 * delivery is reported (with the target's URL, credentials removed) and never throws past `send`, so one broken
 * receiver does not stop the others or the ingest.
 */
import type { DedupedAlert } from "../../core/runtime/index.js";

export type SinkKind = "webhook" | "slack" | "alertmanager";

export interface AlertSink {
  kind: SinkKind;
  /** The target, credentials removed, for messages. */
  target: string;
  send(alerts: readonly DedupedAlert[]): Promise<{ ok: boolean; status?: number; error?: string }>;
}

/** `https://user:pass@host/path?token=...` -> `https://host/path` (userinfo and query can hold secrets). */
export function displayUrl(u: URL): string {
  return `${u.protocol}//${u.host}${u.pathname}`;
}

function parseTarget(url: string): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`not a URL: ${JSON.stringify(url.slice(0, 80))}`);
  }
  if (u.protocol !== "https:" && u.protocol !== "http:")
    throw new Error(`only http(s) URLs are supported: ${displayUrl(u)}`);
  return u;
}

const iso = (t: number) => new Date(t).toISOString();

function who(a: DedupedAlert): string {
  if (a.workload) return `${a.workload.kind} ${a.workload.namespace}/${a.workload.name}`;
  return a.user ?? "cluster";
}

/** The JSON webhook body: the alerts as Palisade reports them. */
export function webhookBody(alerts: readonly DedupedAlert[]): unknown {
  return {
    version: 1,
    alerts: alerts.map((a) => ({
      ...a,
      firstSeen: iso(a.firstSeen),
      lastSeen: iso(a.lastSeen),
      time: iso(a.time),
    })),
  };
}

/** A Slack incoming-webhook message (also accepted by Mattermost and Rocket.Chat): text plus one block per alert. */
export function slackBody(alerts: readonly DedupedAlert[]): unknown {
  const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
  return {
    text: `Palisade: ${alerts.length} runtime alert(s)`,
    blocks: alerts.slice(0, 45).map((a) => ({
      type: "section",
      text: {
        type: "mrkdwn",
        text: esc(
          `*${a.severity.toUpperCase()}* ${a.title} (${a.ruleId})\n${who(a)}${a.team ? ` · team ${a.team}` : ""}\n${a.evidence}\n${a.count}x, first ${iso(a.firstSeen)}, last ${iso(a.lastSeen)}${a.vulns?.length ? `\nopen vulnerabilities: ${a.vulns.slice(0, 10).join(", ")}` : ""}`,
        ).slice(0, 2900),
      },
    })),
  };
}

/**
 * Alertmanager API v2 `postableAlerts`: labels identify the alert (Alertmanager groups and deduplicates on them),
 * annotations carry the text; `startsAt` is the first event, `endsAt` is left to Alertmanager's resolve timeout.
 * (https://github.com/prometheus/alertmanager/blob/main/api/v2/openapi.yaml)
 */
export function alertmanagerBody(alerts: readonly DedupedAlert[]): unknown {
  return alerts.map((a) => {
    const labels: Record<string, string> = {
      alertname: a.ruleId,
      severity: a.severity,
      category: a.category,
      source: "palisade",
    };
    if (a.workload) {
      labels.namespace = a.workload.namespace;
      labels.workload = `${a.workload.kind}/${a.workload.name}`;
    }
    if (a.team) labels.team = a.team;
    if (a.user) labels.user = a.user;
    if (a.resource?.namespace && !a.workload) labels.namespace = a.resource.namespace;
    return {
      labels,
      annotations: {
        summary: a.title,
        description: a.evidence,
        count: String(a.count),
        lastSeen: iso(a.lastSeen),
        ...(a.vulns?.length ? { vulnerabilities: a.vulns.join(",") } : {}),
        ...(a.images?.length ? { images: a.images.join(",") } : {}),
      },
      startsAt: iso(a.firstSeen),
    };
  });
}

const BODIES: Record<SinkKind, (a: readonly DedupedAlert[]) => unknown> = {
  webhook: webhookBody,
  slack: slackBody,
  alertmanager: alertmanagerBody,
};

export interface SinkOptions {
  timeoutMs?: number;
  /** Extra headers (e.g. Authorization for a webhook). */
  headers?: Record<string, string>;
}

/** A sink posting JSON to `url`; for Alertmanager, `url` is its base (`http://alertmanager:9093`). */
export function createAlertSink(kind: SinkKind, url: string, opts: SinkOptions = {}): AlertSink {
  const u = parseTarget(url);
  const post = kind === "alertmanager" ? new URL(`${u.pathname.replace(/\/$/, "")}/api/v2/alerts`, u) : u;
  const target = displayUrl(post);
  return {
    kind,
    target,
    async send(alerts) {
      if (alerts.length === 0) return { ok: true };
      try {
        const res = await fetch(post, {
          method: "POST",
          headers: { "content-type": "application/json", ...(opts.headers ?? {}) },
          body: JSON.stringify(BODIES[kind](alerts)),
          signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000),
          redirect: "error",
        });
        await res.arrayBuffer().catch(() => undefined);
        return res.ok
          ? { ok: true, status: res.status }
          : { ok: false, status: res.status, error: `HTTP ${res.status}` };
      } catch (e) {
        const err = e as Error & { cause?: { code?: string } };
        return { ok: false, error: err.cause?.code ?? err.name ?? "error" };
      }
    },
  };
}
