import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { PalisadeError } from "../../core/errors/index.js";
import { fetchSignatureMaterial } from "./signature-artifacts.js";

const DIGEST = `sha256:${"a".repeat(64)}`;
const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
});

/** TEST DOUBLE — a hostile registry (no real registry can be made to misbehave like this), on loopback http. */
async function hostile(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const s = createServer(handler);
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const a = s.address();
  return `127.0.0.1:${typeof a === "object" && a ? a.port : 0}`;
}

const fetchFrom = (registry: string, signal?: AbortSignal) =>
  fetchSignatureMaterial(registry, "shop/api", DIGEST, { plainHttp: true, timeoutMs: 600_000, signal });

describe("signature material from a hostile registry: bounded, and the error names registry, repository and digest", () => {
  it("nothing there (404 everywhere) is no signature, not an error", async () => {
    const reg = await hostile((_req, res) => res.writeHead(404).end());
    expect(await fetchFrom(reg)).toEqual({ cosign: [], bundles: [], skipped: [] });
  });

  it("a manifest declared larger than 4 MiB is refused before it is read", async () => {
    const reg = await hostile((_req, res) => {
      res.writeHead(200, {
        "content-type": "application/vnd.oci.image.manifest.v1+json",
        "content-length": String(64 * 1024 * 1024),
      });
      res.write(" ");
    });
    const e = await fetchFrom(reg).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(PalisadeError);
    expect((e as PalisadeError).code).toBe("LIMIT");
    expect((e as Error).message).toMatch(
      new RegExp(`^${reg}/shop/api@${DIGEST}: signatures: manifest .*exceeds`),
    );
  });

  it("a manifest streamed without a length is cut at 4 MiB", async () => {
    const reg = await hostile((_req, res) => {
      res.writeHead(200, { "content-type": "application/vnd.oci.image.manifest.v1+json" });
      const chunk = Buffer.alloc(256 * 1024, 0x20);
      let sent = 0;
      const more = () => {
        while (sent < 64 && res.write(chunk)) sent++;
        if (sent < 64) res.once("drain", more);
        else res.end();
      };
      more();
    });
    const e = await fetchFrom(reg).catch((x: unknown) => x);
    expect((e as PalisadeError).code).toBe("LIMIT");
    expect((e as Error).message).toMatch(/larger than 4194304 bytes/);
  });

  it("a redirect loop stops after 5 hops", async () => {
    const reg = await hostile((req, res) => res.writeHead(302, { location: req.url ?? "/" }).end());
    const e = await fetchFrom(reg).catch((x: unknown) => x);
    expect((e as PalisadeError).code).toBe("REMOTE");
    expect((e as Error).message).toMatch(
      new RegExp(`^${reg}/shop/api@${DIGEST}: signatures: more than 5 redirects`),
    );
  });

  it("a body that never ends is stopped by the caller's budget", async () => {
    const reg = await hostile((_req, res) => {
      res.writeHead(200, {
        "content-type": "application/vnd.oci.image.manifest.v1+json",
        "content-length": "1000",
      });
      res.write("{");
    });
    const budget = new AbortController();
    const pending = fetchFrom(reg, budget.signal).catch((x: unknown) => x);
    // The body never completes: whenever the budget ends, the fetch ends with it.
    setTimeout(() => budget.abort(), 50);
    const e = await pending;
    expect(e).toBeInstanceOf(PalisadeError);
    expect((e as Error).message).toBe(
      `${reg}/shop/api@${DIGEST}: signatures: fetch stopped (time budget spent)`,
    );
  });

  it("a server error is an error (the failure policy answers), not an unsigned image", async () => {
    const reg = await hostile((_req, res) => res.writeHead(503).end());
    const e = await fetchFrom(reg).catch((x: unknown) => x);
    expect((e as PalisadeError).code).toBe("REMOTE");
    expect((e as Error).message).toMatch(new RegExp(`^${reg}/shop/api@${DIGEST}: signatures: .*HTTP 503`));
    expect((e as PalisadeError).context.digest).toBe(DIGEST);
  });
});
