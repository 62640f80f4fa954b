/**
 * Issue 17 (sensor): runtime events posted to a sensor reach the central service. A real `palisade serve` (SQLite),
 * a private nats-server (JetStream) or the server's HTTPS events route as the transport, and a sensor that watches
 * no kinds here (its kube side is covered by sensor-live.test.ts; this file is about its events endpoint), fed
 * the API server's webhook audit batches: the alerts appear on the server, through a transport outage, and a body
 * larger than a transport message arrives whole, cut record by record.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import { type RunningSensor, startSensor } from "../../src/apps/cli/sensor-run.js";
import { type RunningServer, startServe } from "../../src/apps/server/serve.js";
import { type NatsServer, natsServerVersion, startNatsServer } from "../support/fleet-services.js";
import { makeTestCerts } from "../support/tls.js";

const NATS_VERSION = await natsServerVersion();
const ADMIN = "sensor-events-admin-token-0123456789";
const EVENTS_TOKEN = "sensor-events-token-9876543210";
const T0 = Date.parse("2026-12-05T05:00:00.000Z");
const iso = (ms: number) => new Date(ms).toISOString();

it("nats-server can be run", () => {
  expect(NATS_VERSION).toBeDefined();
});

/** One `kubectl exec` into `pod` as the API server's audit log records it (rule PAL-RT-AUDIT-004). */
const execItem = (at: number, pod: string) => ({
  level: "Metadata",
  auditID: `exec-${pod}-${at}`,
  stage: "ResponseComplete",
  requestURI: `/api/v1/namespaces/shop/pods/${pod}/exec?command=sh`,
  verb: "create",
  user: { username: "alice@example.com", groups: ["system:authenticated"] },
  objectRef: { resource: "pods", namespace: "shop", name: pod, apiVersion: "v1", subresource: "exec" },
  responseStatus: { metadata: {}, code: 101 },
  requestReceivedTimestamp: iso(at),
  stageTimestamp: iso(at + 100),
});
const eventList = (items: unknown[]) =>
  JSON.stringify({ kind: "EventList", apiVersion: "audit.k8s.io/v1", items });

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f().catch(() => {});
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(what: string, probe: () => Promise<boolean> | boolean, attempts = 900): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    if (await Promise.resolve(probe()).catch(() => false)) return;
    await sleep(200);
  }
  throw new Error(`gave up waiting: ${what}`);
}

interface Answer {
  status: number;
  body: string;
}
/** POST over http or https (trusting `ca`). */
function post(
  url: string,
  body: Buffer | string,
  headers: Record<string, string>,
  ca?: Buffer,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = (u.protocol === "https:" ? httpsRequest : httpRequest)(
      u,
      { method: "POST", headers, ...(ca ? { ca } : {}) },
      (res) => {
        let text = "";
        res.setEncoding("utf8").on("data", (d: string) => (text += d));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), "palisade-sensor-events-"));
  cleanups.push(() => rm(d, { recursive: true, force: true }));
  return d;
}

async function serve(
  db: string,
  extra: Partial<Parameters<typeof startServe>[0]> = {},
): Promise<RunningServer> {
  const s = await startServe({
    listen: "127.0.0.1:0",
    db,
    adminToken: ADMIN,
    now: () => new Date(),
    logger: false,
    ...extra,
  });
  cleanups.push(() => s.close());
  return s;
}

/** A sensor that watches no kinds (its API is never called) and takes events. */
async function eventsSensor(
  transport: Parameters<typeof startSensor>[0]["transport"],
  bufferDir: string,
  events: Partial<NonNullable<Parameters<typeof startSensor>[0]["events"]>> = {},
): Promise<RunningSensor & { logs: string[] }> {
  const logs: string[] = [];
  const s = await startSensor({
    cluster: "edge-1",
    api: {
      request: () => {
        throw new Error("this sensor watches no kinds: its API is not used");
      },
    },
    kinds: [],
    transport,
    bufferDir,
    events: { listen: "127.0.0.1:0", token: EVENTS_TOKEN, ...events },
    log: (l) => logs.push(l),
  });
  cleanups.push(() => s.stop());
  return Object.assign(s, { logs });
}

interface Alert {
  ruleId: string;
  count: number;
  alert: { resource?: { name?: string } };
}
const podOf = (a: Alert) => a.alert.resource?.name;

async function alerts(server: RunningServer, ca?: Buffer): Promise<Alert[]> {
  const url = `${server.url}/api/v1/alerts?cluster=edge-1&rule=PAL-RT-AUDIT-004&limit=500`;
  const text = await new Promise<string>((resolve, reject) => {
    const u = new URL(url);
    const req = (u.protocol === "https:" ? httpsRequest : httpRequest)(
      u,
      { headers: { authorization: `Bearer ${ADMIN}` }, ...(ca ? { ca } : {}) },
      (res) => {
        let t = "";
        res.setEncoding("utf8").on("data", (d: string) => (t += d));
        res.on("end", () => resolve(t));
      },
    );
    req.on("error", reject);
    req.end();
  });
  return (JSON.parse(text) as { items: Alert[] }).items;
}

const auth = { authorization: `Bearer ${EVENTS_TOKEN}`, "content-type": "application/json" };

