import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";

/**
 * TEST DOUBLE — a token-auth front for a real registry, written for the tests. It plays the Docker token
 * server (`GET /token` -> `{token}`) and a registry that demands `Authorization: Bearer <token>`, proxying
 * authorised requests to the real `docker-registry` behind it. Modes inject the faults a hostile or broken
 * registry produces: tampered blobs, blobs redirected to another origin ("blob storage"), an oversized or
 * malformed manifest, a catalog refused (as hosted registries refuse `/v2/_catalog`).
 */
export type DoubleMode =
  | "ok"
  | "tamper-blob"
  | "redirect-blobs"
  | "huge-manifest"
  | "malformed-manifest"
  | "no-catalog";

export interface RegistryDouble {
  port: number;
  /** Requests seen by the blob-storage origin that carried an Authorization header (must stay 0). */
  leakedAuth: () => number;
  tokenRequests: () => string[];
  stop: () => Promise<void>;
}

const TOKEN = "test-double-token";

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      const a = server.address();
      resolve(typeof a === "object" && a ? a.port : 0);
    });
  });
}

async function proxy(
  upstream: string,
  req: IncomingMessage,
  res: ServerResponse,
  mutate?: (b: Buffer) => Buffer,
): Promise<void> {
  const headers: Record<string, string> = {};
  if (req.headers.accept) headers.accept = req.headers.accept;
  const r = await fetch(`${upstream}${req.url}`, { headers, redirect: "manual" });
  let body: Buffer = Buffer.from(await r.arrayBuffer());
  if (mutate) body = mutate(body);
  const out: Record<string, string> = {};
  for (const h of ["content-type", "docker-content-digest"]) {
    const v = r.headers.get(h);
    if (v) out[h] = v;
  }
  out["content-length"] = String(body.length);
  res.writeHead(r.status, out);
  res.end(body);
}

export async function startTokenAuthDouble(
  upstream: string,
  opts: { mode?: DoubleMode; credentials?: { username: string; password: string } } = {},
): Promise<RegistryDouble> {
  const mode = opts.mode ?? "ok";
  let leaked = 0;
  const tokenRequests: string[] = [];
  const storage = createServer((req, res) => {
    if (req.headers.authorization) leaked++;
    void proxy(upstream, req, res).catch(() => res.destroy());
  });
  const storagePort = await listen(storage);
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    if (url.pathname === "/token") {
      tokenRequests.push(url.search);
      if (opts.credentials) {
        const want = `Basic ${Buffer.from(`${opts.credentials.username}:${opts.credentials.password}`).toString("base64")}`;
        if (req.headers.authorization !== want) {
          res.writeHead(401).end();
          return;
        }
      }
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ token: TOKEN }));
      return;
    }
    if (req.headers.authorization !== `Bearer ${TOKEN}`) {
      const repo = /^\/v2\/(.+)\/(?:manifests|blobs)\//.exec(url.pathname)?.[1] ?? "";
      res
        .writeHead(401, {
          "www-authenticate": `Bearer realm="http://127.0.0.1:${port}/token",service="registry-double",scope="repository:${repo}:pull"`,
        })
        .end();
      return;
    }
    if (url.pathname === "/v2/_catalog" && mode === "no-catalog") {
      res.writeHead(403, { "content-type": "application/json" }).end('{"errors":[{"code":"DENIED"}]}');
      return;
    }
    const isBlob = url.pathname.includes("/blobs/");
    const isManifest = url.pathname.includes("/manifests/");
    if (isBlob && mode === "redirect-blobs") {
      res.writeHead(307, { location: `http://127.0.0.1:${storagePort}${req.url}` }).end();
      return;
    }
    if (isManifest && mode === "huge-manifest") {
      res.writeHead(200, {
        "content-type": "application/vnd.oci.image.manifest.v1+json",
        "content-length": String(5 * 1024 * 1024),
      });
      res.end(Buffer.alloc(5 * 1024 * 1024, 0x20));
      return;
    }
    if (isManifest && mode === "malformed-manifest") {
      res
        .writeHead(200, { "content-type": "application/vnd.oci.image.manifest.v1+json" })
        .end('{"schemaVersion": 2, "layers": [');
      return;
    }
    const tamper =
      isBlob && mode === "tamper-blob"
        ? (b: Buffer) => {
            const c = Buffer.from(b);
            if (c.length > 0) c[c.length - 1] = (c[c.length - 1] as number) ^ 0xff;
            return c;
          }
        : undefined;
    void proxy(upstream, req, res, tamper).catch(() => res.destroy());
  });
  const port = await listen(server);
  return {
    port,
    leakedAuth: () => leaked,
    tokenRequests: () => tokenRequests,
    stop: async () => {
      server.closeAllConnections();
      storage.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await new Promise<void>((r) => storage.close(() => r()));
    },
  };
}
