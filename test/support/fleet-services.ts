/**
 * Real services of the fleet fault tests, private to one test file so they can be killed and restarted without
 * touching the shared ones on 127.0.0.1:4222/5432: a nats-server with JetStream on a free port and its own store
 * directory, a PostgreSQL instance of its own (initdb + pg_ctl in a temporary directory, run as the postgres user
 * when started by root), and a TCP relay in front of NATS that can cut one client's network (partition) and heal it.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { chmod, chown, mkdtemp, rm } from "node:fs/promises";
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { prng } from "./prng.js";

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A TCP port nobody listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const s = createServer();
    s.once("error", fail);
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      s.close(() => done(typeof a === "object" && a !== null ? a.port : 0));
    });
  });
}

/** Wait until something accepts TCP connections on `port` (at most `attempts` tries, 100 ms apart). */
export async function waitForPort(port: number, attempts = 300): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    const ok = await new Promise<boolean>((done) => {
      const s = createConnection({ host: "127.0.0.1", port });
      s.once("connect", () => {
        s.destroy();
        done(true);
      });
      s.once("error", () => done(false));
    });
    if (ok) return;
    await sleep(100);
  }
  throw new Error(`nothing listens on 127.0.0.1:${port}`);
}

export interface NatsServer {
  url: string;
  port: number;
  /** kill -9: no shutdown, JetStream recovers from its files at the next start. */
  kill9(): Promise<void>;
  /** Start again on the same port and store directory. */
  start(): Promise<void>;
  /** SIGSTOP: the process freezes (its connections stay open, it answers nothing), as a starved one would. */
  freeze(): void;
  /** SIGCONT after {@link freeze}. */
  thaw(): void;
  stop(): Promise<void>;
}

const NATS_SERVER = process.env.PALISADE_TEST_NATS_SERVER ?? "nats-server";

/** Whether a nats-server binary can be run here. */
export async function natsServerVersion(): Promise<string | undefined> {
  try {
    return (await run(NATS_SERVER, ["--version"])).stdout.trim();
  } catch {
    return undefined;
  }
}

/** A private `nats-server -js` on a free port, its store in a temporary directory. */
export async function startNatsServer(): Promise<NatsServer> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), "palisade-nats-"));
  let child: ChildProcess | undefined;
  const exited = () =>
    new Promise<void>((done) => {
      if (child === undefined || child.exitCode !== null || child.signalCode !== null) done();
      else child.once("exit", () => done());
    });
  const server: NatsServer = {
    url: `nats://127.0.0.1:${port}`,
    port,
    async start() {
      child = spawn(NATS_SERVER, ["-js", "-a", "127.0.0.1", "-p", String(port), "-sd", dir], {
        stdio: "ignore",
      });
      await waitForPort(port);
    },
    freeze() {
      child?.kill("SIGSTOP");
    },
    thaw() {
      child?.kill("SIGCONT");
    },
    async kill9() {
      child?.kill("SIGCONT");
      child?.kill("SIGKILL");
      await exited();
    },
    async stop() {
      child?.kill("SIGCONT");
      child?.kill("SIGTERM");
      await exited();
      await rm(dir, { recursive: true, force: true });
    },
  };
  await server.start();
  return server;
}

export interface PgInstance {
  /** postgres://postgres@127.0.0.1:PORT/postgres */
  url: string;
  /** pg_ctl restart -m fast: connections are cut, in-flight transactions roll back. */
  restart(): Promise<void>;
  /** pg_ctl stop -m fast, keeping the data: connections are cut, in-flight transactions roll back. */
  halt(): Promise<void>;
  /** Start it again after `halt`, on the same port and data. */
  start(): Promise<void>;
  /** Stop it and remove its data. */
  stop(): Promise<void>;
}

const PG_BIN = process.env.PALISADE_TEST_PG_BIN ?? "/usr/lib/postgresql/15/bin";

