import { describe, expect, it } from "vitest";
import { runCli } from "../../../../test/support/cli.js";

const DIR = "src/apps/cli/commands/__fixtures__/netpol";

const cli = (argv: string[]) => runCli(argv, { now: new Date(0) });

const monitor = { namespace: "ops", kind: "Deployment", name: "monitor" };
const web = { namespace: "shop", kind: "Deployment", name: "web" };
const db = { namespace: "shop", kind: "Deployment", name: "db" };
const R1 = { ipRange: "0.0.0.0-203.0.112.255" };
const R2 = { ipRange: "203.0.113.0-203.0.113.255" };
const R3 = { ipRange: "203.0.114.0-255.255.255.255" };
const R6 = { ipRange: "::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff" };

describe("palisade netpol connectivity", () => {
  it("prints every allowed edge as JSON in deterministic order", async () => {
    const r = await cli(["netpol", "connectivity", "-f", `${DIR}/cluster.yaml`, "-o", "json"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout)).toEqual({
      edges: [
        { src: monitor, dst: monitor, connections: "all" },
        { src: monitor, dst: R1, connections: "all" },
        { src: monitor, dst: R2, connections: "all" },
        { src: monitor, dst: R3, connections: "all" },
        { src: monitor, dst: R6, connections: "all" },
        // web's egress names db's named port "pg"; db's ingress allows 5432 from web.
        { src: web, dst: db, connections: [{ protocol: "TCP", ports: [[5432, 5432]] }] },
        { src: R1, dst: monitor, connections: "all" },
        { src: R2, dst: monitor, connections: "all" },
        // web's ingress allows 203.0.113.0/24 on its named port "http" (8080).
        { src: R2, dst: web, connections: [{ protocol: "TCP", ports: [[8080, 8080]] }] },
        { src: R3, dst: monitor, connections: "all" },
        { src: R6, dst: monitor, connections: "all" },
      ],
      coverage: [],
    });
  });
  it("prints text and dot", async () => {
    const txt = await cli(["netpol", "connectivity", "-f", `${DIR}/cluster.yaml`]);
    expect(txt.stdout.split("\n")).toContain("shop/Deployment/web -> shop/Deployment/db : TCP:5432");
    expect(txt.stdout.split("\n")).toContain("203.0.113.0-203.0.113.255 -> shop/Deployment/web : TCP:8080");
    const dot = await cli(["netpol", "connectivity", "-f", `${DIR}/cluster.yaml`, "-o", "dot"]);
    expect(dot.stdout.startsWith("digraph connectivity {\n")).toBe(true);
    expect(dot.stdout).toContain('  "shop/Deployment/web" -> "shop/Deployment/db" [label="TCP:5432"];\n');
    expect(dot.stdout).toContain('  "203.0.113.0-203.0.113.255" [shape=ellipse];\n');
  });
  it("reports invalid policies by name and analyses the rest", async () => {
    const r = await cli(["netpol", "connectivity", "-f", `${DIR}/bad-policy.yaml`, "-o", "json"]);
    // Two policies left out: incomplete, exit 2; --allow-partial gives the answer's own exit code.
    expect(r.code).toBe(2);
    const partial = ["netpol", "connectivity", "-f", `${DIR}/bad-policy.yaml`, "--allow-partial"];
    expect((await cli(partial)).code).toBe(0);
    const out = JSON.parse(r.stdout) as { edges: unknown[]; coverage: { message: string }[] };
    expect(out.coverage.map((c) => c.message)).toEqual([
      'NetworkPolicy app/broken: spec.ingress[0].from[0].ipBlock.except[0]: "192.168.0.0/24" must be a strict subset of cidr "10.0.0.0/24"; the policy was left out of the analysis',
      "NetworkPolicy app/broken: spec.ingress[0].ports[0].endPort: may not be specified when `port` is non-numeric; the policy was left out of the analysis",
    ]);
    // deny-egress still applies: api accepts everything but sends nothing.
    const api = { namespace: "app", kind: "Deployment", name: "api" };
    expect(out.edges).toEqual([
      { src: { ipRange: "0.0.0.0-255.255.255.255" }, dst: api, connections: "all" },
      { src: { ipRange: "::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff" }, dst: api, connections: "all" },
    ]);
  });
  it("rejects an unknown output format with exit 2", async () => {
    const r = await cli(["netpol", "connectivity", "-f", `${DIR}/cluster.yaml`, "-o", "yaml"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      "palisade: option '-o, --output <format>' argument 'yaml' is invalid. Allowed choices are table, json, dot.\n",
    );
  });
});

describe("palisade netpol diff", () => {
  it("shows the connections a change adds", async () => {
    const r = await cli([
      "netpol",
      "diff",
      "-f",
      `${DIR}/cluster.yaml`,
      "--with",
      `${DIR}/new-policies.yaml`,
      "-o",
      "json",
    ]);
    expect(r.code).toBe(0);
    // db's ingress now admits ops; monitor is not egress-isolated, so the connection opens on 5432.
    expect(JSON.parse(r.stdout)).toEqual({
      added: [{ src: monitor, dst: db, connections: [{ protocol: "TCP", ports: [[5432, 5432]] }] }],
      removed: [],
      changed: [],
      coverage: [],
    });
  });
  it("shows the connections a removal takes away, as text", async () => {
    const r = await cli(["netpol", "diff", "-f", `${DIR}/cluster.yaml`, "--remove", "shop/web"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        "- shop/Deployment/web -> shop/Deployment/db : TCP:5432",
        "- 203.0.113.0-203.0.113.255 -> shop/Deployment/web : TCP:8080",
        "",
      ].join("\n"),
    );
  });
  it("needs --with or --remove", async () => {
    const r = await cli(["netpol", "diff", "-f", `${DIR}/cluster.yaml`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      "palisade: netpol diff needs --with NEW_POLICIES.yaml or --remove NAMESPACE/NAME\n",
    );
  });
});

describe("palisade netpol budgets", () => {
  it("truncates at --max-edges and reports it", async () => {
    const r = await cli([
      "netpol",
      "connectivity",
      "-f",
      `${DIR}/cluster.yaml`,
      "-o",
      "json",
      "--max-edges",
      "3",
    ]);
    // A cap hit is an incomplete run: exit 2 (--allow-partial accepts it).
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("palisade: incomplete: 1 input not evaluated");
    const out = JSON.parse(r.stdout) as { edges: unknown[]; coverage: { reason: string }[] };
    expect(out.coverage.map((c) => c.reason)).toEqual(["limit"]);
    expect(out.edges.length).toBe(5);
  });
  it("rejects a bad --max-edges", async () => {
    const r = await cli(["netpol", "connectivity", "-f", `${DIR}/cluster.yaml`, "--max-edges", "0"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('palisade: --max-edges expects a positive integer, got "0"\n');
  });
});

describe("palisade netpol --ipblock-matches-pods", () => {
  const FILE = `${DIR}/ipblock-pods.yaml`;
  const api = { namespace: "shop", kind: "Deployment", name: "api" };
  const mon = { namespace: "ops", kind: "Deployment", name: "monitor" };
  const https = [{ protocol: "TCP", ports: [[8443, 8443]] }];
  const podEdges = (stdout: string) =>
    (JSON.parse(stdout) as { edges: { src: object; dst: object }[] }).edges.filter(
      (e) => !("ipRange" in e.src) && !("ipRange" in e.dst),
    );

  it("default: the 0.0.0.0/0 ipBlock admits no pod", async () => {
    const r = await cli(["netpol", "connectivity", "-f", FILE, "-o", "json"]);
    expect(r.code).toBe(0);
    expect(podEdges(r.stdout)).toEqual([
      { src: mon, dst: mon, connections: "all" },
      { src: api, dst: mon, connections: "all" },
    ]);
  });
  it("mode: the monitor pod's IP (from its status) is admitted; api has no IP, and coverage says so", async () => {
    const r = await cli(["netpol", "connectivity", "-f", FILE, "-o", "json", "--ipblock-matches-pods"]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { coverage: unknown[] };
    expect(podEdges(r.stdout)).toEqual([
      { src: mon, dst: mon, connections: "all" },
      { src: mon, dst: api, connections: https },
      { src: api, dst: mon, connections: "all" },
    ]);
    expect(out.coverage).toEqual([
      {
        reason: "not-evaluated",
        message:
          "whether ipBlock peers match pods could not be evaluated for 1 workload(s) with no known pod IP (no running pod with status.podIP in the input) and no pod CIDR given: they are treated as matching no ipBlock, as in the default model: Deployment shop/api",
        kind: "NetworkPolicy",
      },
    ]);
  });
  it("mode with --pod-cidr: every pod may hold a pod-network address, so api admits itself too", async () => {
    const r = await cli([
      "netpol",
      "connectivity",
      "-f",
      FILE,
      "--ipblock-matches-pods",
      "--pod-cidr",
      "10.244.0.0/16",
      "--pod-cidr",
      "fd00:10:244::/56",
    ]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    expect(
      // Lines from a workload (not from an external range) that involve api.
      r.stdout.split("\n").filter((l) => /^[a-z]/.test(l) && l.includes("api")),
    ).toEqual([
      "ops/Deployment/monitor -> shop/Deployment/api : TCP:8443",
      "shop/Deployment/api -> ops/Deployment/monitor : all",
      "shop/Deployment/api -> shop/Deployment/api : TCP:8443",
      "shop/Deployment/api -> 0.0.0.0-255.255.255.255 : all",
      "shop/Deployment/api -> ::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff : all",
    ]);
  });
  it("diff in the mode: carving the pod CIDR out of the ipBlock removes the pod connections", async () => {
    const args = ["netpol", "diff", "-f", FILE, "--with", `${DIR}/ipblock-except-pods.yaml`, "-o", "txt"];
    const r = await cli([...args, "--ipblock-matches-pods", "--pod-cidr", "10.244.0.0/16"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        "- ops/Deployment/monitor -> shop/Deployment/api : TCP:8443",
        "- shop/Deployment/api -> shop/Deployment/api : TCP:8443",
        "- 10.244.0.0-10.244.255.255 -> shop/Deployment/api : TCP:8443",
        "",
      ].join("\n"),
    );
    // In the default model only the external range changes.
    const d = await cli(args);
    expect(d.stdout).toBe("- 10.244.0.0-10.244.255.255 -> shop/Deployment/api : TCP:8443\n");
  });
  it("rejects --pod-cidr without the mode and a bad CIDR, with exit 2", async () => {
    const a = await cli(["netpol", "connectivity", "-f", FILE, "--pod-cidr", "10.244.0.0/16"]);
    expect(a.code).toBe(2);
    expect(a.stderr).toBe("palisade: --pod-cidr only applies with --ipblock-matches-pods\n");
    const b = await cli([
      "netpol",
      "diff",
      "-f",
      FILE,
      "--remove",
      "shop/api-from-internet",
      "--ipblock-matches-pods",
      "--pod-cidr",
      "10.244.0.0",
    ]);
    expect(b.code).toBe(2);
    expect(b.stderr).toBe('palisade: --pod-cidr expects a CIDR, got "10.244.0.0"\n');
  });
});
