import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request as httpsRequest } from "node:https";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeTestCerts } from "../support/tls.js";

/**
 * A real Kubernetes control plane for integration tests (issue 13): etcd, kube-apiserver and kube-controller-manager
 * built from their Go modules by scripts/build-kube-apiserver.sh, started per test file on free loopback ports with a
 * generated CA, a token file for users and ServiceAccounts, RBAC authorization, the PodSecurity admission plugin and
 * an audit log. No nodes: objects are stored and admitted, never scheduled.
 *
 * kube-controller-manager runs only the ClusterRole aggregation controller, which fills in admin/edit/view from the
 * aggregate-to-* roles as in every real cluster (the bootstrap roles the API server creates have empty rules until
 * it runs).
 */

const ROOT = join(import.meta.dirname, "..", "..");
const SCRIPT = join(ROOT, "scripts", "build-kube-apiserver.sh");

/** Where the binaries are, or why they are not there (the build script's own message). */
export function kubeBinaries(): { dir: string } | { error: string } {
  const r = spawnSync(SCRIPT, ["--print"], { encoding: "utf8" });
  if (r.status === 0) return { dir: r.stdout.trim() };
  return { error: (r.stderr || r.stdout || `${SCRIPT} --print failed`).trim() };
}

/**
 * Whether the tests of a file run: with the binaries, yes; without them under CI=1, yes too (and they fail with the
 * build script's error, see {@link startCluster}); otherwise they are skipped with the reason printed.
 */
export function kubeTestsEnabled(): boolean {
  const b = kubeBinaries();
  if ("dir" in b || process.env.CI) return true;
  console.warn(`skipping real kube-apiserver tests: ${b.error}`);
  return false;
}

export interface ApiAnswer {
  status: number;
  body: Record<string, unknown>;
}

export interface RealCluster {
  /** https://127.0.0.1:PORT */
  server: string;
  dir: string;
  caFile: string;
  auditLog: string;
  /** etcd's client URL (http://127.0.0.1:PORT): tests compact its history to expire resourceVersions. */
  etcd: string;
  /** Bearer token of a user by name (from the token file). */
  token(user: string): string;
  /** A kubeconfig file for a user of the token file. */
  kubeconfig(user: string): string;
  /** One request as `user` (default the system:masters admin). */
  api(method: string, path: string, body?: unknown, user?: string): Promise<ApiAnswer>;
  stop(): Promise<void>;
}

export interface ClusterOptions {
  /** More kube-apiserver flags, e.g. `--watch-cache-sizes=configmaps#0` (watches of that kind served by etcd). */
  apiserverArgs?: string[];
  /** Users of the token file besides `admin` (system:masters): name -> groups. */
  users?: Record<string, string[]>;
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function tail(file: string, lines = 25): string {
  try {
    return readFileSync(file, "utf8").trim().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log)";
  }
}

