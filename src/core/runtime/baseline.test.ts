import { describe, expect, it } from "vitest";
import { BaselineBook, confidenceOf, type EnrichedEvent, parseBaseline, peerName } from "./index.js";

const HOUR = 3_600_000;
const web = { kind: "Deployment", namespace: "shop", name: "web" };
const db = { kind: "Deployment", namespace: "shop", name: "db" };
let line = 0;

const exec = (time: number, binary: string): EnrichedEvent => ({
  event: {
    kind: "process",
    source: "tetragon",
    file: "t",
    line: ++line,
    time,
    severity: "info",
    type: "exec",
    binary,
    evidence: `exec ${binary}`,
  },
  subject: {
    kind: "workload",
    workload: web,
    team: "payments",
    images: ["sha256:x"],
    vulns: [],
    exposed: true,
  },
});
const flow = (
  time: number,
  dstIp: string,
  port: number,
  dst: NonNullable<EnrichedEvent["dst"]>,
): EnrichedEvent => ({
  event: {
    kind: "flow",
    source: "hubble",
    file: "h",
    line: ++line,
    time,
    severity: "info",
    src: { ip: "10.1.0.7", port: 40000 },
    dst: { ip: dstIp, port },
    protocol: "TCP",
    verdict: "FORWARDED",
    evidence: `FORWARDED TCP 10.1.0.7:40000 -> ${dstIp}:${port}`,
  },
  src: { ip: "10.1.0.7", kind: "workload", workload: web },
  dst,
});