describe.runIf(NATS_VERSION !== undefined)("sensor events over NATS JetStream", () => {
  it("reach the server's alerts, through a NATS outage, and a body over a message's size arrives whole", {
    timeout: 300_000,
  }, async () => {
    const dir = await tempDir();
    const nats: NatsServer = await startNatsServer();
    cleanups.push(() => nats.stop());
    const server = await serve(join(dir, "palisade.db"), { nats: nats.url });
    const sensor = await eventsSensor({ nats: nats.url }, join(dir, "buffer"));
    const url = `http://${sensor.eventsAddress}/events/k8s-audit`;

    const first = await post(
      url,
      eventList(["p1", "p2", "p3"].map((p, i) => execItem(T0 + i * 1000, p))),
      auth,
    );
    expect(first).toEqual({ status: 202, body: JSON.stringify({ accepted: 1, tooLarge: 0 }) });
    await until("3 alerts on the server", async () => (await alerts(server)).length === 3);
    // The server can store the alerts before the sensor has JetStream's acknowledgement and drops the body from its
    // disk: wait for that too, so the one body buffered below is the one posted during the outage.
    await until("the sensor idle before the outage", () => sensor.stats().events?.buffered === 0);

    // The transport goes away: the sensor still takes events (202: on its disk), and sends them once it is back.
    await nats.kill9();
    const during = await post(url, eventList(["p4", "p5"].map((p, i) => execItem(T0 + 10_000 + i, p))), auth);
    expect(during.status).toBe(202);
    await until("a failed send", () => (sensor.stats().events?.sendErrors ?? 0) > 0);
    expect(sensor.stats().events?.buffered).toBe(1);
    await nats.start();
    await until("5 alerts on the server", async () => (await alerts(server)).length === 5);

    // 4,000 audit events in one batch (about 2 MiB): more than one transport message, cut into parts. They are
    // execs into 20 pods, interleaved, so a part lost would show as a pod with fewer than its 200 events.
    const big = eventList(
      Array.from({ length: 4_000 }, (_, i) => execItem(T0 + 20_000 + i, `big-${i % 20}`)),
    );
    expect(big.length).toBeGreaterThan(1024 * 1024);
    const r = await post(url, gzipSync(big), { ...auth, "content-encoding": "gzip" });
    expect(r.status).toBe(202);
    const parts = (JSON.parse(r.body) as { accepted: number; tooLarge: number }).accepted;
    expect(parts).toBeGreaterThan(1);
    const counts = async () => {
      const m = new Map<string, number>();
      for (const a of await alerts(server)) m.set(podOf(a) ?? "", a.count);
      return m;
    };
    await until("4,000 more events in 20 alerts", async () => {
      const c = await counts();
      return (
        c.size === 25 && Array.from({ length: 20 }, (_, i) => c.get(`big-${i}`) ?? 0).every((n) => n >= 200)
      );
    });
    const c = await counts();
    // At least once: a part delivered again would count its events twice, never lose them.
    for (let i = 0; i < 20; i++) expect(c.get(`big-${i}`)).toBeGreaterThanOrEqual(200);
    for (const p of ["p1", "p2", "p3", "p4", "p5"]) expect(c.get(p)).toBe(1);
    await until("the sensor idle", () => sensor.stats().events?.buffered === 0);
    expect(sensor.stats().events).toMatchObject({
      accepted: 2 + parts,
      sent: 2 + parts,
      dropped: 0,
      refused: 0,
    });
  });
});

describe("sensor events to palisade serve over HTTPS", () => {
  it("reach the server's alerts; the endpoint is HTTPS, wants its token, and refuses what it cannot take, by name", {
    timeout: 180_000,
  }, async () => {
    const dir = await tempDir();
    const certs = makeTestCerts(join(dir, "tls"));
    const ca = await readFile(certs.ca);
    const server = await serve(join(dir, "palisade.db"), { tlsCert: certs.cert, tlsKey: certs.key });
    const sensor = await eventsSensor({ server: server.url, token: ADMIN, ca }, join(dir, "buffer"), {
      tls: { cert: await readFile(certs.cert), key: await readFile(certs.key) },
      maxBytes: 64 * 1024,
    });
    const url = `https://${sensor.eventsAddress}/events/k8s-audit`;
    const body = eventList(["q1", "q2"].map((p, i) => execItem(T0 + i, p)));
    const ok = await post(url, gzipSync(body), { ...auth, "content-encoding": "gzip" }, ca);
    expect(ok.status).toBe(202);
    await until("2 alerts on the server", async () => (await alerts(server, ca)).length === 2);
    expect((await alerts(server, ca)).map(podOf).sort()).toEqual(["q1", "q2"]);

    const refused = async (path: string, b: Buffer | string, headers: Record<string, string>) => {
      const r = await post(`https://${sensor.eventsAddress}${path}`, b, headers, ca);
      return [r.status, (JSON.parse(r.body) as { error: { code: string } }).error.code];
    };
    expect(await refused("/events/k8s-audit", body, { "content-type": "application/json" })).toEqual([
      401,
      "unauthorized",
    ]);
    expect(await refused("/events/k8s-audit", body, { ...auth, authorization: "Bearer wrong" })).toEqual([
      401,
      "unauthorized",
    ]);
    expect(await refused("/events/syslog", body, auth)).toEqual([404, "source"]);
    expect(await refused("/events/k8s-audit", "x".repeat(65 * 1024), auth)).toEqual([413, "too-large"]);
    expect(
      await refused("/events/k8s-audit", gzipSync("y".repeat(200 * 1024)), {
        ...auth,
        "content-encoding": "gzip",
      }),
    ).toEqual([413, "too-large"]);
    expect(await refused("/events/k8s-audit", "not gzip", { ...auth, "content-encoding": "gzip" })).toEqual([
      400,
      "gzip",
    ]);
    expect(await refused("/events/k8s-audit", body, { ...auth, "content-encoding": "br" })).toEqual([
      415,
      "encoding",
    ]);
    expect(sensor.stats().events?.rejected).toEqual({
      unauthorized: 2,
      source: 1,
      "too-large": 2,
      gzip: 1,
      encoding: 1,
    });
    // Nothing refused reached the buffer or the server.
    expect(sensor.stats().events).toMatchObject({ accepted: 1, sent: 1, buffered: 0 });
  });
});
