import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { request } from "node:https";
import type { TestCerts } from "./tls.js";

/** A running `palisade admission serve` (the real CLI, real TLS) and what it wrote to stderr. */
export interface Served {
  proc: ChildProcess;
  port: number;
  stderr: () => string;
  call: (method: string, path: string, body?: unknown) => Promise<{ status: number; text: string }>;
}

export async function serve(args: string[], certs: TestCerts): Promise<Served> {
  const proc = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      "src/apps/cli/bin.ts",
      "admission",
      "serve",
      "--listen",
      "127.0.0.1:0",
      "--tls-cert",
      certs.cert,
      "--tls-key",
      certs.key,
      // Decisions, not load shedding, are what these tests look at: a loaded machine holds a test process's loop
      // for hundreds of milliseconds, which the default --shed-after (250ms) would answer by the failure policy.
      // Shedding itself is tested with injected waits (src/apps/webhook/server.test.ts).
      ...(args.includes("--shed-after") ? [] : ["--shed-after", "1h"]),
      ...args,
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let err = "";
  const port = await new Promise<number>((resolve, reject) => {
    proc.stderr?.on("data", (c: Buffer) => {
      err += c.toString();
      const m = /listening on https:\/\/[^:]+:(\d+)/.exec(err);
      if (m) resolve(Number(m[1]));
    });
    proc.once("exit", (code) => reject(new Error(`serve exited ${code}: ${err}`)));
  });
  const ca = readFileSync(certs.ca);
  const call = (method: string, path: string, body?: unknown) =>
    new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(
        { host: "127.0.0.1", port, method, path, ca, headers: { "content-type": "application/json" } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () =>
            resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }),
          );
        },
      );
      req.on("error", reject);
      req.end(body === undefined ? undefined : JSON.stringify(body));
    });
  return { proc, port, stderr: () => err, call };
}

/** Poll until `check` holds (generous bound: never a speed assertion, only a hang guard). */
export async function eventually(check: () => Promise<boolean> | boolean, what: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}
