import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RegistryClient } from "./registry.js";

/** A loopback registry whose token server answers with a broken body that embeds a token. */
let server: Server;
let port = 0;
const tokenBody = { value: "" };

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url?.startsWith("/token")) {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(tokenBody.value);
      return;
    }
    res.writeHead(401, {
      "www-authenticate": `Bearer realm="http://127.0.0.1:${port}/token",service="double"`,
    });
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe("RegistryClient", () => {
  describe("pathological cases", () => {
    it("a token response that is not JSON is an error that does not quote the token", async () => {
      tokenBody.value = '{"token": "tok-SECRET-0123456789" oops}';
      const client = new RegistryClient(`127.0.0.1:${port}`, "team/app");
      const err = await client.manifest("1.0").catch((e: unknown) => e);
      expect(err).toMatchObject({
        code: "INPUT",
        message: `http://127.0.0.1:${port}: token response is not valid JSON`,
      });
      expect(JSON.stringify(err)).not.toContain("SECRET");
      expect((err as Error).message).not.toContain("SECRET");
    });

    it("a token response with a prototype key is refused as UNSAFE", async () => {
      tokenBody.value = '{"__proto__": {"token": "tok-SECRET"}}';
      const client = new RegistryClient(`127.0.0.1:${port}`, "team/app");
      await expect(client.manifest("1.0")).rejects.toMatchObject({ code: "UNSAFE" });
    });
  });
});
