import { mkdtempSync, renameSync, rmSync, unlinkSync, utimesSync, writeFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pollFeed } from "../../adapters/feeds/index.js";
import { FeedRefresher, type FeedRefreshReport, type Timer } from "./index.js";

const dir = mkdtempSync(join(tmpdir(), "palisade-feeds-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A timer ticked by the test. */
function manualTimer() {
  const fns: (() => void)[] = [];
  const timer: Timer = {
    every(_ms, fn) {
      fns.push(fn);
      return () => fns.splice(fns.indexOf(fn), 1);
    },
  };
  const tick = () => {
    for (const f of [...fns]) f();
  };
  return { timer, tick, active: () => fns.length };
}

/** A real HTTP server serving one feed; `mode` picks the validators it sends and honours; it records requests. */
const server = {
  body: "203.0.113.0/24\n",
  etag: '"v1"',
  lastModified: "Fri, 04 Dec 2026 09:00:00 GMT",
  mode: "etag" as "etag" | "last-modified" | "none" | "fail",
  requests: [] as IncomingHttpHeaders[],
  url: "",
};
const http = createServer((req, res) => {
  server.requests.push(req.headers);
  if (server.mode === "fail") {
    res.writeHead(503).end("down");
    return;
  }
  if (server.mode === "etag") {
    if (req.headers["if-none-match"] === server.etag) {
      res.writeHead(304, { etag: server.etag }).end();
      return;
    }
    res.writeHead(200, { etag: server.etag, "content-type": "text/plain" }).end(server.body);
    return;
  }
  if (server.mode === "last-modified") {
    if (req.headers["if-modified-since"] === server.lastModified) {
      res.writeHead(304).end();
      return;
    }
    res.writeHead(200, { "last-modified": server.lastModified }).end(server.body);
    return;
  }
  res.writeHead(200).end(server.body);
});
beforeAll(async () => {
  await new Promise<void>((r) => http.listen(0, "127.0.0.1", r));
  server.url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/c2.txt`;
});
afterAll(() => new Promise<void>((r) => http.close(() => r())));

const match = (f: FeedRefresher, ip: string) => f.current().matchAddress(ip)?.entry.value;

describe("FeedRefresher (real local HTTP server, injected timer)", () => {
  it("fetches with If-None-Match, keeps the list on 304, takes a changed one, and keeps the last good list when a refresh fails", async () => {
    server.mode = "etag";
    server.requests = [];
    const t = manualTimer();
    const reports: FeedRefreshReport[] = [];
    let now = 1000;
    const f = new FeedRefresher([{ source: server.url }], {
      poll: (s, v) => pollFeed(s, v),
      now: () => now,
      intervalMs: 60_000,
      timer: t.timer,
      onReport: (r) => reports.push(r),
    });
    expect(await f.start()).toEqual({ at: 1000, results: [{ source: server.url, outcome: "updated" }] });
    expect(match(f, "203.0.113.9")).toBe("203.0.113.0/24");
    expect(server.requests[0]?.["if-none-match"]).toBeUndefined();

    const tick = async () => {
      const n = reports.length;
      t.tick();
      await expect.poll(() => reports.length, { timeout: 30_000 }).toBe(n + 1);
      return reports[n];
    };
    now = 2000;
    expect(await tick()).toEqual({ at: 2000, results: [{ source: server.url, outcome: "unchanged" }] });
    expect(server.requests[1]?.["if-none-match"]).toBe('"v1"');

    server.body = "198.51.100.7\nnot a thing\n";
    server.etag = '"v2"';
    now = 3000;
    expect(await tick()).toMatchObject({
      results: [
        {
          outcome: "updated",
          lineErrors: [
            { line: 2, reason: "invalid-field", file: server.url.replace(/\/c2.txt$/, "/c2.txt") },
          ],
        },
      ],
    });
    expect(match(f, "203.0.113.9")).toBeUndefined();
    expect(match(f, "198.51.100.7")).toBe("198.51.100.7");

    server.mode = "fail";
    now = 4000;
    expect(await tick()).toEqual({
      at: 4000,
      results: [
        { source: server.url, outcome: "failed", error: `cannot fetch threat feed ${server.url}: HTTP 503` },
      ],
    });
    expect(match(f, "198.51.100.7")).toBe("198.51.100.7"); // the last good list stays
    expect(f.status()).toEqual([
      {
        source: server.url,
        state: "stale",
        addresses: 1,
        domains: 0,
        lastChecked: 4000,
        lastChanged: 3000,
        lastError: `cannot fetch threat feed ${server.url}: HTTP 503`,
      },
    ]);
    server.mode = "etag";
    now = 5000;
    expect((await tick())?.results[0]?.outcome).toBe("unchanged");
    expect(f.status()[0]?.state).toBe("ok");
    f.stop();
    expect(t.active()).toBe(0);
  });

  it("sends If-Modified-Since to a server that gives Last-Modified, and refetches from one that gives nothing", async () => {
    server.mode = "last-modified";
    server.body = "203.0.113.0/24\n";
    server.requests = [];
    const f = new FeedRefresher([{ source: server.url }], {
      poll: (s, v) => pollFeed(s, v),
      now: () => 0,
      intervalMs: 1,
    });
    expect((await f.refresh()).results[0]?.outcome).toBe("updated");
    expect((await f.refresh()).results[0]?.outcome).toBe("unchanged");
    expect(server.requests[1]?.["if-modified-since"]).toBe(server.lastModified);
    server.mode = "none";
    expect((await f.refresh()).results[0]?.outcome).toBe("updated");
    expect((await f.refresh()).results[0]?.outcome).toBe("updated");
    expect(server.requests[3]?.["if-modified-since"]).toBeUndefined();
  });

  it("re-reads a file when it changed (time, size or a rename over it), reports a missing one, and shares concurrent passes", async () => {
    const file = join(dir, "bad.txt");
    const csv = join(dir, "bad.csv");
    writeFileSync(file, "203.0.113.7\n");
    utimesSync(file, 1_000, 1_000);
    writeFileSync(csv, "ip,comment\n198.51.100.1,x\n");
    const reads: string[] = [];
    const f = new FeedRefresher(
      [{ source: file }, { source: csv, column: "ip" }, { source: join(dir, "absent.txt") }],
      {
        poll: async (s, v) => {
          const r = await pollFeed(s, v);
          if (r.status === "changed") reads.push(s);
          return r;
        },
        now: () => 0,
        intervalMs: 1,
      },
    );
    const [a, b] = await Promise.all([f.refresh(), f.refresh()]);
    expect(a).toBe(b);
    expect(a?.results.map((r) => r.outcome)).toEqual(["updated", "updated", "failed"]);
    expect(a?.results[2]?.error).toMatch(/^cannot read threat feed .*absent\.txt: ENOENT$/);
    expect(f.status().map((s) => s.state)).toEqual(["ok", "ok", "missing"]);
    expect(match(f, "198.51.100.1")).toBe("198.51.100.1");

    expect((await f.refresh()).results.map((r) => r.outcome)).toEqual(["unchanged", "unchanged", "failed"]);
    // Same size, new time.
    writeFileSync(file, "203.0.113.8\n");
    utimesSync(file, 2_000, 2_000);
    expect((await f.refresh()).results[0]?.outcome).toBe("updated");
    expect(match(f, "203.0.113.8")).toBe("203.0.113.8");
    expect(match(f, "203.0.113.7")).toBeUndefined();
    // Same size and time, replaced by rename (a new inode).
    writeFileSync(`${file}.new`, "203.0.113.9\n");
    utimesSync(`${file}.new`, 2_000, 2_000);
    renameSync(`${file}.new`, file);
    expect((await f.refresh()).results[0]?.outcome).toBe("updated");
    expect(match(f, "203.0.113.9")).toBe("203.0.113.9");
    // Deleted: failed, the last good list stays.
    unlinkSync(file);
    expect((await f.refresh()).results[0]?.outcome).toBe("failed");
    expect(match(f, "203.0.113.9")).toBe("203.0.113.9");
    expect(reads).toEqual([file, csv, file, file]);
  });
});
