/**
 * The web dashboard's static files (the Vite build in `dist/web`), served by the same fastify instance as the API:
 * hashed assets under `/assets/` as immutable, every other non-API path answered with `index.html` (the dashboard
 * routes in the browser, so a shared URL like `/findings?severity=critical` loads the app). Nothing is fetched
 * from elsewhere: the build bundles every script, style and font it uses.
 *
 * The files are read once at start (the build is a few hundred kilobytes) and kept with a gzip copy, so a request
 * does no filesystem work.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { basename, dirname, extname, join } from "node:path";
import { gzipSync } from "node:zlib";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".json": "application/json; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
};

/** Largest file kept in memory; a build never comes near it (cytoscape, the biggest dependency, is ~400 KiB). */
const MAX_FILE_BYTES = 16 * 1024 * 1024;
const MAX_FILES = 1000;

interface StaticFile {
  body: Buffer;
  gzip?: Buffer | undefined;
  type: string;
}

/** Prefixes the dashboard never answers: an unknown API path is a 404 in JSON, not the app's HTML. */
const NOT_DASHBOARD = /^\/(api|metrics|healthz|readyz)(\/|$)/;

/** Read a built dashboard directory (`index.html` and `assets/`). */
export function loadDashboard(root: string): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  const walk = (dir: string, prefix: string) => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p, `${prefix}${name}/`);
      else if (st.isFile() && st.size <= MAX_FILE_BYTES && files.size < MAX_FILES) {
        const body = readFileSync(p);
        const type = CONTENT_TYPES[extname(name)] ?? "application/octet-stream";
        const compressible = /^(text\/|image\/svg|application\/json)/.test(type) && body.length > 1024;
        files.set(`/${prefix}${name}`, { body, type, gzip: compressible ? gzipSync(body) : undefined });
      }
    }
  };
  walk(root, "");
  return files;
}

/**
 * The built dashboard next to the running program: `dist/web` of the checkout or package that `from` lives in
 * (the CLI bundle's chunk in `dist/cli/chunks`, or a source file when run with tsx). Undefined when not built.
 */
export function findDashboard(from: string): string | undefined {
  let dir = from;
  for (let i = 0; i < 8; i++) {
    if (basename(dir) === "dist" && existsSync(join(dir, "web", "index.html"))) return join(dir, "web");
    if (existsSync(join(dir, "dist", "web", "index.html"))) return join(dir, "dist", "web");
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return undefined;
}

function send(req: FastifyRequest, reply: FastifyReply, file: StaticFile, cache: string) {
  reply.header("content-type", file.type).header("cache-control", cache).header("vary", "accept-encoding");
  const accepts = String(req.headers["accept-encoding"] ?? "");
  if (file.gzip !== undefined && /\bgzip\b/.test(accepts)) {
    reply.header("content-encoding", "gzip");
    return reply.send(file.gzip);
  }
  return reply.send(file.body);
}

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>Palisade</title>
<p>The dashboard is not built. Run <code>npm run build</code> in the Palisade checkout; the API is served at
<code>/api/v1/</code>.</p>`;

/**
 * Serve the dashboard built in `root` (undefined: a page saying it is not built). Routes are public: the pages
 * hold no data; the app asks for a token and sends it to the API as a bearer token.
 */
export function registerDashboard(app: FastifyInstance, root: string | undefined): void {
  const files = root !== undefined ? loadDashboard(root) : new Map<string, StaticFile>();
  const index = files.get("/index.html") ?? {
    body: Buffer.from(NOT_BUILT),
    type: CONTENT_TYPES[".html"] ?? "",
  };
  const notFound = (reply: FastifyReply, url: string) =>
    reply.code(404).send({ error: { code: "NOT_FOUND", message: `no route ${url}` } });

  app.route({
    method: "GET",
    url: "/assets/*",
    config: { access: "public" },
    handler: async (req, reply) => {
      const path = req.url.split("?")[0] ?? "";
      const file = files.get(path);
      if (file === undefined) return notFound(reply, path);
      // Asset names carry a hash of their content: a new build has new names.
      return send(req, reply, file, "public, max-age=31536000, immutable");
    },
  });
  app.route({
    method: "GET",
    url: "/*",
    config: { access: "public" },
    handler: async (req, reply) => {
      const path = req.url.split("?")[0] ?? "/";
      if (NOT_DASHBOARD.test(path)) return notFound(reply, path);
      const file = path !== "/index.html" ? files.get(path) : undefined;
      if (file !== undefined) return send(req, reply, file, "public, max-age=3600");
      // index.html names the current hashed assets: always revalidated.
      return send(req, reply, index, "no-cache");
    },
  });
}
