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
    expect(r.code).toBe(0);
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
    expect(r.stderr).toBe('palisade: unknown output format "yaml" (expected json, txt, dot)\n');
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
    expect(r.code).toBe(0);
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
