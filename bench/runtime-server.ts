/**
 * Alert latency from ingest on the server (issue 16): a real `palisade serve` (the built CLI, dist/cli) on
 * 127.0.0.1 with an SQLite file, a threat feed and a webhook receiver run by this script. After a snapshot of a
 * generated cluster (P pods in Deployments, each with its own address), Hubble flow batches are posted at a steady
 * rate R per second for S seconds, L flows each; one flow per batch reaches a feed-listed address not reached
 * before, so every batch makes exactly one new alert. Measured per batch, from the start of its POST:
 * - stored: the POST's answer (the alert is in the store, visible to GET /api/v1/alerts, when the answer is sent);
 *   checked by a GET of the alert after the run;
 * - delivered: the webhook receiver has the alert (routed after the answer).
 * Same-run references: `node -e 0`, JSON.parse of one batch body, and GET /healthz round trips on the same server.
 *
 *   npm run build && npx tsx bench/runtime-server.ts [rate=20] [seconds=30] [lines=200] [pods=2000]
 */
import { execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";

const RATE = Number(process.argv[2] ?? 20);
const SECONDS = Number(process.argv[3] ?? 30);
const LINES = Number(process.argv[4] ?? 200);
const PODS = Number(process.argv[5] ?? 2000);
const TOKEN = "bench-admin-token-0123456789abcdef";
const CLI = resolve(import.meta.dirname, "../dist/cli/palisade.js");
const dir = mkdtempSync(join(tmpdir(), "palisade-bench-rt-"));
const now = () => Number(process.hrtime.bigint()) / 1e6;
const T0 = Date.parse("2026-12-04T09:00:00.000Z");

const podIp = (i: number) => `10.1.${(i >> 8) & 255}.${i & 255}`;
const feedIp = (i: number) => `198.18.${(i >> 8) & 255}.${i & 255}`;

function snapshot(): string {
  const items: unknown[] = [];
  const deployments = Math.max(1, Math.floor(PODS / 10));
  for (let d = 0; d < deployments; d++) {
    const ns = `ns-${d % 20}`;
    const name = `app-${d}`;
    items.push({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name, namespace: ns, uid: `d-${d}` },
      spec: {
        selector: { matchLabels: { app: name } },
        template: {
          metadata: { labels: { app: name } },
          spec: { containers: [{ name, image: `registry.example/${name}:1` }] },
        },
      },
    });
    items.push({
      apiVersion: "apps/v1",
      kind: "ReplicaSet",
      metadata: {
        name: `${name}-rs`,
        namespace: ns,
        uid: `rs-${d}`,
        ownerReferences: [
          { apiVersion: "apps/v1", kind: "Deployment", name, uid: `d-${d}`, controller: true },
        ],
      },
      spec: { template: { spec: { containers: [{ name, image: `registry.example/${name}:1` }] } } },
    });
  }
  for (let i = 0; i < PODS; i++) {
    const d = i % deployments;
    const ns = `ns-${d % 20}`;
    items.push({
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        name: `app-${d}-rs-${i}`,
        namespace: ns,
        uid: `p-${i}`,
        labels: { app: `app-${d}` },
        ownerReferences: [
          {
            apiVersion: "apps/v1",
            kind: "ReplicaSet",
            name: `app-${d}-rs`,
            uid: `rs-${d}`,
            controller: true,
          },
        ],
      },
      spec: { nodeName: `n${i % 10}`, containers: [{ name: "app", image: `registry.example/app-${d}:1` }] },
      status: {
        phase: "Running",
        podIP: podIp(i),
        podIPs: [{ ip: podIp(i) }],
        startTime: new Date(T0 - 3_600_000).toISOString(),
      },
    });
  }
  for (let ns = 0; ns < 20; ns++)
    items.push({
      apiVersion: "v1",
      kind: "Namespace",
      metadata: { name: `ns-${ns}`, labels: { team: `team-${ns % 5}` } },
    });
  return JSON.stringify({ apiVersion: "v1", kind: "List", items });
}

const flow = (at: number, src: string, dst: string, port: number) =>
  JSON.stringify({
    flow: {
      time: new Date(at).toISOString(),
      verdict: "FORWARDED",
      IP: { source: src, destination: dst },
      l4: { TCP: { source_port: 40000, destination_port: port } },
    },
    node_name: "n1",
    time: new Date(at).toISOString(),
  });

/** Batch k: L-1 in-cluster flows and one to feed address k. */
function batch(k: number): string {
  const lines: string[] = [];
  for (let j = 0; j < LINES - 1; j++)
    lines.push(flow(T0 + k * 1000 + j, podIp((k * 31 + j) % PODS), podIp((k * 17 + j * 7 + 1) % PODS), 8080));
  lines.push(flow(T0 + k * 1000 + LINES, podIp(k % PODS), feedIp(k), 443));
  return `${lines.join("\n")}\n`;
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? Number.NaN;
}
const fmt = (xs: number[]) =>
  `p50 ${pct(xs, 50).toFixed(1)} ms, p99 ${pct(xs, 99).toFixed(1)} ms, max ${Math.max(...xs).toFixed(1)} ms (n=${xs.length})`;

const total = Math.round(RATE * SECONDS);
const feed = join(dir, "feed.txt");
writeFileSync(feed, `${Array.from({ length: total }, (_, i) => feedIp(i)).join("\n")}\n`);

