/**
 * Peak memory of `palisade scan -o sarif` against `-o json` on the same 20,000 Deployments (issue 9 item 24: SARIF
 * was built in memory, 2.1 GB against 0.66 GB for JSON). Same-run references: `node -e 0` (the runtime alone) and
 * `JSON.parse` of the input written as one JSON List (parsing the input alone).
 * Run: npx tsx bench/sarif.ts [count] [root]   (root: a checkout to measure, default this one; its CLI runs from
 * source through tsx, so an older commit can be measured the same way for a before/after figure)
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const N = Number(process.argv[2] ?? 20_000);
const ROOT = process.argv[3] ?? join(import.meta.dirname, "..");
const OUT = join(import.meta.dirname, "out");
mkdirSync(OUT, { recursive: true });

function deployment(i: number): unknown {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: {
      name: `app-${i}`,
      namespace: `team-${i % 50}`,
      labels: { app: `app-${i}`, team: `t${i % 20}` },
    },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: `app-${i}` } },
      template: {
        metadata: { labels: { app: `app-${i}` } },
        spec: {
          containers: [
            {
              name: "app",
              image: `registry.example/team-${i % 50}/app-${i}:1.${i % 10}`,
              ports: [{ containerPort: 8080 }],
              securityContext: i % 3 === 0 ? { privileged: true } : {},
            },
          ],
        },
      },
    },
  };
}

const file = join(OUT, `deployments-${N}.json`);
writeFileSync(
  file,
  JSON.stringify({
    apiVersion: "v1",
    kind: "List",
    items: Array.from({ length: N }, (_, i) => deployment(i)),
  }),
);

/** Peak RSS (MiB) of a command, by GNU time. */
function peak(args: string[]): { mib: number; code: number | null } {
  const r = spawnSync("/usr/bin/time", ["-f", "%M", ...args], {
    cwd: ROOT,
    encoding: "utf8",
    maxBuffer: 1 << 20,
    stdio: ["ignore", "ignore", "pipe"],
  });
  const lines = r.stderr.trim().split("\n");
  return { mib: Number(lines[lines.length - 1]) / 1024, code: r.status };
}

const cli = [process.execPath, "--import", "tsx", join(ROOT, "src", "apps", "cli", "main.ts"), "scan", file];
const rows: [string, { mib: number; code: number | null }][] = [
  ["node -e 0", peak([process.execPath, "-e", "0"])],
  [
    "JSON.parse of the input",
    peak([process.execPath, "-e", `JSON.parse(require("fs").readFileSync(${JSON.stringify(file)}, "utf8"))`]),
  ],
  ["scan -o json", peak([...cli, "-o", "json"])],
  ["scan -o sarif", peak([...cli, "-o", "sarif"])],
];
const size = readFileSync(file).length;
console.log(`${N} Deployments (${(size / 1048576).toFixed(1)} MiB of JSON), root ${ROOT}`);
for (const [name, r] of rows)
  console.log(`${name.padEnd(26)} peak RSS ${r.mib.toFixed(0).padStart(6)} MiB (exit ${r.code})`);