/** Start etcd, kube-apiserver and kube-controller-manager; resolves when the API is ready and roles aggregated. */
export async function startCluster(opts: ClusterOptions = {}): Promise<RealCluster> {
  const bins = kubeBinaries();
  if ("error" in bins) throw new Error(bins.error);
  const dir = mkdtempSync(join(tmpdir(), "palisade-kube-apiserver-"));
  const certs = makeTestCerts(join(dir, "pki"));
  const saKey = join(dir, "pki", "sa.key");
  execFileSync("openssl", ["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", saKey], {
    stdio: "pipe",
  });

  const users: Record<string, string[]> = { admin: ["system:masters"], ...opts.users };
  const tokens = new Map<string, string>();
  const lines: string[] = [];
  let uid = 0;
  for (const [name, groups] of Object.entries(users)) {
    const token = `tok-${++uid}-${name.replace(/[^a-z0-9]/gi, "")}-${Math.random().toString(36).slice(2)}`;
    tokens.set(name, token);
    lines.push(`${token},${name},uid-${uid}${groups.length ? `,"${groups.join(",")}"` : ""}`);
  }
  const tokenFile = join(dir, "tokens.csv");
  writeFileSync(tokenFile, `${lines.join("\n")}\n`);
  const auditPolicy = join(dir, "audit-policy.yaml");
  writeFileSync(auditPolicy, "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n");
  const auditLog = join(dir, "audit.log");

  const [etcdPort, peerPort, apiPort] = [await freePort(), await freePort(), await freePort()];
  const procs: ChildProcess[] = [];
  const start = (bin: string, args: string[]): ChildProcess => {
    const log = openSync(join(dir, `${bin}.log`), "w");
    const p = spawn(join(bins.dir, bin), args, { stdio: ["ignore", log, log] });
    closeSync(log);
    procs.push(p);
    return p;
  };
  const stop = async () => {
    for (const p of procs.reverse()) {
      if (p.exitCode !== null || p.signalCode !== null) continue;
      const exited = new Promise((resolve) => p.once("exit", resolve));
      p.kill("SIGTERM");
      await Promise.race([exited, sleep(5000)]);
      if (p.exitCode === null && p.signalCode === null) p.kill("SIGKILL");
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const server = `https://127.0.0.1:${apiPort}`;
  const ca = readFileSync(certs.ca);
  const api = (method: string, path: string, body?: unknown, user = "admin"): Promise<ApiAnswer> =>
    new Promise((resolve, reject) => {
      const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      const req = httpsRequest(
        `${server}${path}`,
        {
          method,
          ca,
          headers: {
            Authorization: `Bearer ${tokens.get(user) ?? "unknown-user"}`,
            Accept: "application/json",
            ...(data ? { "Content-Type": "application/json", "Content-Length": data.length } : {}),
          },
          timeout: 30_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            let parsed: Record<string, unknown> = {};
            try {
              parsed = JSON.parse(text) as Record<string, unknown>;
            } catch {
              parsed = { text };
            }
            resolve({ status: res.statusCode ?? 0, body: parsed });
          });
          res.on("error", reject);
        },
      );
      req.on("timeout", () => req.destroy(new Error(`${method} ${path}: no answer within 30 s`)));
      req.on("error", reject);
      req.end(data);
    });

  try {
    start("etcd", [
      "--name=default",
      `--data-dir=${join(dir, "etcd")}`,
      `--listen-client-urls=http://127.0.0.1:${etcdPort}`,
      `--advertise-client-urls=http://127.0.0.1:${etcdPort}`,
      `--listen-peer-urls=http://127.0.0.1:${peerPort}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
      `--initial-cluster=default=http://127.0.0.1:${peerPort}`,
      "--unsafe-no-fsync",
      "--log-level=warn",
    ]);
    start("kube-apiserver", [
      `--etcd-servers=http://127.0.0.1:${etcdPort}`,
      "--bind-address=127.0.0.1",
      "--advertise-address=127.0.0.1",
      `--secure-port=${apiPort}`,
      `--tls-cert-file=${certs.cert}`,
      `--tls-private-key-file=${certs.key}`,
      `--client-ca-file=${certs.ca}`,
      `--token-auth-file=${tokenFile}`,
      "--authorization-mode=RBAC",
      "--enable-admission-plugins=PodSecurity",
      // No ServiceAccount admission: there is no token controller, and pods stay exactly as generated.
      "--disable-admission-plugins=ServiceAccount",
      "--allow-privileged=true",
      "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
      `--service-account-key-file=${saKey}`,
      `--service-account-signing-key-file=${saKey}`,
      "--service-cluster-ip-range=10.96.0.0/16",
      "--endpoint-reconciler-type=none",
      "--enable-priority-and-fairness=false",
      "--profiling=false",
      `--audit-policy-file=${auditPolicy}`,
      `--audit-log-path=${auditLog}`,
      ...(opts.apiserverArgs ?? []),
    ]);
    // Ready: /readyz answers 200 (etcd reachable, bootstrap RBAC roles and namespaces created).
    const deadline = Date.now() + 240_000;
    for (;;) {
      const r = await api("GET", "/readyz").catch(() => ({ status: 0, body: {} }));
      if (r.status === 200) break;
      for (const p of procs)
        if (p.exitCode !== null)
          throw new Error(
            `${p.spawnfile} exited with ${p.exitCode}:\n${tail(join(dir, `${p.spawnfile.split("/").pop()}.log`))}`,
          );
      if (Date.now() > deadline)
        throw new Error(`kube-apiserver not ready after 240 s:\n${tail(join(dir, "kube-apiserver.log"))}`);
      await sleep(500);
    }
    const kubeconfigFor = (user: string): string => {
      const file = join(dir, `${user.replace(/[^a-z0-9-]/gi, "_")}.kubeconfig`);
      writeFileSync(
        file,
        [
          "apiVersion: v1",
          "kind: Config",
          "clusters:",
          "- name: real",
          "  cluster:",
          `    server: ${server}`,
          `    certificate-authority: ${certs.ca}`,
          "users:",
          `- name: ${JSON.stringify(user)}`,
          `  user: {token: ${tokens.get(user) ?? "unknown-user"}}`,
          "contexts:",
          "- name: real",
          `  context: {cluster: real, user: ${JSON.stringify(user)}}`,
          "current-context: real",
          "",
        ].join("\n"),
      );
      return file;
    };
    start("kube-controller-manager", [
      `--kubeconfig=${kubeconfigFor("admin")}`,
      "--controllers=clusterrole-aggregation-controller",
      "--leader-elect=false",
      "--secure-port=0",
      "--use-service-account-credentials=false",
    ]);
    // Aggregated: `view` has rules (the aggregation controller copied them from system:aggregate-to-view).
    for (;;) {
      const r = await api("GET", "/apis/rbac.authorization.k8s.io/v1/clusterroles/view");
      if (r.status === 200 && Array.isArray(r.body.rules) && r.body.rules.length > 0) break;
      for (const p of procs)
        if (p.exitCode !== null)
          throw new Error(
            `${p.spawnfile} exited with ${p.exitCode}:\n${tail(join(dir, `${p.spawnfile.split("/").pop()}.log`))}`,
          );
      if (Date.now() > deadline)
        throw new Error(
          `ClusterRole view not aggregated after 240 s:\n${tail(join(dir, "kube-controller-manager.log"))}`,
        );
      await sleep(500);
    }
    return {
      server,
      dir,
      caFile: certs.ca,
      auditLog,
      etcd: `http://127.0.0.1:${etcdPort}`,
      token: (user) => tokens.get(user) ?? "",
      kubeconfig: kubeconfigFor,
      api,
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** Run `fn` over `items` with at most `n` in flight; results in input order. */
export async function inBatches<T, R>(
  items: readonly T[],
  n: number,
  fn: (t: T) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i] as T);
      }
    }),
  );
  return out;
}

/** The seeded PRNG of generated clusters and requests (test/support/prng.ts). */
export { prng } from "../support/prng.js";