// The webhook receiver: when each batch's alert arrived.
const delivered = new Map<string, number>();
const receiver = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    const at = now();
    const body = JSON.parse(Buffer.concat(chunks).toString("utf8")) as {
      alerts: { evidence: string; key: string }[];
    };
    for (const a of body.alerts) {
      const m = /198\.18\.\d+\.\d+/.exec(a.key);
      if (m) delivered.set(m[0], at);
    }
    res.writeHead(204).end();
  });
});
receiver.listen(0, "127.0.0.1");
await once(receiver, "listening");
const hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;

const server = spawn(
  process.execPath,
  [
    CLI,
    "serve",
    "--listen",
    "127.0.0.1:0",
    "--db",
    join(dir, "server.db"),
    "--feed",
    feed,
    "--webhook",
    hook,
  ],
  {
    env: { ...process.env, PALISADE_ADMIN_TOKEN: TOKEN, PALISADE_LOG_LEVEL: "warn" },
    stdio: ["ignore", "ignore", "pipe"],
  },
);
const url = await new Promise<string>((done, fail) => {
  let err = "";
  server.stderr.setEncoding("utf8");
  server.stderr.on("data", (c: string) => {
    err += c;
    const m = /serving on (\S+)/.exec(err);
    if (m?.[1]) done(m[1]);
  });
  server.once("exit", (code) => fail(new Error(`palisade serve exited ${code}: ${err}`)));
});
const headers = { authorization: `Bearer ${TOKEN}` };

try {
  const t = now();
  execFileSync(process.execPath, ["-e", "0"]);
  const nodeE0 = now() - t;
  const sample = batch(0);
  const tp = now();
  for (const l of sample.split("\n")) if (l) JSON.parse(l);
  const parse = now() - tp;

  const snap = await fetch(`${url}/api/v1/clusters/bench/snapshots`, {
    method: "POST",
    headers: { ...headers, "content-type": "application/json" },
    body: snapshot(),
  });
  if (snap.status !== 200) throw new Error(`snapshot: ${snap.status} ${await snap.text()}`);
  // Warm-up: the cluster's attribution is built on its first events.
  const warm = await fetch(`${url}/api/v1/clusters/bench/events/hubble`, {
    method: "POST",
    headers: { ...headers, "content-type": "application/x-ndjson" },
    body: flow(T0, podIp(0), podIp(1), 80),
  });
  if (warm.status !== 200) throw new Error(`warm-up: ${warm.status}`);
  const health: number[] = [];
  for (let i = 0; i < 50; i++) {
    const h0 = now();
    await (await fetch(`${url}/healthz`)).text();
    health.push(now() - h0);
  }

  const bodies = Array.from({ length: total }, (_, k) => batch(k));
  const started: number[] = [];
  const stored: number[] = [];
  let failed = 0;
  const load0 = loadavg()[0] ?? 0;
  const begin = now();
  const inflight: Promise<void>[] = [];
  for (let k = 0; k < total; k++) {
    const due = begin + (k * 1000) / RATE;
    const wait = due - now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    inflight.push(
      (async () => {
        const s = now();
        started[k] = s;
        const r = await fetch(`${url}/api/v1/clusters/bench/events/hubble`, {
          method: "POST",
          headers: { ...headers, "content-type": "application/x-ndjson" },
          body: bodies[k] as string,
        });
        const j = (await r.json()) as { accepted?: number; alerts?: { new: number } };
        stored[k] = now() - s;
        if (r.status !== 200 || j.accepted !== LINES || j.alerts?.new !== 1) failed++;
      })(),
    );
  }
  await Promise.all(inflight);
  const sent = now() - begin;
  const deadline = now() + 30_000;
  while (delivered.size < total && now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const toWebhook = started.flatMap((s, k) => {
    const at = delivered.get(feedIp(k));
    return at === undefined ? [] : [at - s];
  });
  const listed = (await (
    await fetch(`${url}/api/v1/alerts?cluster=bench&rule=PAL-RT-FEED-001&limit=1000`, { headers })
  ).json()) as { items: unknown[]; next?: string };
  const load1 = loadavg()[0] ?? 0;

  console.log(`palisade serve ${url}: ${PODS} pods; ${total} batches of ${LINES} Hubble flows at ${RATE}/s`);
  console.log(
    `  sent in ${(sent / 1000).toFixed(1)} s (${Math.round((total * LINES * 1000) / sent)} events/s); batches failed: ${failed}`,
  );
  console.log(
    `  POST -> alert stored (answer sent; GET /api/v1/alerts lists it): ${fmt(stored.filter((x) => x !== undefined))}`,
  );
  console.log(
    `  POST -> alert at the webhook receiver: ${fmt(toWebhook)}; missing ${total - toWebhook.length}`,
  );
  console.log(
    `  GET /api/v1/alerts after the run: ${listed.items.length}${listed.next ? "+" : ""} feed alert(s) listed`,
  );
  console.log(
    `  references: node -e 0 ${nodeE0.toFixed(0)} ms; JSON.parse of one batch (${LINES} lines) ${parse.toFixed(2)} ms; GET /healthz ${fmt(health)}`,
  );
  console.log(`  load average ${load0.toFixed(1)} -> ${load1.toFixed(1)} (2 cores)`);
} finally {
  server.kill("SIGTERM");
  await once(server, "exit").catch(() => undefined);
  receiver.close();
  rmSync(dir, { recursive: true, force: true });
}