describe("BaselineBook", () => {
  it("learns over the window, then observes (info drift, not learned), then enforces by alert after promotion", () => {
    const book = new BaselineBook({ windowMs: 24 * HOUR, minObservations: 10 });
    for (let i = 0; i < 20; i++)
      expect(book.observe(exec(i * HOUR, i % 2 ? "/app/server" : "/bin/healthcheck"))).toEqual([]);
    const [b0] = book.list();
    expect(b0).toMatchObject({ state: "learning", observations: 20 });
    expect(Object.keys(b0?.processes ?? {})).toEqual(["/bin/healthcheck", "/app/server"]);

    // First event after the window: the transition is reported, and new behaviour is info-level drift.
    const observed = book.observe(exec(25 * HOUR, "/bin/sh"));
    expect(book.transitions).toEqual([
      {
        workload: web,
        from: "learning",
        to: "observing",
        at: 24 * HOUR,
        confidence: expect.any(Number),
        reason: "learning window elapsed",
      },
    ]);
    expect(observed).toHaveLength(1);
    expect(observed[0]).toMatchObject({
      ruleId: "PAL-RT-DRIFT-001",
      severity: "info",
      workload: web,
      team: "payments",
    });
    // Known behaviour stays quiet; drift was not learned.
    expect(book.observe(exec(26 * HOUR, "/app/server"))).toEqual([]);
    expect(book.observe(exec(27 * HOUR, "/bin/sh"))).toHaveLength(1);

    // Never enforced silently: only an explicit promotion (reported) moves it.
    expect(book.list()[0]?.state).toBe("observing");
    expect(book.promote(web, 28 * HOUR)).toMatchObject({
      from: "observing",
      to: "enforcing",
      reason: "promoted by an operator",
    });
    const enforced = book.observe(exec(29 * HOUR, "/bin/sh"));
    expect(enforced[0]).toMatchObject({ severity: "high", category: "drift" });
    expect(enforced[0]?.evidence).toContain("Deployment shop/web executed /bin/sh (baseline enforcing");
    expect(enforced[0]?.evidence).toContain("exec /bin/sh");
    book.accept(web, "process", "/bin/sh", 30 * HOUR);
    expect(book.observe(exec(31 * HOUR, "/bin/sh"))).toEqual([]);
  });

  it("learns from events of the window that arrive late (out of order)", () => {
    const book = new BaselineBook({ windowMs: 10 * HOUR });
    book.observe(exec(0, "/a"));
    book.observe(exec(11 * HOUR, "/a")); // now observing
    expect(book.observe(exec(5 * HOUR, "/late-but-inside-window"))).toEqual([]);
    expect(book.observe(exec(12 * HOUR, "/late-but-inside-window"))).toEqual([]);
  });

  it("raises confidence as nothing new is seen, and keeps it low while behaviour keeps changing", () => {
    const steady = new BaselineBook({ windowMs: 1000 * HOUR, minObservations: 50 });
    const noisy = new BaselineBook({ windowMs: 1000 * HOUR, minObservations: 50 });
    for (let i = 0; i < 300; i++) {
      steady.observe(exec(i, "/app/server"));
      noisy.observe(exec(i, `/tmp/x${i}`));
    }
    const s = steady.list()[0];
    const n = noisy.list()[0];
    expect(s?.confidence).toBeGreaterThan(0.99);
    expect(n?.confidence).toBeLessThan(0.1);
    expect(confidenceOf({ ...(s as NonNullable<typeof s>), observations: 5 }, 50)).toBeLessThan(0.11);
  });

  it("promotes automatically only when asked, and reports the transition", () => {
    const book = new BaselineBook({ windowMs: HOUR, minObservations: 10, autoPromoteConfidence: 0.5 });
    for (let i = 0; i < 200; i++) book.observe(exec(i * 1000, "/app/server"));
    book.observe(exec(2 * HOUR, "/app/server"));
    expect(book.transitions.map((t) => [t.from, t.to, t.reason])).toEqual([
      ["learning", "observing", "learning window elapsed"],
      ["observing", "enforcing", "confidence reached 0.5 (automatic promotion)"],
    ]);
  });

  it("baselines network peers per direction: workloads by name, external addresses by /24 or network name", () => {
    const book = new BaselineBook({ windowMs: HOUR });
    book.observe(flow(0, "10.1.0.9", 5432, { ip: "10.1.0.9", kind: "workload", workload: db }));
    book.observe(flow(1, "203.0.113.9", 443, { ip: "203.0.113.9", kind: "external" }));
    book.observe(flow(2, "198.51.100.1", 443, { ip: "198.51.100.1", kind: "external", network: "partner" }));
    const [dbB, webB] = book.list();
    expect(Object.keys(webB?.peers ?? {})).toEqual([
      "egress workload:shop/Deployment/db TCP/5432",
      "egress cidr:203.0.113.0/24 TCP/443",
      "egress network:partner TCP/443",
    ]);
    expect(Object.keys(dbB?.peers ?? {})).toEqual(["ingress workload:shop/Deployment/web TCP/5432"]);
    book.promote(web, 2 * HOUR);
    const alerts = book.observe(flow(3 * HOUR, "203.0.114.1", 443, { ip: "203.0.114.1", kind: "external" }));
    expect(alerts.map((a) => [a.ruleId, a.severity, a.key])).toEqual([
      ["PAL-RT-DRIFT-002", "high", "shop/Deployment/web\u0000egress cidr:203.0.114.0/24 TCP/443"],
    ]);
    expect(peerName({ kind: "external", ip: "2001:db8::1" })).toBe(
      "cidr:20010db8000000000000000000000000/64",
    );
  });

  it("caps items per baseline and counts the overflow", () => {
    const book = new BaselineBook({ windowMs: HOUR, maxItems: 3 });
    for (let i = 0; i < 10; i++) book.observe(exec(i, `/bin/p${i}`));
    expect(book.list()[0]).toMatchObject({ overflow: 7 });
    expect(Object.keys(book.list()[0]?.processes ?? {})).toHaveLength(3);
  });

  it("caps items over all baselines and counts the overflow on the baseline that could not learn", () => {
    const book = new BaselineBook({ windowMs: HOUR, maxTotalItems: 2 });
    book.observe(exec(0, "/a"));
    book.observe(flow(1, "10.1.0.9", 5432, { ip: "10.1.0.9", kind: "workload", workload: db }));
    expect(book.list().map((b) => [b.workload.name, b.overflow])).toEqual([
      ["db", 1],
      ["web", 0],
    ]);
  });

  describe("expiry", () => {
    const DAY = 24 * HOUR;

    it("ages out items not seen for the TTL, across the learning window and after it (event-time clock)", () => {
      const book = new BaselineBook({ windowMs: 2 * DAY, itemTtlMs: 3 * DAY });
      book.observe(exec(0, "/app/server"));
      book.observe(exec(HOUR, "/opt/migrate")); // a one-off during learning
      for (let d = 1; d <= 6; d++) book.observe(exec(d * DAY, "/app/server"));
      // At day 6 the sweep ran: /opt/migrate was last seen at 1h, more than 3 days ago; /app/server stays.
      expect(Object.keys(book.list()[0]?.processes ?? {})).toEqual(["/app/server"]);
      expect(book.list()[0]).toMatchObject({ state: "observing", expired: 1 });
      expect(book.evicted).toEqual({ expiredItems: 1, retiredBaselines: 0, refusedObservations: 0 });
      // Seen again after it aged out: new behaviour (drift while observing), not silently allowed.
      expect(book.observe(exec(6 * DAY + HOUR, "/opt/migrate")).map((a) => a.ruleId)).toEqual([
        "PAL-RT-DRIFT-001",
      ]);
    });

    it("treats an item past its TTL as new even before a sweep removed it", () => {
      // Sweeps run every TTL/8 (here 1 day) of event time; the last event lands between two sweeps.
      const book = new BaselineBook({ windowMs: DAY, itemTtlMs: 8 * DAY });
      book.observe(exec(0, "/a"));
      book.observe(exec(12 * HOUR, "/b"));
      book.promote(web, 13 * HOUR);
      // A sweep at 8d+1ms: /a (last seen at 0) aged out; /b (12h) has 12h left.
      expect(book.observe(exec(8 * DAY + 1, "/a")).map((a) => a.severity)).toEqual(["high"]);
      expect(book.evicted.expiredItems).toBe(1);
      expect(Object.keys(book.list()[0]?.processes ?? {})).toEqual(["/b"]);
      // At 8d12h+1ms /b is past its TTL; the next sweep is not due until 9d+1ms.
      const alerts = book.observe(exec(8 * DAY + 12 * HOUR + 1, "/b"));
      expect(alerts.map((a) => [a.ruleId, a.severity])).toEqual([["PAL-RT-DRIFT-001", "high"]]);
      expect(book.evicted.expiredItems).toBe(2);
    });

    it("expires with an injected clock (the service's now), not only on events", () => {
      const book = new BaselineBook({ windowMs: HOUR, itemTtlMs: DAY });
      book.observe(exec(0, "/a"));
      book.observe(flow(10, "10.1.0.9", 5432, { ip: "10.1.0.9", kind: "workload", workload: db }));
      expect(book.expire(DAY)).toBe(0); // exactly the TTL: not yet
      expect(book.expire(DAY + 11)).toBe(3); // /a, web's egress peer, db's ingress peer
      expect(book.list().map((b) => [b.workload.name, b.expired, Object.keys(b.peers).length])).toEqual([
        ["db", 1, 0],
        ["web", 2, 0],
      ]);
    });

    it("drops the baseline of a workload gone from the inventory for longer than its window", () => {
      const book = new BaselineBook({ windowMs: 2 * DAY });
      book.observe(exec(0, "/a"));
      book.observe(flow(0, "10.1.0.9", 5432, { ip: "10.1.0.9", kind: "workload", workload: db }));
      const both = new Set(["shop/Deployment/web", "shop/Deployment/db"]);
      const onlyWeb = new Set(["shop/Deployment/web"]);
      expect(book.retire(both, DAY)).toEqual([]);
      expect(book.retire(onlyWeb, 2 * DAY)).toEqual([]); // db missing since day 2
      expect(book.baselines.get("shop/Deployment/db")?.goneSince).toBe(2 * DAY);
      expect(book.retire(onlyWeb, 4 * DAY)).toEqual([]); // exactly its window: kept
      // Back in the inventory: the absence is forgotten.
      expect(book.retire(both, 4 * DAY + 1)).toEqual([]);
      expect(book.baselines.get("shop/Deployment/db")?.goneSince).toBeUndefined();
      expect(book.retire(onlyWeb, 5 * DAY)).toEqual([]);
      expect(book.retire(onlyWeb, 7 * DAY + 1)).toEqual([db]);
      expect(book.retired).toEqual(["shop/Deployment/db"]);
      expect(book.evicted.retiredBaselines).toBe(1);
      expect(book.list().map((b) => b.workload.name)).toEqual(["web"]);
      // A workload of the same name created later learns afresh.
      book.observe(flow(8 * DAY, "10.1.0.9", 5432, { ip: "10.1.0.9", kind: "workload", workload: db }));
      expect(book.baselines.get("shop/Deployment/db")).toMatchObject({
        state: "learning",
        learningFrom: 8 * DAY,
      });
    });

    it("judges only the namespaces a partial snapshot speaks for", () => {
      const book = new BaselineBook({ windowMs: DAY });
      book.observe(exec(0, "/a")); // shop/web
      const other = { kind: "Deployment", namespace: "payments", name: "api" };
      book.observe({ ...exec(0, "/b"), subject: { kind: "workload", workload: other } });
      const onlyShop = new Set(["shop"]);
      expect(book.retire(new Set(["shop/Deployment/web"]), 0, onlyShop)).toEqual([]);
      expect(book.retire(new Set(["shop/Deployment/web"]), 5 * DAY, onlyShop)).toEqual([]);
      expect(book.baselines.get("payments/Deployment/api")?.goneSince).toBeUndefined();
      // A snapshot listing namespaces speaks for all of them: payments/api is gone.
      expect(book.retire(new Set(["shop/Deployment/web"]), 5 * DAY)).toEqual([]);
      expect(book.retire(new Set(["shop/Deployment/web"]), 6 * DAY + 1)).toEqual([other]);
    });

    it("caps the number of baselines and counts the observations it could not learn", () => {
      const book = new BaselineBook({ windowMs: HOUR, maxBaselines: 1 });
      book.observe(exec(0, "/a"));
      book.observe(flow(1, "10.1.0.9", 5432, { ip: "10.1.0.9", kind: "workload", workload: db }));
      expect(book.list().map((b) => b.workload.name)).toEqual(["web"]);
      expect(book.evicted.refusedObservations).toBe(1);
    });
  });

  describe("pathological cases", () => {
    it("refuses stored baselines of the wrong shape", () => {
      expect(parseBaseline(null)).toBeUndefined();
      expect(parseBaseline({ workload: web, state: "armed" })).toBeUndefined();
      const good = new BaselineBook({ windowMs: HOUR });
      good.observe(exec(0, "/a"));
      const b = JSON.parse(JSON.stringify([...good.baselines.values()][0]));
      expect(parseBaseline(b)).toEqual(b);
      expect(parseBaseline({ ...b, processes: { "/a": { count: "x" } } })).toBeUndefined();
    });
  });
});