/** A PostgreSQL instance of its own (trust auth on 127.0.0.1, a free port), removed by `stop`. */
export async function startPostgres(): Promise<PgInstance> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), "palisade-pg-"));
  const data = join(dir, "data");
  // initdb refuses to run as root: run the server as the postgres user then.
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const uid = Number((await run("id", ["-u", "postgres"])).stdout.trim());
    const gid = Number((await run("id", ["-g", "postgres"])).stdout.trim());
    await chown(dir, uid, gid);
    await chmod(dir, 0o700);
  }
  const pg = (bin: string, args: string[]) =>
    asRoot
      ? run("runuser", ["-u", "postgres", "--", join(PG_BIN, bin), ...args], { timeout: 120_000 })
      : run(join(PG_BIN, bin), args, { timeout: 120_000 });
  await pg("initdb", ["-D", data, "-A", "trust", "-U", "postgres", "--no-sync"]);
  const opts = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
  const ctl = (...args: string[]) => pg("pg_ctl", ["-D", data, "-w", "-t", "120", "-o", opts, ...args]);
  await ctl("-l", join(dir, "log"), "start");
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async restart() {
      await ctl("-m", "fast", "-l", join(dir, "log"), "restart");
    },
    async halt() {
      await ctl("-m", "fast", "stop");
    },
    async start() {
      await ctl("-l", join(dir, "log"), "start");
    },
    async stop() {
      await ctl("-m", "immediate", "stop").catch(() => {});
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A TCP relay to `port`: clients connect to `relay.port`. `partition()` black-holes every connection (bytes are read
 * and dropped both ways, nothing is refused: what a cut network looks like), `heal()` resets the black-holed
 * connections (as the peers' timeouts would) and relays new ones again.
 */
export interface Relay {
  port: number;
  partition(): void;
  heal(): void;
  close(): Promise<void>;
}

export async function startRelay(target: number): Promise<Relay> {
  let cut = false;
  const pairs = new Set<[Socket, Socket]>();
  const server: Server = createServer((client) => {
    const upstream = createConnection({ host: "127.0.0.1", port: target });
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    const drop = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on("error", drop).on("close", drop);
    upstream.on("error", drop).on("close", drop);
    client.on("data", (b) => {
      if (!cut) upstream.write(b);
    });
    upstream.on("data", (b) => {
      if (!cut) client.write(b);
    });
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const a = server.address();
  return {
    port: typeof a === "object" && a !== null ? a.port : 0,
    partition() {
      cut = true;
    },
    heal() {
      for (const [c, u] of [...pairs]) {
        c.destroy();
        u.destroy();
      }
      cut = false;
    },
    async close() {
      for (const [c, u] of [...pairs]) {
        c.destroy();
        u.destroy();
      }
      await new Promise<void>((done) => server.close(() => done()));
    },
  };
}

/**
 * A seeded stream of deltas as one cluster's sensor would send them: objects created, updated (resourceVersion
 * growing like etcd's revision) and deleted, some recreated under a new uid.
 */
export function churn(cluster: string, count: number, seed: number) {
  const rand = prng(seed);
  let revision = 100;
  const live: { uid: string; name: string }[] = [];
  let next = 0;
  const out = [];
  for (let i = 0; i < count; i++) {
    revision += 1 + Math.floor(rand() * 3);
    const r = rand();
    if (live.length === 0 || r < 0.3) {
      const o = { uid: `uid-${seed}-${next}`, name: `pod-${next % 40}` };
      next++;
      live.push(o);
      out.push(upsert(cluster, o, revision, i));
    } else if (r < 0.85) {
      const o = live[Math.floor(rand() * live.length)] as { uid: string; name: string };
      out.push(upsert(cluster, o, revision, i));
    } else {
      const [o] = live.splice(Math.floor(rand() * live.length), 1) as [{ uid: string; name: string }];
      out.push({
        cluster,
        op: "delete" as const,
        key: { apiVersion: "v1", kind: "Pod", namespace: "default", name: o.name },
        uid: o.uid,
        resourceVersion: String(revision),
      });
    }
  }
  return out;
}

function upsert(cluster: string, o: { uid: string; name: string }, revision: number, i: number) {
  return {
    cluster,
    op: "upsert" as const,
    key: { apiVersion: "v1", kind: "Pod", namespace: "default", name: o.name },
    uid: o.uid,
    resourceVersion: String(revision),
    object: {
      metadata: { name: o.name, namespace: "default", uid: o.uid, resourceVersion: String(revision) },
      spec: { step: i },
    },
  };
}
